import type { ClientConfig } from './config';
import type { Attribute } from './packet';
import type { SessionStore, Step } from './sessions';
import { Refused, type Method, type Origin, type Outcome, type Started, type TesseraPort } from './tessera';
import type { PrimaryResult } from './upstream';

/** What the gateway sent, once the packet is trusted. */
export interface Attempt {
  readonly client: ClientConfig;
  readonly userName: string;
  /** The PAP password (RFC 2865 User-Password), decrypted. */
  readonly password?: string;
  readonly state?: Buffer;
  /** CHAP, MS-CHAP or EAP instead of PAP. */
  readonly otherAuthentication?: 'chap' | 'mschap' | 'eap';
  readonly origin: Origin;
}

/** The answer to the gateway: Access-Accept, Access-Reject or Access-Challenge (with a State). */
export type Answer = { kind: 'accept'; message?: string; attributes?: readonly Attribute[] } | { kind: 'reject'; message: string; reason: string } | { kind: 'challenge'; message: string; state: Buffer };

export interface FlowDeps {
  readonly tessera: TesseraPort;
  readonly sessions: SessionStore;
  readonly primary: (client: ClientConfig, userName: string, password: string) => Promise<PrimaryResult>;
  /** How often a push or call is polled while the gateway waits. */
  readonly pollMs: number;
  readonly sleep: (ms: number) => Promise<void>;
  readonly now: () => number;
}

const CODE_PATTERN = /^(\d{6}|\d{8})$/;
/** How long one call to Tessera may take at most: a hung connection must not hold a gateway's request forever. */
export const CALL_TIMEOUT_MS = 10_000;
/** The challenge menu's choices, and the words `append` takes instead of a code (Maps: a typed "constructor" is no choice). */
const MENU = new Map([
  ['1', 'push'],
  ['2', 'phone'],
  ['3', 'sms'],
]);
const FACTOR_WORDS = new Map<string, Method>([
  ['push', 'push'],
  ['phone', 'voice'],
  ['sms', 'sms'],
]);
/** `password,123456`, `password,push`, …: the factor words in any case (`,PUSH`, `,Sms`). */
const APPENDED = /^(.*),(\d{6}|\d{8}|push|phone|sms)$/is;

const MESSAGES = {
  papOnly: 'This server accepts PAP only: set the gateway to send the password with PAP.',
  noPassword: 'No password was sent (PAP is required).',
  wrongPassword: 'Wrong user name or password.',
  primaryUnavailable: 'The password could not be checked right now; try again later.',
  primaryChallenge: 'The password server asked a further question, which this server cannot pass on; ask your administrator.',
  expired: 'This sign-in has expired or is unknown; sign in again.',
  wrongCode: 'Wrong code.',
  badCode: 'A code has 6 or 8 digits.',
  denied: 'The sign-in was denied.',
  timeout: 'No answer in time; sign in again.',
  choice: 'Second factor: 1 push, 2 call, 3 text message, or type a code from your app.',
  unknownChoice: 'Unknown choice; sign in again.',
} as const;

/** Tessera's refusals as the user reads them on the gateway (no detail that helps an attacker). */
const REFUSALS: Record<string, string> = {
  'not-found': 'This account is not set up for multi-factor sign-in.',
  'mfa-not-enabled': 'Multi-factor sign-in is not enabled for this account; ask your administrator.',
  'registration-required': 'You must register a second factor first.',
  'method-unavailable': 'That method is not available for this account.',
  'user-blocked': 'This account is blocked from multi-factor sign-in; ask your administrator.',
  'retry-later': 'Too many attempts; try again in a few minutes.',
  'challenge-locked': 'Too many wrong codes; sign in again.',
  'challenge-expired': 'The code has expired; sign in again.',
  'challenge-finished': MESSAGES.expired,
  'device-not-activated': 'Authentication request is not for an activated account.',
  'phone-not-allowed': 'That phone number cannot be used; ask your administrator.',
  'country-not-allowed': 'That phone number cannot be used; ask your administrator.',
  'delivery-failed': 'The code could not be delivered; try another method.',
  // A RADIUS user name Tessera would never take as a user id (DOMAIN\\user, spaces): no such account.
  'validation-failed': 'This account is not set up for multi-factor sign-in.',
};

