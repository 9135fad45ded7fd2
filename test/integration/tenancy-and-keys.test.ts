import { apiKeySecret, expectProblem, TestApi, type Tenant } from '../support/runtime';

let api: TestApi;
let a: Tenant;
let b: Tenant;
let challengeOfA: string;

beforeAll(async () => {
  api = await TestApi.start();
  a = await api.createTenant('Tenant A');
  b = await api.createTenant('Tenant B');
  await api.putUser(a, 'alice', '+14155550100');
  const created = await api.createChallenge(a, 'alice');
  challengeOfA = created.body.challengeId as string;
});

afterAll(() => api.stop());

describe('R27 tenant isolation', () => {
  it("tenant B's auth key gets 404 on tenant A's challenge, exactly as for one that does not exist", async () => {
    const code = await api.latestCode('+14155550100');
    const unknown = 'ch_AAAAAAAAAAAAAAAAAAAAAA';
    for (const id of [challengeOfA, unknown]) {
      expectProblem(await api.request('GET', `/v1/challenges/${id}`, { key: b.authKey }), 404, 'not-found');
      expectProblem(await api.request('POST', `/v1/challenges/${id}/verify`, { key: b.authKey, body: { code } }), 404, 'not-found');
      expectProblem(await api.request('POST', `/v1/challenges/${id}/resend`, { key: b.authKey }), 404, 'not-found');
    }
    // B's attempts left A's challenge untouched: A can still approve it with the code.
    const mine = await api.request('GET', `/v1/challenges/${challengeOfA}`, { key: a.authKey });
    expect(mine.body).toMatchObject({ status: 'pending', attemptsRemaining: 5 });
  });

  it("tenant B cannot read, delete or start challenges for tenant A's users", async () => {
    expectProblem(await api.request('GET', '/v1/admin/users/alice', { key: b.adminKey }), 404, 'not-found');
    expectProblem(await api.request('DELETE', '/v1/admin/users/alice', { key: b.adminKey }), 404, 'not-found');
    expectProblem(await api.createChallenge(b, 'alice'), 404, 'not-found');
    expect((await api.request('GET', '/v1/admin/users/alice', { key: a.adminKey })).status).toBe(200);
  });

  it('the same user id in two tenants is two users', async () => {
    expect((await api.putUser(b, 'alice', '+33612345678')).status).toBe(201);
    const ofA = await api.request('GET', '/v1/admin/users/alice', { key: a.adminKey });
    const ofB = await api.request('GET', '/v1/admin/users/alice', { key: b.adminKey });
    expect((ofA.body.phones as { primary: { e164: string } }).primary.e164).toBe('+14155550100');
    expect((ofB.body.phones as { primary: { e164: string } }).primary).toEqual({ e164: '+33612345678', country: 'FR', type: 'mobile' });
  });

  it('a tenant id in the body is refused, never used (the tenant comes from the key)', async () => {
    const reply = await api.request('POST', '/v1/challenges', {
      key: b.authKey,
      body: { userId: 'alice', method: 'sms', tenantId: a.tenantId },
    });
    expectProblem(reply, 400, 'validation-failed');
  });
});

describe('API keys and scopes', () => {
  it('an admin key cannot create challenges and an auth key cannot manage users', async () => {
    expectProblem(await api.request('POST', '/v1/challenges', { key: a.adminKey, body: { userId: 'alice' } }), 403, 'forbidden');
    expectProblem(await api.request('GET', '/v1/admin/users/alice', { key: a.authKey }), 403, 'forbidden');
    expectProblem(await api.putUser({ ...a, adminKey: a.authKey }, 'mallory', '+14155550199'), 403, 'forbidden');
  });

  it('no key, a malformed key, a forged secret and a tenant key on operator routes are 401', async () => {
    expectProblem(await api.request('GET', '/v1/admin/users/alice'), 401, 'unauthenticated');
    expectProblem(await api.request('GET', '/v1/admin/users/alice', { key: 'not-a-key' }), 401, 'unauthenticated');
    const forged = `${a.adminKey.slice(0, -4)}AAAA`;
    expectProblem(await api.request('GET', '/v1/admin/users/alice', { key: forged }), 401, 'unauthenticated');
    const reply = await api.request('POST', '/v1/operator/tenants', { key: a.adminKey, body: { name: 'x' } });
    expectProblem(reply, 401, 'unauthenticated');
    expect(reply.headers.get('www-authenticate')).toBe('Bearer');
  });

  it('creating a tenant returns keys once; only their hashes are stored', async () => {
    const tenant = await api.createTenant('Fresh');
    expect(tenant.adminKey).toMatch(new RegExp(`^tsr_admin_${tenant.tenantId}_[0-9a-f]{16}_`));
    expect(tenant.authKey).toMatch(new RegExp(`^tsr_auth_${tenant.tenantId}_[0-9a-f]{16}_`));
    const dump = JSON.stringify(await api.allItems());
    expect(dump).toContain(tenant.tenantId);
    expect(dump).not.toContain(apiKeySecret(tenant.adminKey));
  });
});

describe('users (console, first cut)', () => {
  it('PUT creates then replaces, GET reads, DELETE removes', async () => {
    const created = await api.putUser(a, 'bob', '+4915123456789', ['+14155550123']);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      userId: 'bob',
      mfaEnabled: true,
      phones: { primary: { e164: '+4915123456789', country: 'DE' }, backup: [{ e164: '+14155550123', country: 'US' }] },
    });
    expect((await api.putUser(a, 'bob', '+4915123456789')).status).toBe(200);
    expect((await api.request('DELETE', '/v1/admin/users/bob', { key: a.adminKey })).status).toBe(204);
    expectProblem(await api.request('GET', '/v1/admin/users/bob', { key: a.adminKey }), 404);
  });

  it('a user with MFA disabled or without a phone cannot be challenged, and nothing is sent', async () => {
    await api.request('PUT', '/v1/admin/users/carol', { key: a.adminKey, body: { mfaEnabled: false, phones: { primary: '+14155550177' } } });
    await api.request('PUT', '/v1/admin/users/dave', { key: a.adminKey, body: { mfaEnabled: true, phones: {} } });
    const before = (await api.outbox()).length;
    expectProblem(await api.createChallenge(a, 'carol'), 403, 'mfa-not-enabled');
    const dave = await api.createChallenge(a, 'dave');
    expectProblem(dave, 403, 'registration-required');
    expect(dave.body.reason).toBe('nothing_registered');
    expect(await api.outbox()).toHaveLength(before);
  });
});
