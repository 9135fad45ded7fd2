import fc from 'fast-check';
import { ROUTES, type RouteDefinition } from '../../shared/routes';
import { TestApi, type Reply, type Tenant } from '../support/runtime';

/*
 * R29, property-based: every route of shared/routes.ts (so a new route is fuzzed without a
 * change here), the local telephone and device simulators, with random bodies, headers, path
 * parameters, query strings, Unicode, huge and deeply nested JSON, wrong content types, and keys
 * of every kind. A request may be legitimately valid (then it is answered 2xx), but never 5xx;
 * a refusal is always problem+json; a request refused as malformed, unauthenticated, forbidden or
 * not found changes no table; without a valid key of the route's scope nothing is ever 2xx.
 *
 * Reproduce a failure with the seed fast-check prints: TESSERA_FUZZ_SEED=<seed> npx jest test/integration/fuzz.test.ts
 * Fuzz harder: TESSERA_FUZZ_RUNS=200 (default 8 per route).
 */

const seed = process.env.TESSERA_FUZZ_SEED ? Number(process.env.TESSERA_FUZZ_SEED) : undefined;
const numRuns = Number(process.env.TESSERA_FUZZ_RUNS ?? 8);
const params = { numRuns, endOnFailure: true, ...(seed === undefined ? {} : { seed }) };

/** Refusals after which every table must be exactly as before (R29: "changes nothing"), but for the auth-log line of the refused attempt (R23). */
const REFUSED_UNCHANGED = new Set([400, 401, 403, 404, 405, 413, 415]);

let api: TestApi;
let tenant: Tenant;
let revoked: { admin: string; auth: string };

beforeAll(async () => {
  api = await TestApi.start();
  tenant = await api.createTenant('Fuzzed');
  await api.putUser(tenant, 'alice', '+14155550100');
  const revoke = async (scope: 'auth' | 'admin') => {
    const made = await api.request('POST', '/v1/admin/api-keys', { key: tenant.adminKey, body: { name: `revoked ${scope}`, scope } });
    await api.request('DELETE', `/v1/admin/api-keys/${made.body.keyId as string}`, { key: tenant.adminKey });
    return made.body.key as string;
  };
  revoked = { admin: await revoke('admin'), auth: await revoke('auth') };
});

afterAll(() => api.stop());

type KeyKind = 'right-scope' | 'wrong-scope' | 'revoked' | 'garbage' | 'forged' | 'none';

function keyOf(kind: KeyKind, scope: RouteDefinition['scope'], garbage: string): string | undefined {
  const right = scope === 'admin' ? tenant.adminKey : scope === 'auth' ? tenant.authKey : scope === 'operator' ? api.runtime.operatorKey : undefined;
  switch (kind) {
    case 'right-scope':
      return right;
    case 'wrong-scope':
      return scope === 'admin' ? tenant.authKey : tenant.adminKey;
    case 'revoked':
      return scope === 'auth' ? revoked.auth : revoked.admin;
    case 'forged':
      return right ? `${right.slice(0, -6)}AAAAAA` : `${tenant.adminKey.slice(0, -6)}AAAAAA`;
    case 'garbage':
      return garbage;
    case 'none':
      return undefined;
  }
}

/** Header-safe text (fetch refuses control characters and anything beyond Latin-1). */
const headerText = fc.string({ unit: fc.constantFrom(...'abcXYZ019_-.:;/=+ ,"\'*%~!tsr'.split('')), maxLength: 200 });

const unicode = fc.string({ unit: 'grapheme', maxLength: 80 });

/** Path parameters: ids of the wrong shape, Unicode, separators, NUL, very long, or plausible. */
const pathParam = fc.oneof(
  unicode,
  fc.string({ maxLength: 40 }),
  fc.constantFrom('', '.', '..', '%00', 'a\u0000b', '../../v1/admin/users', 'ch_AAAAAAAAAAAAAAAAAAAAAA', 'alice', '💩', '\u202e', 'null', '-1', 'SN-1'),
  fc.string({ minLength: 200, maxLength: 2000 }),
);

/**
 * Bodies, as small descriptions (so a counterexample prints short) turned into bytes when sent:
 * random JSON values and objects, Unicode, malformed text, raw bytes, huge and deeply nested
 * documents (as text: JSON.stringify of the real thing would overflow), or none.
 */