const reject = (reason: string, message: string): Answer => ({ kind: 'reject', reason, message });

/** One request being answered: what the gateway sent, and when its answer is due (`waitSeconds` after it arrived). */
interface Run {
  readonly attempt: Attempt;
  readonly deadline: number;
  /** The upstream Access-Accept's authorization attributes, for our Access-Accept (kept in the State across challenges). */
  grant: readonly Attribute[];
}

/** The request's budget ran out before a call to Tessera could be made. */
class OutOfTime extends Error {}
const refusal = (error: Refused): Answer => reject(error.code, REFUSALS[error.code] ?? 'The second factor is unavailable right now; try again later.');

/**
 * One RADIUS sign-in, from the gateway's Access-Request to its answer: the password (upstream
 * or nothing), then the second factor by the client's mode, each through Tessera's
 * challenge/verify API so throttling, fatigue, the auth log and metering all apply.
 */
export class RadiusFlow {
  constructor(private readonly deps: FlowDeps) {}

  /**
   * Everything a request takes (the upstream check, each call to Tessera, the wait for a push or
   * call) fits in the client's `waitSeconds` from now: each call gets what is left, 10 s at most.
   */
  async handle(attempt: Attempt): Promise<Answer> {
    const run: Run = { attempt, deadline: this.deps.now() + attempt.client.waitSeconds * 1000, grant: [] };
    try {
      return await this.run(run);
    } catch (error) {
      if (error instanceof Refused) return refusal(error);
      if (error instanceof OutOfTime) return reject('wait_timeout', MESSAGES.timeout);
      throw error;
    }
  }

  /** What is left of the request's budget for one call to Tessera; none left is a timeout. */
  private within(run: Run): number {
    const left = run.deadline - this.deps.now();
    if (left <= 0) throw new OutOfTime();
    return Math.min(CALL_TIMEOUT_MS, left);
  }

  private start(run: Run, method: Method | undefined): Promise<Started> {
    return this.deps.tessera.start(run.attempt.userName, method, run.attempt.origin, this.within(run));
  }

  private async run(run: Run): Promise<Answer> {
    const { attempt } = run;
    if (attempt.otherAuthentication) return reject(`${attempt.otherAuthentication}_refused`, MESSAGES.papOnly);
    if (attempt.state) return this.next(run, attempt.state);
    if (attempt.password === undefined) return reject('no_password', MESSAGES.noPassword);

    const { client } = attempt;
    let password = attempt.password;
    let factor: string | undefined;
    if (client.secondFactor === 'append') {
      const split = APPENDED.exec(password);
      if (split) {
        password = split[1] ?? '';
        factor = split[2]?.toLowerCase();
      }
    }

    if (client.primary.kind !== 'none') {
      const primary = await this.deps.primary(client, attempt.userName, password);
      if (primary.kind === 'reject') return reject('wrong_password', MESSAGES.wrongPassword);
      if (primary.kind === 'challenge') return reject('primary_challenge', MESSAGES.primaryChallenge);
      if (primary.kind === 'unavailable') return reject(`primary_${primary.reason}`, MESSAGES.primaryUnavailable);
      run.grant = primary.attributes ?? [];
    }

    switch (client.secondFactor) {
      case 'challenge':
        return this.challenge(run, { kind: 'choice' }, MESSAGES.choice);
      case 'auto':
        return this.started(run, await this.start(run, undefined));
      case 'append':
        return factor ? this.chosen(run, factor) : this.started(run, await this.start(run, undefined));
    }
  }

  /** An answer to an Access-Challenge: the State must be ours, open, and for this client and user. */
  private async next(run: Run, state: Buffer): Promise<Answer> {
    const { attempt } = run;
    const step = this.deps.sessions.take(state, attempt.client.name, attempt.userName);
    if (!step) return reject('unknown_state', MESSAGES.expired);
    run.grant = step.grant ?? [];
    const answer = (attempt.password ?? '').trim();
    switch (step.kind) {
      case 'code':
        return this.verify(run, step.challengeId, answer);
      case 'push':
        return this.await(run, step.challengeId);
      case 'choice': {
        const chosen = MENU.get(answer) ?? (CODE_PATTERN.test(answer) ? answer : undefined);
        return chosen ? this.chosen(run, chosen) : reject('unknown_choice', MESSAGES.unknownChoice);
      }
    }
  }

