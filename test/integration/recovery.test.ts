/**
 * Recovery codes and Temporary Access Passes (issue 16) through the local HTTP runtime against
 * DynamoDB Local: sign-in checked against the JWKS, races on a code and on a one-time pass, the
 * pass's window at its edges on the local clock, every way they die, tenants on every new route,
 * no secret stored or logged, the per-user limit (R6), the admins told, and the step-up they give.
 * DynamoDB Local is this file's own and keeps its data in files, so the test can read them.
 */
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { expectProblem, type Reply, type Tenant, type TestApi } from '../support/runtime';
import { WitnessedRuntime } from '../support/witnessed-runtime';

let witnessed: WitnessedRuntime;
let api: TestApi;
let acme: Tenant;
let globex: Tenant;
let acmeAdminKeyId: string;
/** Every code and pass shown in this file: none may be found stored or logged. */
const secrets: string[] = [];

beforeAll(async () => {
  witnessed = await WitnessedRuntime.start();
  api = witnessed.api;
  acme = await api.createTenant('Acme');
  globex = await api.createTenant('Globex');
  const keys = await api.request('GET', '/v1/admin/api-keys', { key: acme.adminKey });
  acmeAdminKeyId = ((keys.body.items as { keyId: string; scope: string }[]).find((k) => k.scope === 'admin') as { keyId: string }).keyId;
}, 120_000);

afterAll(() => witnessed?.close());

const admin = (tenant: Tenant, method: string, path: string, body?: unknown) => api.request(method, path, { key: tenant.adminKey, ...(body === undefined ? {} : { body }) });
const auth = (tenant: Tenant, method: string, path: string, body?: unknown) => api.request(method, path, { key: tenant.authKey, ...(body === undefined ? {} : { body }) });

async function regenerate(tenant: Tenant, userId: string): Promise<string[]> {
  const reply = await admin(tenant, 'POST', `/v1/admin/users/${userId}/recovery-codes`);
  expect(reply.status).toBe(201);
  const codes = reply.body.codes as string[];
  secrets.push(...codes);
  return codes;
}

async function issue(tenant: Tenant, userId: string, body: Record<string, unknown> = { lifetimeMinutes: 60, oneTime: false }): Promise<{ passId: string; pass: string; startsAt: string; expiresAt: string }> {
  const reply = await admin(tenant, 'POST', `/v1/admin/users/${userId}/access-passes`, body);
  expect(reply.status).toBe(201);
  secrets.push(reply.body.pass as string);
  return reply.body as { passId: string; pass: string; startsAt: string; expiresAt: string };
}

async function open(tenant: Tenant, userId: string, method: 'recovery' | 'tap'): Promise<string> {
  const reply = await auth(tenant, 'POST', '/v1/challenges', { userId, method });
  expect(reply.status).toBe(201);
  return reply.body.challengeId as string;
}

const verify = (tenant: Tenant, challengeId: string, code: string) => auth(tenant, 'POST', `/v1/challenges/${challengeId}/verify`, { code });

async function signIn(tenant: Tenant, userId: string, method: 'recovery' | 'tap', code: string): Promise<Reply> {
  return verify(tenant, await open(tenant, userId, method), code);
}