type Body =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'bytes'; readonly bytes: Uint8Array }
  | { readonly kind: 'deep'; readonly depth: number; readonly arrays: boolean }
  | { readonly kind: 'huge'; readonly bytes: number }
  | { readonly kind: 'none' };

/** Values a real request would carry, so that near-valid bodies reach past the schema into the handlers. */
const plausible = fc.oneof(
  fc.constantFrom('alice', 'nobody', 'sms', 'voice', 'push', 'app', 'oath', 'auth', 'admin', '123456', '12345678', '+14155550100', '+33612345678', 'per_user', 'per_authentication', 'ch_AAAAAAAAAAAAAAAAAAAAAA', 'SN-1'),
  fc.boolean(),
  fc.integer({ min: -1, max: 100_000 }),
  unicode,
);
const nearValid = fc
  .dictionary(
    fc.constantFrom('userId', 'method', 'code', 'name', 'scope', 'mfaEnabled', 'phones', 'billingModel', 'directoryId', 'graceSeconds', 'password', 'firstCode', 'secondCode', 'reason', 'context', 'callerId', 'activationCode', 'deviceId', 'decision', 'number', 'signature'),
    fc.oneof(plausible, fc.dictionary(fc.constantFrom('primary', 'backup', 'clientIp', 'appName', 'location'), fc.oneof(plausible, fc.array(plausible, { maxLength: 3 })))),
    { maxKeys: 4 },
  )
  .map((v): Body => ({ kind: 'text', text: JSON.stringify(v) }));

/** A valid body per route, for the mutations below; routes without one start from {}. */
const EXAMPLES: Record<string, Record<string, unknown>> = {
  'POST /v1/challenges': { userId: 'alice', method: 'sms', context: { clientIp: '203.0.113.7', appName: 'VPN' } },
  'POST /v1/challenges/{challengeId}/verify': { code: '123456' },
  'PUT /v1/admin/users/{userId}': { mfaEnabled: true, phones: { primary: '+14155550100', backup: [] } },
  'PATCH /v1/admin/users/{userId}': { mfaEnabled: false },
  'POST /v1/admin/users/{userId}/block': { reason: 'lost phone' },
  'POST /v1/admin/users/{userId}/authenticator/confirm': { code: '123456' },
  'POST /v1/admin/users/{userId}/app-passwords': { name: 'mail' },
  'POST /v1/app-passwords/verify': { userId: 'alice', password: 'abcd-efgh-jkmn-pqrs' },
  'POST /v1/admin/oath-tokens/{serial}/assign': { userId: 'alice' },
  'POST /v1/admin/oath-tokens/{serial}/resync': { firstCode: '123456', secondCode: '654321' },
  'PUT /v1/admin/provider': { billingModel: 'per_user' },
  'PATCH /v1/admin/settings': { appPasswordsAllowed: true },
  'POST /v1/admin/api-keys': { name: 'portal', scope: 'auth' },
  'POST /v1/admin/api-keys/{keyId}/rotate': { graceSeconds: 60 },
  'POST /v1/operator/tenants': { name: 'Fuzz', provider: { billingModel: 'per_authentication' } },
  'POST /v1/push/activate': { activationCode: 'abcd-efgh-jkmn' },
};

/** One route's example with one to three fields set to plausible or odd values, or removed. */
const mutatedExample = (route: string): fc.Arbitrary<Body> =>
  fc
    .array(
      fc.tuple(
        fc.oneof({ arbitrary: fc.constantFrom(...Object.keys(EXAMPLES[route] ?? { userId: 0 })), weight: 3 }, { arbitrary: fc.constantFrom('userId', 'code', 'tenantId', 'extra'), weight: 1 }),
        fc.option(plausible, { nil: undefined, freq: 4 }),
      ),
      { minLength: 1, maxLength: 2 },
    )
    .map((changes): Body => {
      const value: Record<string, unknown> = { ...(EXAMPLES[route] ?? {}) };
      for (const [field, replacement] of changes) {
        if (replacement === undefined) delete value[field];
        else value[field] = replacement;
      }
      return { kind: 'text', text: JSON.stringify(value) };
    });

const bodyFor = (route: string): fc.Arbitrary<Body> => fc.oneof({ arbitrary: mutatedExample(route), weight: 1 }, { arbitrary: body, weight: 1 });