  /** `push`, `phone`, `sms`, or a code the user typed from their app or token. */
  private async chosen(run: Run, factor: string): Promise<Answer> {
    const method = FACTOR_WORDS.get(factor);
    if (method) return this.started(run, await this.start(run, method));
    const started = await this.startCodeMethod(run);
    return this.verify(run, started.challengeId, factor);
  }

  /** A code typed without a challenge first comes from the app, or else from a hardware token. */
  private async startCodeMethod(run: Run): Promise<Started> {
    try {
      return await this.start(run, 'app');
    } catch (error) {
      if (error instanceof Refused && error.code === 'method-unavailable' && error.available.includes('oath')) {
        return this.start(run, 'oath');
      }
      throw error;
    }
  }

  /** A challenge just started: ask for its code, show the push's number, or wait for the call. */
  private async started(run: Run, started: Started): Promise<Answer> {
    switch (started.method) {
      case 'push':
        // R9 over RADIUS: the number goes to the gateway's screen; the app asks for it.
        return this.challenge(
          run,
          { kind: 'push', challengeId: started.challengeId },
          started.number === undefined
            ? `Open the app on ${started.destination} and approve the sign-in, then continue.`
            : `Open the app on ${started.destination} and enter ${started.number} to approve, then continue.`,
        );
      case 'voice':
        return this.await(run, started.challengeId);
      case 'sms':
        return this.challenge(run, { kind: 'code', challengeId: started.challengeId }, `Enter the code sent to ${started.destination}.`);
      case 'app':
        return this.challenge(run, { kind: 'code', challengeId: started.challengeId }, 'Enter the code from your authenticator app.');
      case 'oath':
        return this.challenge(run, { kind: 'code', challengeId: started.challengeId }, 'Enter the code from your hardware token.');
    }
  }

  private challenge(run: Run, step: Step, message: string): Answer {
    const kept: Step = run.grant.length ? { ...step, grant: run.grant } : step;
    return { kind: 'challenge', message, state: this.deps.sessions.openStep(kept, run.attempt.client.name, run.attempt.userName) };
  }

  private async verify(run: Run, challengeId: string, code: string): Promise<Answer> {
    if (!CODE_PATTERN.test(code)) return reject('bad_code', MESSAGES.badCode);
    return this.finished(run, await this.deps.tessera.verify(challengeId, code, this.within(run)));
  }

  /** A push or call: poll until it is answered or the request's deadline (waitSeconds after it arrived) comes. */
  private async await(run: Run, challengeId: string): Promise<Answer> {
    for (;;) {
      const outcome = await this.poll(run, challengeId);
      if (outcome.kind !== 'pending') return this.finished(run, outcome);
      if (this.deps.now() + this.deps.pollMs >= run.deadline) return reject('wait_timeout', MESSAGES.timeout);
      await this.deps.sleep(this.deps.pollMs);
    }
  }

  /** A poll that is throttled or does not get through changes nothing: the next one may (until the deadline). */
  private async poll(run: Run, challengeId: string): Promise<Outcome> {
    try {
      return await this.deps.tessera.status(challengeId, this.within(run));
    } catch (error) {
      if (error instanceof Refused && (error.code === 'retry-later' || error.code === 'unavailable')) return { kind: 'pending' };
      throw error;
    }
  }

  private finished(run: Run, outcome: Outcome): Answer {
    if (outcome.kind === 'approved') return run.grant.length ? { kind: 'accept', attributes: run.grant } : { kind: 'accept' };
    if (outcome.kind === 'pending') return reject('wait_timeout', MESSAGES.timeout);
    if (outcome.reason === 'wrong_code') return reject('wrong_code', MESSAGES.wrongCode);
    if (outcome.reason === 'timeout') return reject('timeout', MESSAGES.timeout);
    return reject(outcome.reason, MESSAGES.denied);
  }
}