describe('recovery codes', () => {
  it('sign in once each with an assertion whose amr is ["recovery"], the admins told every time, the count going down', async () => {
    const { userId } = await api.newUser(acme, 'rc');
    const codes = await regenerate(acme, userId);
    expect(codes).toHaveLength(10);
    expect((await admin(acme, 'GET', `/v1/admin/users/${userId}/recovery-codes`)).body).toMatchObject({ remaining: 10 });
    const ok = await signIn(acme, userId, 'recovery', codes[0] as string);
    expect(ok.status).toBe(200);
    const jwks = createRemoteJWKSet(new URL(`${api.runtime.url}/.well-known/jwks.json`));
    const { payload } = await jwtVerify(ok.body.assertion as string, jwks);
    expect(payload).toMatchObject({ sub: userId, amr: ['recovery'], mth: 'recovery', tid: acme.tenantId });
    expectProblem(await signIn(acme, userId, 'recovery', codes[0] as string), 422, 'wrong-code');
    expect((await admin(acme, 'GET', `/v1/admin/users/${userId}/recovery-codes`)).body).toMatchObject({ remaining: 9 });
    const notes = (await admin(acme, 'GET', '/v1/admin/notifications')).body.items as { type: string; userId: string }[];
    expect(notes.filter((n) => n.type === 'recovery_code_used' && n.userId === userId)).toHaveLength(1);
  });

  it('race: two challenges answered with the same code at once, exactly one approved', async () => {
    const { userId } = await api.newUser(acme, 'rcrace');
    const codes = await regenerate(acme, userId);
    const ids = [await open(acme, userId, 'recovery'), await open(acme, userId, 'recovery')];
    const replies = await Promise.all(ids.map((id) => verify(acme, id, codes[4] as string)));
    expect(replies.map((r) => r.status).sort()).toEqual([200, 422]);
    expect((await admin(acme, 'GET', `/v1/admin/users/${userId}/recovery-codes`)).body).toMatchObject({ remaining: 9 });
  });

  it('race: two regenerations at once store one set; the other is 409 and its codes never work (review)', async () => {
    const { userId } = await api.newUser(acme, 'rcregen');
    await regenerate(acme, userId);
    const replies = await Promise.all([1, 2].map(() => admin(acme, 'POST', `/v1/admin/users/${userId}/recovery-codes`)));
    for (const r of replies) if (r.status === 201) secrets.push(...(r.body.codes as string[]));
    expect(replies.map((r) => r.status).sort()).toEqual([201, 409]);
    expectProblem(replies.find((r) => r.status === 409) as Reply, 409, 'conflict');
    const won = (replies.find((r) => r.status === 201) as Reply).body.codes as string[];
    expect((await signIn(acme, userId, 'recovery', won[0] as string)).status).toBe(200);
    expect((await admin(acme, 'GET', `/v1/admin/users/${userId}/recovery-codes`)).body).toMatchObject({ remaining: 9 });
  });

  it('die when regenerated, reset, deleted and recreated, or blocked (even once unblocked)', async () => {
    const { userId, phone } = await api.newUser(acme, 'rcdie');
    const first = await regenerate(acme, userId);
    await regenerate(acme, userId);
    expectProblem(await signIn(acme, userId, 'recovery', first[0] as string), 422, 'wrong-code');

    expect((await admin(acme, 'POST', `/v1/admin/users/${userId}/reset`)).status).toBe(200);
    expectProblem(await auth(acme, 'POST', '/v1/challenges', { userId, method: 'recovery' }), 422, 'method-unavailable');
    expect((await admin(acme, 'GET', `/v1/admin/users/${userId}/recovery-codes`)).body).toEqual({ remaining: 0 });

    await regenerate(acme, userId);
    expect((await admin(acme, 'DELETE', `/v1/admin/users/${userId}`)).status).toBe(204);
    expect((await api.putUser(acme, userId, phone)).status).toBe(201);
    expectProblem(await auth(acme, 'POST', '/v1/challenges', { userId, method: 'recovery' }), 422, 'method-unavailable');

    await regenerate(acme, userId);
    expect((await admin(acme, 'POST', `/v1/admin/users/${userId}/block`, { reason: 'lost phone' })).status).toBe(200);
    expectProblem(await auth(acme, 'POST', '/v1/challenges', { userId, method: 'recovery' }), 403, 'user-blocked');
    expectProblem(await admin(acme, 'POST', `/v1/admin/users/${userId}/recovery-codes`), 403, 'user-blocked');
    expect((await admin(acme, 'POST', `/v1/admin/users/${userId}/unblock`)).status).toBe(200);
    expectProblem(await auth(acme, 'POST', '/v1/challenges', { userId, method: 'recovery' }), 422, 'method-unavailable');
    await api.advanceClock(1);
    const fresh = await regenerate(acme, userId);
    expect((await signIn(acme, userId, 'recovery', fresh[0] as string)).status).toBe(200);
  });

  it('from a relying app: a step-up once the user has a method (used once); an approved access pass is one', async () => {
    const { userId } = await api.newUser(acme, 'rcapp');
    expectProblem(await auth(acme, 'POST', '/v1/recovery-codes', { userId }), 403, 'step-up-required');
    const { pass } = await issue(acme, userId);
    const tap = await open(acme, userId, 'tap');
    expect((await verify(acme, tap, pass)).status).toBe(200);
    const made = await auth(acme, 'POST', '/v1/recovery-codes', { userId, challengeId: tap });
    expect(made.status).toBe(201);
    secrets.push(...(made.body.codes as string[]));
    expectProblem(await auth(acme, 'POST', '/v1/recovery-codes', { userId, challengeId: tap }), 403, 'step-up-required');
    // A user with nothing registered needs none.
    expect((await admin(acme, 'PUT', '/v1/admin/users/bare-rc', { mfaEnabled: true, phones: {} })).status).toBe(201);
    const bare = await auth(acme, 'POST', '/v1/recovery-codes', { userId: 'bare-rc' });
    expect(bare.status).toBe(201);
    secrets.push(...(bare.body.codes as string[]));
    expect((await signIn(acme, 'bare-rc', 'recovery', (bare.body.codes as string[])[0] as string)).status).toBe(200);
  });
});

