import type * as z from 'zod';
import type { ROUTE_DOCS } from '../api/docs';
import type { ROUTE_INPUTS, RouteKey } from '../schemas/routes';

/**
 * A typed client for Tessera's HTTP API, for relying apps (auth key), tenant admins (admin key)
 * and the operator. Thin over the OpenAPI document's source: request and answer types are
 * inferred from the same zod schemas the handlers check, and only types are imported, so the
 * client needs nothing at run time but `fetch` (browsers, Node 18+, Deno, Bun).
 */

export type { RouteKey };

type Inputs<K extends RouteKey> = (typeof ROUTE_INPUTS)[K];
type Docs<K extends RouteKey> = (typeof ROUTE_DOCS)[K];
type Empty = Record<never, never>;

type ParamsPart<K extends RouteKey> = Inputs<K> extends { params: infer P extends Record<string, z.core.$ZodType> } ? { params: { [N in keyof P]: z.input<P[N]> } } : Empty;
type QueryPart<K extends RouteKey> = Inputs<K> extends { query: infer Q extends z.core.$ZodType } ? { query?: z.input<Q> } : Empty;
type BodyPart<K extends RouteKey> = Inputs<K> extends { body: infer B extends z.core.$ZodType }
  ? undefined extends z.input<B>
    ? { body?: z.input<B> }
    : { body: z.input<B> }
  : Inputs<K> extends { text: { contentTypes: infer T extends readonly string[] } }
    ? { text: string; contentType: T[number] }
    : Empty;
type HeadersPart<K extends RouteKey> = Inputs<K> extends { headers: infer H } ? { headers?: { [N in keyof H]?: string } } : Empty;

/** What a call of route K takes: path parameters, query, body (or text upload) and headers, as the API checks them. */
export type RequestOf<K extends RouteKey> = ParamsPart<K> & QueryPart<K> & BodyPart<K> & HeadersPart<K>;

type Answer<R> = R extends { schema: infer S } ? (S extends z.core.$ZodType ? z.output<S> : undefined) : never;
/** What route K answers on success (the union over its 2xx statuses; undefined for 204). */
export type ResponseOf<K extends RouteKey> = { [S in keyof Docs<K>['responses']]: Answer<Docs<K>['responses'][S]> }[keyof Docs<K>['responses']];

/** An RFC 9457 problem, as every error is answered. */
export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail?: string;
  readonly errors?: readonly { readonly pointer?: string; readonly detail: string }[];
  readonly [extension: string]: unknown;
}

const PROBLEM_PREFIX = 'urn:tessera:problem:';

/** A non-2xx answer. `code` is Tessera's problem slug (`wrong-code`, `challenge-locked`, …), or the type of another problem. */
export class TesseraError extends Error {
  readonly code: string;
  constructor(
    readonly status: number,
    readonly problem: Problem,
    /** Seconds to wait, from Retry-After (429). */
    readonly retryAfter?: number,
  ) {
    super(`${status} ${problem.title}${problem.detail ? `: ${problem.detail}` : ''}`);
    this.name = 'TesseraError';
    this.code = problem.type.startsWith(PROBLEM_PREFIX) ? problem.type.slice(PROBLEM_PREFIX.length) : problem.type;
  }
}

export interface TesseraClientOptions {
  /** Where the API is, e.g. `https://mfa.example.com` or the local runtime's URL. */
  readonly baseUrl: string;
  /** An `auth` key (relying app), an `admin` key (console) or the operator key; public routes need none. */
  readonly apiKey?: string;
  /** Another fetch (tests, proxies); the global one by default. */
  readonly fetch?: typeof fetch;
}

type Args<K extends RouteKey> = Empty extends RequestOf<K> ? [request?: RequestOf<K>] : [request: RequestOf<K>];

type Challenge = ResponseOf<'GET /v1/challenges/{challengeId}'>;