const body: fc.Arbitrary<Body> = fc.oneof(
  { arbitrary: nearValid, weight: 4 },
  { arbitrary: fc.jsonValue({ maxDepth: 4 }).map((v): Body => ({ kind: 'text', text: JSON.stringify(v) })), weight: 3 },
  {
    arbitrary: fc
      .dictionary(fc.oneof(unicode, fc.constantFrom('userId', 'code', 'method', 'tenantId', 'name', 'scope', 'phones', '__proto__', 'constructor')), fc.jsonValue({ maxDepth: 3 }))
      .map((v): Body => ({ kind: 'text', text: JSON.stringify(v) })),
    weight: 4,
  },
  { arbitrary: unicode.map((text): Body => ({ kind: 'text', text })), weight: 2 },
  { arbitrary: fc.uint8Array({ maxLength: 300 }).map((bytes): Body => ({ kind: 'bytes', bytes })), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('deep' as const), depth: fc.integer({ min: 100, max: 20_000 }), arrays: fc.boolean() }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('huge' as const), bytes: fc.constantFrom(64 * 1024, 300 * 1024, 1100 * 1024) }), weight: 1 },
  { arbitrary: fc.constant<Body>({ kind: 'none' }), weight: 2 },
);

function bytesOf(b: Body): string | Uint8Array | undefined {
  switch (b.kind) {
    case 'text':
      return b.text;
    case 'bytes':
      return b.bytes;
    case 'deep':
      return b.arrays ? `${'['.repeat(b.depth)}${']'.repeat(b.depth)}` : `${'{"a":'.repeat(b.depth)}1${'}'.repeat(b.depth)}`;
    case 'huge':
      return JSON.stringify({ userId: 'alice', name: 'x'.repeat(b.bytes), items: [] });
    case 'none':
      return undefined;
  }
}

const contentType = fc.oneof(
  fc.constantFrom('application/json', 'application/json; charset=utf-8', 'application/problem+json', 'text/plain', 'text/csv', 'application/xml', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/octet-stream', 'application/json; charset=utf-16'),
  headerText,
  fc.constant(undefined),
);

const query = fc.dictionary(fc.string({ maxLength: 20 }), fc.oneof(unicode, fc.constantFrom('-1', '0', '1e309', 'NaN', '2026-13-45', 'x'.repeat(5000), 'true')), { maxKeys: 4 });

const extraHeaders = fc.dictionary(
  fc.constantFrom('idempotency-key', 'x-forwarded-for', 'accept', 'content-encoding', 'x-amz-date', 'origin', 'x-tenant-id'),
  headerText,
  { maxKeys: 3 },
);

const requestFor = (route: string) =>
  fc.record({
    keyKind: fc.constantFrom<KeyKind>('right-scope', 'right-scope', 'right-scope', 'wrong-scope', 'revoked', 'garbage', 'forged', 'none'),
    garbageKey: headerText,
    params: fc.array(pathParam, { minLength: 3, maxLength: 3 }),
    body: bodyFor(route),
    // Mostly JSON, so that bodies get past the content-type check.
    contentType: fc.oneof({ arbitrary: fc.constant('application/json'), weight: 2 }, { arbitrary: contentType, weight: 1 }),
    query,
    headers: extraHeaders,
  });

type Fuzzed = ReturnType<typeof requestFor> extends fc.Arbitrary<infer T> ? T : never;

function pathOf(route: RouteDefinition, values: readonly string[], query: Record<string, string>): string {
  let i = 0;
  const path = route.path.replace(/\{[^}]+\}/g, () => encodeURIComponent(values[i++] ?? ''));
  const search = new URLSearchParams(query).toString();
  return search ? `${path}?${search}` : path;
}

async function send(method: string, path: string, input: Fuzzed, key: string | undefined): Promise<Reply> {
  const response = await fetch(`${api.url}${path}`, {
    method,
    headers: {
      ...input.headers,
      ...(key !== undefined ? { authorization: `Bearer ${key}` } : {}),
      ...(input.contentType !== undefined ? { 'content-type': input.contentType } : {}),
    },
    ...(input.body.kind !== 'none' && method !== 'GET' ? { body: bytesOf(input.body) } : {}),
  });
  const text = await response.text();
  let parsed: Record<string, unknown> = {};
  // A public page (API reference) may answer HTML; every JSON answer and every problem must parse.
  if (text && (response.status >= 400 || /json/.test(response.headers.get('content-type') ?? ''))) {
    try {
      parsed = JSON.parse(text) as Record<string, unknown>;
    } catch {
      throw new Error(`${method} ${path} answered ${response.status} with a body that is not JSON: ${text.slice(0, 200)}`);
    }
  }
  return { status: response.status, headers: response.headers, body: parsed };
}