describe('Temporary Access Passes', () => {
  it('are listed without the secret, with who issued them; the auth log names the pass and that admin key', async () => {
    const { userId } = await api.newUser(acme, 'tap');
    const { passId, pass } = await issue(acme, userId, { lifetimeMinutes: 10, oneTime: false });
    const listed = await admin(acme, 'GET', `/v1/admin/users/${userId}/access-passes`);
    expect(listed.body.items).toEqual([expect.objectContaining({ passId, oneTime: false, state: 'active', uses: 0, createdBy: acmeAdminKeyId })]);
    expect(JSON.stringify(listed.body)).not.toContain(pass);
    const ok = await signIn(acme, userId, 'tap', pass);
    expect(ok.status).toBe(200);
    expect((await jwtVerify(ok.body.assertion as string, createRemoteJWKSet(new URL(`${api.runtime.url}/.well-known/jwks.json`)))).payload).toMatchObject({ amr: ['tap'] });
    expect((await signIn(acme, userId, 'tap', pass)).status).toBe(200);
    const logs = await admin(acme, 'GET', `/v1/admin/auth-logs?userId=${userId}&method=tap`);
    const approved = (logs.body.items as { result: string; deviceToken?: string }[]).filter((l) => l.result === 'approved');
    expect(approved).toHaveLength(2);
    expect(approved[0]?.deviceToken).toBe(`access pass ${passId} issued by ${acmeAdminKeyId}`);
    expect((await admin(acme, 'GET', `/v1/admin/users/${userId}/access-passes`)).body.items).toEqual([expect.objectContaining({ uses: 2 })]);
  });

  it('race: a one-time pass answered by two challenges at once, exactly one approved', async () => {
    const { userId } = await api.newUser(acme, 'taprace');
    const { pass } = await issue(acme, userId, { lifetimeMinutes: 10, oneTime: true });
    const ids = [await open(acme, userId, 'tap'), await open(acme, userId, 'tap')];
    const replies = await Promise.all(ids.map((id) => verify(acme, id, pass)));
    expect(replies.map((r) => r.status).sort()).toEqual([200, 422]);
    expectProblem(await auth(acme, 'POST', '/v1/challenges', { userId, method: 'tap' }), 422, 'method-unavailable');
  });

  it('race: eight issued at once keep the cap of five live passes (review)', async () => {
    const { userId } = await api.newUser(acme, 'tapcap');
    const replies = await Promise.all(Array.from({ length: 8 }, () => admin(acme, 'POST', `/v1/admin/users/${userId}/access-passes`, { lifetimeMinutes: 10, oneTime: true })));
    for (const r of replies) if (r.status === 201) secrets.push(r.body.pass as string);
    expect(replies.map((r) => r.status).sort()).toEqual([201, 201, 201, 201, 201, 409, 409, 409]);
    expect((await admin(acme, 'GET', `/v1/admin/users/${userId}/access-passes`)).body.items).toHaveLength(5);
  });

  it.each([
    ['a lifetime under 10 minutes', { lifetimeMinutes: 9, oneTime: true }],
    ['a lifetime over 30 days', { lifetimeMinutes: 43_201, oneTime: true }],
    ['no oneTime', { lifetimeMinutes: 60 }],
    ['a start that is not a time', { lifetimeMinutes: 60, oneTime: true, startsAt: 'tomorrow' }],
    ['an unknown field', { lifetimeMinutes: 60, oneTime: true, pass: 'mine' }],
  ])('refuses %s with a 400 and issues nothing', async (_name, body) => {
    const { userId } = await api.newUser(acme, 'tapbad');
    expectProblem(await admin(acme, 'POST', `/v1/admin/users/${userId}/access-passes`, body), 400, 'validation-failed');
    expect((await admin(acme, 'GET', `/v1/admin/users/${userId}/access-passes`)).body.items).toEqual([]);
  });

  it('takes the longest lifetime, and refuses a start more than 30 days ahead', async () => {
    const { userId } = await api.newUser(acme, 'taplong');
    const now = await api.clockNow();
    const longest = await issue(acme, userId, { lifetimeMinutes: 43_200, oneTime: true });
    expect(Date.parse(longest.expiresAt) - Date.parse(longest.startsAt)).toBe(30 * 86_400_000);
    expect(Date.parse(longest.startsAt)).toBeGreaterThanOrEqual(now);
    const far = new Date(now + 31 * 86_400_000).toISOString();
    expectProblem(await admin(acme, 'POST', `/v1/admin/users/${userId}/access-passes`, { lifetimeMinutes: 10, oneTime: true, startsAt: far }), 400, 'validation-failed');
  });

  describe('on a frozen local clock', () => {
    beforeAll(() => api.freezeClock(true));
    afterAll(() => api.freezeClock(false));

    it('work from their start to their expiry, to the second', async () => {
      const { userId } = await api.newUser(acme, 'tapclock');
      const now = await api.clockNow();
      const { pass, startsAt, expiresAt } = await issue(acme, userId, { lifetimeMinutes: 10, oneTime: false, startsAt: new Date(now + 60_000).toISOString() });
      expect(Date.parse(startsAt)).toBe(now + 60_000);
      expect(Date.parse(expiresAt)).toBe(now + 60_000 + 600_000);
      await api.advanceClock(59);
      expectProblem(await auth(acme, 'POST', '/v1/challenges', { userId, method: 'tap' }), 422, 'method-unavailable');
      expect((await admin(acme, 'GET', `/v1/admin/users/${userId}/access-passes`)).body.items).toEqual([expect.objectContaining({ state: 'not_started' })]);
      await api.advanceClock(1);
      expect((await signIn(acme, userId, 'tap', pass)).status).toBe(200);
      // Two challenges opened late in the window: one answered a second before the end, one at it.
      await api.advanceClock(540);
      const [before, at] = [await open(acme, userId, 'tap'), await open(acme, userId, 'tap')];
      await api.advanceClock(59);
      expect((await verify(acme, before, pass)).status).toBe(200);
      await api.advanceClock(1);
      const expired = await verify(acme, at, pass);
      expectProblem(expired, 422, 'wrong-code');
      expect(expired.body.detail).toBe('This access pass has expired');
      expect((await admin(acme, 'GET', `/v1/admin/users/${userId}/access-passes`)).body.items).toEqual([expect.objectContaining({ state: 'expired', uses: 2 })]);
    });
  });

  it('die when revoked (even with a challenge open), reset, deleted and recreated, or blocked (even once unblocked)', async () => {
    const { userId, phone } = await api.newUser(acme, 'tapdie');
    const first = await issue(acme, userId);
    const pending = await open(acme, userId, 'tap');
    expect((await admin(acme, 'DELETE', `/v1/admin/users/${userId}/access-passes/${first.passId}`)).status).toBe(204);
    expectProblem(await admin(acme, 'DELETE', `/v1/admin/users/${userId}/access-passes/${first.passId}`), 404, 'not-found');
    expectProblem(await verify(acme, pending, first.pass), 422, 'wrong-code');
    expectProblem(await auth(acme, 'POST', '/v1/challenges', { userId, method: 'tap' }), 422, 'method-unavailable');

    const second = await issue(acme, userId);
    const beforeReset = await open(acme, userId, 'tap');
    expect((await admin(acme, 'POST', `/v1/admin/users/${userId}/reset`)).status).toBe(200);
    expect((await verify(acme, beforeReset, second.pass)).status).not.toBe(200);
    expectProblem(await auth(acme, 'POST', '/v1/challenges', { userId, method: 'tap' }), 422, 'method-unavailable');
    expect((await admin(acme, 'GET', `/v1/admin/users/${userId}/access-passes`)).body.items).toEqual([]);

    await issue(acme, userId);
    expect((await admin(acme, 'DELETE', `/v1/admin/users/${userId}`)).status).toBe(204);
    expect((await api.putUser(acme, userId, phone)).status).toBe(201);
    expectProblem(await auth(acme, 'POST', '/v1/challenges', { userId, method: 'tap' }), 422, 'method-unavailable');

    const leaked = await issue(acme, userId);
    expect((await admin(acme, 'POST', `/v1/admin/users/${userId}/block`, { reason: 'fraud' })).status).toBe(200);
    expectProblem(await admin(acme, 'POST', `/v1/admin/users/${userId}/access-passes`, { lifetimeMinutes: 60, oneTime: true }), 403, 'user-blocked');
    expect((await admin(acme, 'POST', `/v1/admin/users/${userId}/unblock`)).status).toBe(200);
    expectProblem(await auth(acme, 'POST', '/v1/challenges', { userId, method: 'tap' }), 422, 'method-unavailable');
    // A pass issued after the unblock opens a challenge; the one from before the block still does not answer it.
    const fresh = await issue(acme, userId);
    expectProblem(await verify(acme, await open(acme, userId, 'tap'), leaked.pass), 422, 'wrong-code');
    expect((await verify(acme, await open(acme, userId, 'tap'), fresh.pass)).status).toBe(200);
  });

  it('are a step-up for registering a passkey', async () => {
    const policy = { rpId: 'example.com', rpName: 'Example', origins: ['https://login.example.com'] };
    expect((await admin(acme, 'PATCH', '/v1/admin/settings', { passkeys: policy })).status).toBe(200);
    const { userId } = await api.newUser(acme, 'tapkey');
    expectProblem(await auth(acme, 'POST', '/v1/passkeys/registrations', { userId }), 403, 'step-up-required');
    const { pass } = await issue(acme, userId, { lifetimeMinutes: 10, oneTime: true });
    const tap = await open(acme, userId, 'tap');
    expect((await verify(acme, tap, pass)).status).toBe(200);
    expect((await auth(acme, 'POST', '/v1/passkeys/registrations', { userId, challengeId: tap })).status).toBe(201);
  });
});