/** The browser's RegistrationResponseJSON (`startRegistration` of @simplewebauthn/browser), as the API takes it. */
export type PasskeyRegistration = NonNullable<RequestOf<'POST /v1/passkeys/registrations/{registrationId}'>['body']>['response'];
/** The browser's AuthenticationResponseJSON (`startAuthentication` of @simplewebauthn/browser), as the API takes it. */
export type PasskeyAssertion = Extract<RequestOf<'POST /v1/challenges/{challengeId}/verify'>['body'], { credential: unknown }>['credential'];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Creates a client. `call` reaches any route by its key; the named methods cover the common ones. */
export function createTesseraClient(options: TesseraClientOptions) {
  const base = options.baseUrl.replace(/\/+$/, '');
  const doFetch = options.fetch ?? ((input: string, init?: RequestInit) => fetch(input, init));

  async function call<K extends RouteKey>(route: K, ...[request]: Args<K>): Promise<ResponseOf<K>> {
    const r = (request ?? {}) as { params?: Record<string, string>; query?: Record<string, unknown>; body?: unknown; text?: string; contentType?: string; headers?: Record<string, string | undefined> };
    const space = route.indexOf(' ');
    const method = route.slice(0, space);
    const path = route.slice(space + 1).replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(String(r.params?.[name] ?? '')));
    const query = new URLSearchParams();
    for (const [name, value] of Object.entries(r.query ?? {})) if (value !== undefined && value !== null) query.set(name, String(value));
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(r.headers ?? {})) if (value !== undefined) headers[name] = value;
    if (options.apiKey) headers.authorization = `Bearer ${options.apiKey}`;
    let body: string | undefined;
    if (r.text !== undefined) {
      body = r.text;
      headers['content-type'] = r.contentType ?? 'text/plain';
    } else if (r.body !== undefined) {
      body = JSON.stringify(r.body);
      headers['content-type'] = 'application/json';
    }
    const response = await doFetch(`${base}${path}${query.size ? `?${query}` : ''}`, { method, headers, ...(body === undefined ? {} : { body }) });
    const text = await response.text();
    let parsed: unknown = undefined;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // Not JSON: a proxy's error page, say. An error still becomes a TesseraError below.
      if (response.ok) throw new TesseraError(response.status, { type: 'about:blank', title: 'The answer is not JSON', status: response.status });
    }
    if (!response.ok) {
      const isProblem = typeof parsed === 'object' && parsed !== null && typeof (parsed as Problem).type === 'string';
      const problem = isProblem ? (parsed as Problem) : { type: 'about:blank', title: response.statusText || `HTTP ${response.status}`, status: response.status };
      const retryAfter = response.headers.get('retry-after');
      throw new TesseraError(response.status, problem, retryAfter ? Number(retryAfter) : undefined);
    }
    return parsed as ResponseOf<K>;
  }

  const user = (userId: string) => ({ params: { userId } });

  return {
    call,
    /** Relying apps (auth key): start a challenge, verify its code, poll voice and push. */
    challenges: {
      create: (body: RequestOf<'POST /v1/challenges'>['body'], idempotencyKey?: string) =>
        call('POST /v1/challenges', { body, ...(idempotencyKey ? { headers: { 'Idempotency-Key': idempotencyKey } } : {}) }),
      get: (challengeId: string) => call('GET /v1/challenges/{challengeId}', { params: { challengeId } }),
      verify: (challengeId: string, code: string) => call('POST /v1/challenges/{challengeId}/verify', { params: { challengeId }, body: { code } }),
      /** A passkey challenge: the browser's AuthenticationResponseJSON (`startAuthentication` of @simplewebauthn/browser) instead of a code. */
      verifyPasskey: (challengeId: string, credential: PasskeyAssertion) => call('POST /v1/challenges/{challengeId}/verify', { params: { challengeId }, body: { credential } }),
      resend: (challengeId: string) => call('POST /v1/challenges/{challengeId}/resend', { params: { challengeId } }),
      /** Polls a voice or push challenge until it is no longer pending (or `timeoutMs` passes). */
      async waitUntilDone(challengeId: string, { intervalMs = 1000, timeoutMs = 120_000, onUpdate }: { intervalMs?: number; timeoutMs?: number; onUpdate?: (c: Challenge) => void } = {}): Promise<Challenge> {
        const deadline = Date.now() + timeoutMs;
        for (;;) {
          const challenge = await call('GET /v1/challenges/{challengeId}', { params: { challengeId } });
          onUpdate?.(challenge);
          if (challenge.status !== 'pending' || Date.now() >= deadline) return challenge;
          await sleep(intervalMs);
        }
      },
    },
    appPasswords: {
      verify: (userId: string, password: string) => call('POST /v1/app-passwords/verify', { body: { userId, password } }),
    },
    /** Relying apps: add a passkey to a user (`challengeId`: a fresh approved challenge, once the user has a method). */
    passkeys: {
      startRegistration: (userId: string, challengeId?: string) => call('POST /v1/passkeys/registrations', { body: { userId, ...(challengeId ? { challengeId } : {}) } }),
      finishRegistration: (registrationId: string, response: PasskeyRegistration, name?: string) =>
        call('POST /v1/passkeys/registrations/{registrationId}', { params: { registrationId }, body: { response, ...(name ? { name } : {}) } }),
    },
    /** Relying apps: remember a device after an approved challenge, and ask later whether it still is. */
    rememberedDevices: {
      remember: (challengeId: string, binding: string) => call('POST /v1/remembered-devices', { body: { challengeId, binding } }),
      check: (userId: string, token: string, binding: string) => call('POST /v1/remembered-devices/check', { body: { userId, token, binding } }),
    },
    /** Relying apps: ten new recovery codes for a user, shown once (`challengeId`: a fresh approved challenge, once the user has a method). */
    recoveryCodes: {
      generate: (userId: string, challengeId?: string) => call('POST /v1/recovery-codes', { body: { userId, ...(challengeId ? { challengeId } : {}) } }),
    },
    /** Relying apps: register an authenticator app or phones for a user (`challengeId`: a fresh approved challenge, once the user has a method). */
    authenticators: {
      enroll: (userId: string, challengeId?: string) => call('POST /v1/authenticators', { body: { userId, ...(challengeId ? { challengeId } : {}) } }),
      confirm: (userId: string, enrollmentId: string, code: string) => call('POST /v1/authenticators/confirm', { body: { userId, enrollmentId, code } }),
    },
    phones: {
      set: (userId: string, phones: { primary: string; backup?: string[] }, challengeId?: string) =>
        call('PUT /v1/phones', { body: { userId, ...phones, ...(challengeId ? { challengeId } : {}) } }),
    },
    jwks: () => call('GET /.well-known/jwks.json'),
    /** Tenant admins (admin key): the console API. */
    admin: {
      users: {
        list: (query?: RequestOf<'GET /v1/admin/users'>['query']) => call('GET /v1/admin/users', { ...(query ? { query } : {}) }),
        get: (userId: string) => call('GET /v1/admin/users/{userId}', user(userId)),
        put: (userId: string, body: RequestOf<'PUT /v1/admin/users/{userId}'>['body']) => call('PUT /v1/admin/users/{userId}', { ...user(userId), body }),
        patch: (userId: string, body: RequestOf<'PATCH /v1/admin/users/{userId}'>['body']) => call('PATCH /v1/admin/users/{userId}', { ...user(userId), body }),
        delete: (userId: string) => call('DELETE /v1/admin/users/{userId}', user(userId)),
        reset: (userId: string) => call('POST /v1/admin/users/{userId}/reset', user(userId)),
        block: (userId: string, reason?: string) => call('POST /v1/admin/users/{userId}/block', { ...user(userId), ...(reason ? { body: { reason } } : {}) }),
        unblock: (userId: string) => call('POST /v1/admin/users/{userId}/unblock', user(userId)),
        clearThrottling: (userId: string) => call('DELETE /v1/admin/users/{userId}/throttling', user(userId)),
        importCsv: (csv: string) => call('POST /v1/admin/users:import', { text: csv, contentType: 'text/csv' }),
        pushActivation: (userId: string) => call('POST /v1/admin/users/{userId}/push-activations', user(userId)),
        enrollAuthenticator: (userId: string) => call('POST /v1/admin/users/{userId}/authenticator', user(userId)),
        confirmAuthenticator: (userId: string, code: string) => call('POST /v1/admin/users/{userId}/authenticator/confirm', { ...user(userId), body: { code } }),
        removeAuthenticator: (userId: string) => call('DELETE /v1/admin/users/{userId}/authenticator', user(userId)),
      },
      /** R19/R22 bulk jobs: create (an import's upload URL), start, poll, cancel, download the report or export. */
      jobs: {
        create: (body: RequestOf<'POST /v1/admin/jobs'>['body']) => call('POST /v1/admin/jobs', { body }),
        get: (jobId: string) => call('GET /v1/admin/jobs/{jobId}', { params: { jobId } }),
        start: (jobId: string) => call('POST /v1/admin/jobs/{jobId}/start', { params: { jobId } }),
        cancel: (jobId: string) => call('POST /v1/admin/jobs/{jobId}/cancel', { params: { jobId } }),
        download: (jobId: string) => call('GET /v1/admin/jobs/{jobId}/download', { params: { jobId } }),
      },
      passkeys: {
        startRegistration: (userId: string) => call('POST /v1/admin/users/{userId}/passkeys/registrations', user(userId)),
        finishRegistration: (userId: string, registrationId: string, response: PasskeyRegistration, name?: string) =>
          call('POST /v1/admin/users/{userId}/passkeys/registrations/{registrationId}', { params: { userId, registrationId }, body: { response, ...(name ? { name } : {}) } }),
        list: (userId: string) => call('GET /v1/admin/users/{userId}/passkeys', user(userId)),
        rename: (userId: string, passkeyId: string, name: string) => call('PATCH /v1/admin/users/{userId}/passkeys/{passkeyId}', { params: { userId, passkeyId }, body: { name } }),
        delete: (userId: string, passkeyId: string) => call('DELETE /v1/admin/users/{userId}/passkeys/{passkeyId}', { params: { userId, passkeyId } }),
      },
      rememberedDevices: {
        list: (userId: string) => call('GET /v1/admin/users/{userId}/remembered-devices', user(userId)),
        revokeAll: (userId: string) => call('DELETE /v1/admin/users/{userId}/remembered-devices', user(userId)),
      },
      recoveryCodes: {
        regenerate: (userId: string) => call('POST /v1/admin/users/{userId}/recovery-codes', user(userId)),
        status: (userId: string) => call('GET /v1/admin/users/{userId}/recovery-codes', user(userId)),
      },
      accessPasses: {
        issue: (userId: string, pass: { lifetimeMinutes: number; oneTime: boolean; startsAt?: string }) =>
          call('POST /v1/admin/users/{userId}/access-passes', { ...user(userId), body: pass }),
        list: (userId: string) => call('GET /v1/admin/users/{userId}/access-passes', user(userId)),
        revoke: (userId: string, passId: string) => call('DELETE /v1/admin/users/{userId}/access-passes/{passId}', { params: { userId, passId } }),
      },
      appPasswords: {
        create: (userId: string, name: string) => call('POST /v1/admin/users/{userId}/app-passwords', { ...user(userId), body: { name } }),
        list: (userId: string) => call('GET /v1/admin/users/{userId}/app-passwords', user(userId)),
        deleteAll: (userId: string) => call('DELETE /v1/admin/users/{userId}/app-passwords', user(userId)),
        delete: (userId: string, passwordId: string) => call('DELETE /v1/admin/users/{userId}/app-passwords/{passwordId}', { params: { userId, passwordId } }),
      },
      oathTokens: {
        import: (text: string, format: 'csv' | 'pskc', pskcKey?: string) =>
          call('POST /v1/admin/oath-tokens:import', {
            text,
            contentType: format === 'csv' ? 'text/csv' : 'application/pskc+xml',
            ...(pskcKey ? { headers: { 'Tessera-PSKC-Key': pskcKey } } : {}),
          }),
        list: (query?: RequestOf<'GET /v1/admin/oath-tokens'>['query']) => call('GET /v1/admin/oath-tokens', { ...(query ? { query } : {}) }),
        assign: (serial: string, userId: string) => call('POST /v1/admin/oath-tokens/{serial}/assign', { params: { serial }, body: { userId } }),
        unassign: (serial: string) => call('POST /v1/admin/oath-tokens/{serial}/unassign', { params: { serial } }),
      },
      provider: {
        get: () => call('GET /v1/admin/provider'),
        put: (body: RequestOf<'PUT /v1/admin/provider'>['body']) => call('PUT /v1/admin/provider', { body }),
        delete: () => call('DELETE /v1/admin/provider'),
      },
      settings: {
        get: () => call('GET /v1/admin/settings'),
        patch: (body: RequestOf<'PATCH /v1/admin/settings'>['body']) => call('PATCH /v1/admin/settings', { body }),
      },
      apiKeys: {
        list: () => call('GET /v1/admin/api-keys'),
        create: (body: RequestOf<'POST /v1/admin/api-keys'>['body']) => call('POST /v1/admin/api-keys', { body }),
        revoke: (keyId: string) => call('DELETE /v1/admin/api-keys/{keyId}', { params: { keyId } }),
      },
      authLogs: (query?: RequestOf<'GET /v1/admin/auth-logs'>['query']) => call('GET /v1/admin/auth-logs', { ...(query ? { query } : {}) }),
      usage: (month: string) => call('GET /v1/admin/usage', { query: { month } }),
      bill: (month: string) => call('GET /v1/admin/billing', { query: { month } }),
      notifications: () => call('GET /v1/admin/notifications'),
    },
    /** The operator key. */
    operator: {
      createTenant: (body: RequestOf<'POST /v1/operator/tenants'>['body']) => call('POST /v1/operator/tenants', { body }),
      setCallerIds: (tenantId: string, callerIds: string[]) =>
        call('PUT /v1/operator/tenants/{tenantId}/caller-ids', { params: { tenantId }, body: { callerIds } }),
    },
  };
}

export type TesseraClient = ReturnType<typeof createTesseraClient>;