/**
 * The tables, as one string: compared after each request, so each refusal is checked on its own.
 * The request-rate windows (R6) are left out (`stateItems`): they count every request, refused
 * ones too, or a flood of bad requests would go unthrottled.
 */
const snapshot = async () => (await api.stateItems()).map((i) => JSON.stringify(i));

/** An auth-log line that records a refused attempt (R23: every attempt is logged, refusals too). */
function isRefusalLine(serialized: string): boolean {
  const { table, item } = JSON.parse(serialized) as { table: string; item: Record<string, { S?: string }> };
  return table === 'Logs' && item.event?.S !== undefined && item.result?.S !== undefined && item.result.S !== 'approved';
}

/** R29: a refusal changes nothing, but for the auth-log line that records it (R23). */
function expectUnchangedButRefusalLines(before: readonly string[], after: readonly string[]): void {
  const was = new Set(before);
  const is = new Set(after);
  expect(before.filter((i) => !is.has(i))).toEqual([]);
  expect(after.filter((i) => !was.has(i) && !isRefusalLine(i))).toEqual([]);
}

function expectWellFormed(label: string, reply: Reply): void {
  if (reply.status >= 500) throw new Error(`${label} answered ${reply.status}: ${JSON.stringify(reply.body)}`);
  if (reply.status >= 400) {
    expect(reply.headers.get('content-type')).toBe('application/problem+json');
    expect(reply.body).toMatchObject({ status: reply.status, title: expect.any(String), type: expect.stringMatching(/^urn:tessera:problem:/) });
  }
}

describe('R29 fuzzing every route', () => {
  it.each(ROUTES.map((route) => [`${route.method} ${route.path}`, route] as const))('%s', async (label, route) => {
    let before = await snapshot();
    await fc.assert(
      fc.asyncProperty(requestFor(label), async (input) => {
        const key = keyOf(input.keyKind, route.scope, input.garbageKey);
        const path = pathOf(route, input.params, input.query);
        const reply = await send(route.method, path, input, key);
        expectWellFormed(`${label} (${path.slice(0, 120)})`, reply);
        // R27 and keys: without a valid key of the route's scope, nothing but a refusal.
        if (route.scope !== 'public' && input.keyKind !== 'right-scope') expect([401, 403, 404, 405, 413]).toContain(reply.status);
        if (input.keyKind === 'revoked' || input.keyKind === 'forged' || input.keyKind === 'none') {
          // 404, 405: an odd parameter ("." or "..") made the URL another path; 413: refused before routing.
          if (route.scope !== 'public' && ![404, 405, 413].includes(reply.status)) expect(reply.status).toBe(401);
        }
        const after = await snapshot();
        if (REFUSED_UNCHANGED.has(reply.status)) expectUnchangedButRefusalLines(before, after);
        before = after;
      }),
      params,
    );
  });
});

/** The telephone and authenticator-app simulators of the local runtime (the device and telephony callbacks). */
const SIMULATOR_ROUTES = [
  { method: 'GET', path: '/local/phone/{number}' },
  { method: 'PUT', path: '/local/phone/{number}/script' },
  { method: 'POST', path: '/local/phone/{number}/answer' },
  { method: 'GET', path: '/local/devices/{deviceId}/pending' },
  { method: 'POST', path: '/local/devices/{deviceId}/respond' },
] as const;

describe('R29 fuzzing the local telephone and device callbacks', () => {
  it.each(SIMULATOR_ROUTES.map((route) => [`${route.method} ${route.path}`, route] as const))('%s', async (label, route) => {
    let before = await snapshot();
    await fc.assert(
      fc.asyncProperty(requestFor(label), fc.boolean(), async (input, realNumber) => {
        const values = realNumber && route.path.startsWith('/local/phone/') ? ['+14155550100'] : input.params;
        const path = pathOf({ ...route, handler: 'jwks', scope: 'public' }, values, input.query);
        const reply = await send(route.method, path, input, undefined);
        expectWellFormed(`${label} (${path.slice(0, 120)})`, reply);
        const after = await snapshot();
        if (REFUSED_UNCHANGED.has(reply.status)) expectUnchangedButRefusalLines(before, after);
        before = after;
      }),
      params,
    );
  });
});