describe('both', () => {
  it('R6: recovery-code and access-pass challenges count under the per-user limit', async () => {
    const { userId } = await api.newUser(acme, 'r6');
    await regenerate(acme, userId);
    await issue(acme, userId);
    for (let i = 0; i < 5; i++) await open(acme, userId, i % 2 ? 'tap' : 'recovery');
    const refused = await auth(acme, 'POST', '/v1/challenges', { userId, method: 'tap' });
    expectProblem(refused, 429);
    expect(refused.headers.get('retry-after')).toBeTruthy();
    expectProblem(await auth(acme, 'POST', '/v1/challenges', { userId, method: 'recovery' }), 429);
  });

  it('R24: are metered like any challenge (one billed `sent` each under per-authentication billing)', async () => {
    const month = new Date(await api.clockNow()).toISOString().slice(0, 7);
    const sent = async (method: string) => {
      const usage = await admin(acme, 'GET', `/v1/admin/usage?month=${month}`);
      return (usage.body.days as { method: string; result: string; count: number }[]).filter((d) => d.method === method && d.result === 'sent').reduce((n, d) => n + d.count, 0);
    };
    const before = { recovery: await sent('recovery'), tap: await sent('tap') };
    const { userId } = await api.newUser(acme, 'meter');
    await regenerate(acme, userId);
    await issue(acme, userId);
    await open(acme, userId, 'recovery');
    await open(acme, userId, 'tap');
    expect({ recovery: await sent('recovery'), tap: await sent('tap') }).toEqual({ recovery: before.recovery + 1, tap: before.tap + 1 });
  });

  it('R27: another tenant reaches none of it, on every new route', async () => {
    const { userId } = await api.newUser(acme, 'iso');
    expect((await api.putUser(globex, userId, '+14155559876')).status).toBe(201);
    const codes = await regenerate(acme, userId);
    const { passId, pass } = await issue(acme, userId);
    // The same user id in the other tenant: nothing of acme's is visible, usable or revocable.
    expect((await admin(globex, 'GET', `/v1/admin/users/${userId}/recovery-codes`)).body).toEqual({ remaining: 0 });
    expect((await admin(globex, 'GET', `/v1/admin/users/${userId}/access-passes`)).body.items).toEqual([]);
    expectProblem(await admin(globex, 'DELETE', `/v1/admin/users/${userId}/access-passes/${passId}`), 404, 'not-found');
    expectProblem(await auth(globex, 'POST', '/v1/challenges', { userId, method: 'recovery' }), 422, 'method-unavailable');
    expectProblem(await auth(globex, 'POST', '/v1/challenges', { userId, method: 'tap' }), 422, 'method-unavailable');
    // Acme's open challenges are not globex's to answer.
    const challenge = await open(acme, userId, 'tap');
    expectProblem(await verify(globex, challenge, pass), 404, 'not-found');
    // A user only acme has: 404 on every admin route of globex, and on the relying app's.
    const { userId: only } = await api.newUser(acme, 'isoonly');
    expectProblem(await admin(globex, 'POST', `/v1/admin/users/${only}/recovery-codes`), 404, 'not-found');
    expectProblem(await admin(globex, 'GET', `/v1/admin/users/${only}/recovery-codes`), 404, 'not-found');
    expectProblem(await admin(globex, 'POST', `/v1/admin/users/${only}/access-passes`, { lifetimeMinutes: 60, oneTime: true }), 404, 'not-found');
    expectProblem(await admin(globex, 'GET', `/v1/admin/users/${only}/access-passes`), 404, 'not-found');
    expectProblem(await auth(globex, 'POST', '/v1/recovery-codes', { userId: only }), 404, 'not-found');
    // The wrong kind of key: a relying app's key is not an admin's, nor the other way round.
    expectProblem(await auth(acme, 'POST', `/v1/admin/users/${userId}/access-passes`, { lifetimeMinutes: 60, oneTime: true }), 403);
    expectProblem(await admin(acme, 'POST', '/v1/recovery-codes', { userId }), 403);
    // Acme's own still work.
    expect((await verify(acme, challenge, pass)).status).toBe(200);
    expect((await signIn(acme, userId, 'recovery', codes[9] as string)).status).toBe(200);
  });

  it('R28: no recovery code or access pass is in DynamoDB Local’s files, the service log, the auth log, a notification or a listing', async () => {
    expect(secrets.length).toBeGreaterThan(50);
    const { userId } = await api.newUser(acme, 'files');
    await regenerate(acme, userId);
    const { passId } = await issue(acme, userId);
    const dump = JSON.stringify(await api.allItems());
    const logs = JSON.stringify((await admin(acme, 'GET', '/v1/admin/auth-logs?limit=100')).body);
    const notes = JSON.stringify((await admin(acme, 'GET', '/v1/admin/notifications')).body);
    // The runtime stops first, so that DynamoDB Local has written everything (the last test of the file).
    const stored = await witnessed.storedFiles();
    const serviceLog = witnessed.log();
    // The search reads the right places: the pass's id is in the files and the service log.
    expect(stored.some((bytes) => bytes.includes(passId))).toBe(true);
    expect(serviceLog).toContain(passId);
    expect(serviceLog).toContain('recovery codes generated');
    expect(dump).toContain('RECOVERY#');
    expect(dump).toContain('TAP#');
    for (const secret of secrets) {
      for (const form of [secret, secret.replace(/-/g, ''), secret.toUpperCase()]) {
        expect(stored.some((bytes) => bytes.includes(form))).toBe(false);
        expect(serviceLog).not.toContain(form);
        expect(dump).not.toContain(form);
        expect(logs).not.toContain(form);
        expect(notes).not.toContain(form);
      }
    }
  });
});
