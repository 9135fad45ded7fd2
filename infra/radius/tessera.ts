import { isIP } from 'node:net';
import { createTesseraClient, TesseraError } from '../../shared/client';
import type { RequestOf } from '../../shared/client';

/** The challenge methods a RADIUS user can be asked for. */
export type Method = 'sms' | 'voice' | 'push' | 'app' | 'oath';

export interface Started {
  readonly challengeId: string;
  readonly method: Method;
  /** Masked phone or device, as Tessera shows it. */
  readonly destination: string;
  /** Push only (R9): the number to type in the app. */
  readonly number?: number;
}

/** Where a RADIUS attempt came from, for the push prompt and the auth log (R23). */
export interface Origin {
  /** The RADIUS client (gateway) name from the configuration. */
  readonly gatewayName: string;
  /** NAS-IP-Address of the request, when it has one. */
  readonly gatewayIp?: string;
  /** Calling-Station-Id, when it is an IP address (a VPN's user address). */
  readonly clientIp?: string;
}

export type Outcome = { kind: 'approved' } | { kind: 'denied'; reason: string } | { kind: 'pending' };

/** A refusal from Tessera, by its problem slug (`wrong-code`, `retry-later`, …) or `unavailable` when it could not be reached. */
export class Refused extends Error {
  constructor(
    readonly code: string,
    readonly available: readonly string[] = [],
  ) {
    super(code);
    this.name = 'Refused';
  }
}

/** What the RADIUS front end needs of Tessera's API (an `auth` key): start, verify and poll challenges. */
export interface TesseraPort {
  /** Each call gives up after `timeoutMs` (the flow passes what is left of the request's budget, 10 s at most). */
  start(userId: string, method: Method | undefined, origin: Origin, timeoutMs: number): Promise<Started>;
  verify(challengeId: string, code: string, timeoutMs: number): Promise<Outcome>;
  status(challengeId: string, timeoutMs: number): Promise<Outcome>;
}

async function refusing<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    // A 5xx says nothing about the user: as good as not reaching Tessera (a poll waits on).
    if (error instanceof TesseraError && error.status < 500) {
      const available = Array.isArray(error.problem.available) ? (error.problem.available as string[]) : [];
      throw new Refused(error.code, available);
    }
    if (error instanceof Refused) throw error;
    throw new Refused('unavailable');
  }
}

/** The port over Tessera's typed HTTP client; each call is aborted after its `timeoutMs`. */
export function tesseraOverHttp(options: { baseUrl: string; apiKey: string }): TesseraPort {
  const clientWithin = (timeoutMs: number) =>
    createTesseraClient({
      ...options,
      fetch: (input, init) => fetch(input, { ...init, signal: AbortSignal.timeout(Math.max(1, timeoutMs)) }),
    });
  const outcomeOf = (view: { status: string; reason?: string | undefined }): Outcome =>
    view.status === 'approved' ? { kind: 'approved' } : view.status === 'pending' ? { kind: 'pending' } : { kind: 'denied', reason: view.reason ?? view.status };
  return {
    start: (userId, method, origin, timeoutMs) =>
      refusing(async () => {
        const client = clientWithin(timeoutMs);
        const context: NonNullable<RequestOf<'POST /v1/challenges'>['body']['context']> = {
          appName: origin.gatewayName,
          ...(origin.clientIp && isIP(origin.clientIp) ? { clientIp: origin.clientIp } : {}),
          gateway: { name: origin.gatewayName, ...(origin.gatewayIp ? { ip: origin.gatewayIp } : {}) },
        };
        const view = await client.challenges.create({ userId, ...(method ? { method } : {}), context });
        // A passkey (the user's default, or the only method a phishing-resistant-only user has)
        // needs a browser: a RADIUS gateway cannot answer it. Recovery codes and access passes are
        // only ever started when asked for by name, which a gateway does not do.
        if (view.method === 'passkey' || view.method === 'recovery' || view.method === 'tap') throw new Refused('method-unavailable');
        return { challengeId: view.challengeId, method: view.method, destination: view.destination, ...(view.number !== undefined ? { number: view.number } : {}) };
      }),
    verify: (challengeId, code, timeoutMs) =>
      refusing(async () => {
        try {
          return outcomeOf(await clientWithin(timeoutMs).challenges.verify(challengeId, code));
        } catch (error) {
          // A wrong code is an answer, not a failure to reach Tessera.
          if (error instanceof TesseraError && error.status === 422 && error.code === 'wrong-code') return { kind: 'denied', reason: 'wrong_code' };
          throw error;
        }
      }),
    status: (challengeId, timeoutMs) => refusing(async () => outcomeOf(await clientWithin(timeoutMs).challenges.get(challengeId))),
  };
}
