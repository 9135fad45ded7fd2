/**
 * Passkeys (issue 15) through the local HTTP runtime against DynamoDB Local: the tenant policy,
 * registration by a relying app (with its step-up) and by an admin, sign-in with the assertion
 * checked against the JWKS, races, replays, tenants, user deletion and reset, the per-user limit
 * and phishing-resistant only. The browser side is played by a software authenticator.
 */
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { PASSKEYS_PER_USER } from '../../shared/rules';
import { SoftwareAuthenticator } from '../support/authenticator';
import { expectProblem, TestApi, type Reply, type Tenant } from '../support/runtime';

const ORIGIN = 'https://login.example.com';
const POLICY = { rpId: 'example.com', rpName: 'Example', origins: [ORIGIN] };

let api: TestApi;
let acme: Tenant;
let globex: Tenant;

beforeAll(async () => {
  api = await TestApi.start();
  acme = await api.createTenant('Acme');
  globex = await api.createTenant('Globex');
  for (const tenant of [acme, globex]) {
    const set = await api.request('PATCH', '/v1/admin/settings', { key: tenant.adminKey, body: { passkeys: POLICY } });
    if (set.status !== 200) throw new Error(`policy not set: ${JSON.stringify(set.body)}`);
  }
});

afterAll(() => api.stop());

type Options = { challenge: string; rp: { id?: string }; user: { id: string } };
type RequestOptions = { challenge: string; rpId: string; allowCredentials: { id: string }[] };

const admin = (tenant: Tenant, method: string, path: string, body?: unknown) => api.request(method, path, { key: tenant.adminKey, ...(body === undefined ? {} : { body }) });
const auth = (tenant: Tenant, method: string, path: string, body?: unknown) => api.request(method, path, { key: tenant.authKey, ...(body === undefined ? {} : { body }) });

/** A user with nothing registered. */
async function bareUser(tenant: Tenant, userId: string): Promise<void> {
  const reply = await admin(tenant, 'PUT', `/v1/admin/users/${userId}`, { mfaEnabled: true, phones: {} });
  if (reply.status !== 201 && reply.status !== 200) throw new Error(`user not created: ${JSON.stringify(reply.body)}`);
}

/** Registers a passkey for `userId` from the console. */
async function enrol(tenant: Tenant, userId: string, authenticator: SoftwareAuthenticator): Promise<Reply> {
  const started = await admin(tenant, 'POST', `/v1/admin/users/${userId}/passkeys/registrations`);
  expect(started.status).toBe(201);
  const options = started.body.options as Options;
  return admin(tenant, 'POST', `/v1/admin/users/${userId}/passkeys/registrations/${started.body.registrationId as string}`, {
    response: authenticator.create(options, ORIGIN),
  });
}

async function passkeyChallenge(tenant: Tenant, userId: string): Promise<{ challengeId: string; options: RequestOptions }> {
  const reply = await auth(tenant, 'POST', '/v1/challenges', { userId, method: 'passkey' });
  expect(reply.status).toBe(201);
  return { challengeId: reply.body.challengeId as string, options: reply.body.publicKey as RequestOptions };
}

const verify = (tenant: Tenant, challengeId: string, credential: unknown) => auth(tenant, 'POST', `/v1/challenges/${challengeId}/verify`, { credential });

describe('passkey policy', () => {
  it('is part of the settings, with its defaults', async () => {
    const settings = await admin(acme, 'GET', '/v1/admin/settings');
    expect(settings.body.passkeys).toEqual({ ...POLICY, userVerification: 'required', attestation: 'none', allowSynced: true, phishingResistantOnly: false });
    expect(settings.body.enabledMethods).toContain('passkey');
  });

  it.each([
    ['http on a public host', { ...POLICY, origins: ['http://login.example.com'] }],
    ['an origin outside the rpId', { ...POLICY, origins: ['https://login.example.org'] }],
    ['an unknown field', { ...POLICY, extra: true }],
    ['an allow-list without attestation', { ...POLICY, aaguids: ['cb69481e-8ff7-4039-93ec-0a2729a154a8'] }],
  ])('refuses %s with a 400 and changes nothing', async (_name, passkeys) => {
    expectProblem(await admin(acme, 'PATCH', '/v1/admin/settings', { passkeys }), 400, 'validation-failed');
    expect((await admin(acme, 'GET', '/v1/admin/settings')).body.passkeys).toMatchObject(POLICY);
  });

  it('refuses passkeys with 409 passkeys-not-configured until a policy is set', async () => {
    const initech = await api.createTenant('Initech');
    await bareUser(initech, 'peter');
    expectProblem(await admin(initech, 'POST', '/v1/admin/users/peter/passkeys/registrations'), 409, 'passkeys-not-configured');
    expectProblem(await auth(initech, 'POST', '/v1/passkeys/registrations', { userId: 'peter' }), 409, 'passkeys-not-configured');
  });
});

describe('registration and sign-in', () => {
  it('registers a first passkey through the relying app, signs in, and the assertion verifies against the JWKS with amr/acr', async () => {
    await bareUser(acme, 'alice');
    const authenticator = new SoftwareAuthenticator();
    const started = await auth(acme, 'POST', '/v1/passkeys/registrations', { userId: 'alice' });
    expect(started.status).toBe(201);
    expect(started.body).toMatchObject({ registrationId: expect.stringMatching(/^pr_/), options: { rp: { id: 'example.com', name: 'Example' }, user: { name: 'alice' }, timeout: 300_000 } });
    const finished = await auth(acme, 'POST', `/v1/passkeys/registrations/${started.body.registrationId as string}`, {
      response: authenticator.create(started.body.options as Options, ORIGIN),
      name: 'Laptop',
    });
    expect(finished.status).toBe(201);
    expect(finished.body.passkey).toMatchObject({ name: 'Laptop', deviceType: 'singleDevice', backedUp: false, transports: ['internal'] });

    const user = await admin(acme, 'GET', '/v1/admin/users/alice');
    expect(user.body).toMatchObject({ methods: ['passkey'], passkeyCount: 1, registration: { required: false } });

    const { challengeId, options } = await passkeyChallenge(acme, 'alice');
    const approved = await verify(acme, challengeId, authenticator.get(options, ORIGIN));
    expect(approved.status).toBe(200);
    const { payload } = await jwtVerify(approved.body.assertion as string, createRemoteJWKSet(new URL(`${api.url}/.well-known/jwks.json`)), {
      issuer: api.url,
      audience: acme.tenantId,
      currentDate: new Date(Date.parse(approved.body.createdAt as string)),
    });
    // Device-bound, but with no attestation to a root of the tenant its hardware is not proven: phr, not phrh.
    expect(payload).toMatchObject({ sub: 'alice', mth: 'passkey', amr: ['hwk', 'user', 'mfa'], acr: 'phr' });

    const logs = await admin(acme, 'GET', '/v1/admin/auth-logs?userId=alice&method=passkey');
    const line = (logs.body.items as { challengeId: string; event: string; result: string; deviceToken?: string }[]).find((l) => l.challengeId === challengeId && l.event === 'verify');
    expect(line).toMatchObject({ result: 'approved', deviceToken: expect.stringContaining((finished.body.passkey as { passkeyId: string }).passkeyId) });
    const listed = await admin(acme, 'GET', '/v1/admin/users/alice/passkeys');
    expect(listed.body.items).toEqual([expect.objectContaining({ name: 'Laptop', lastUsedAt: expect.any(String) })]);
  });

  it('approves exactly one of two verifies of the same assertion, and refuses its replay', async () => {
    await bareUser(acme, 'racer');
    const authenticator = new SoftwareAuthenticator();
    expect((await enrol(acme, 'racer', authenticator)).status).toBe(201);
    const { challengeId, options } = await passkeyChallenge(acme, 'racer');
    const credential = authenticator.get(options, ORIGIN);
    const replies = await Promise.all([0, 1, 2, 3].map(() => verify(acme, challengeId, credential)));
    expect(replies.filter((r) => r.status === 200)).toHaveLength(1);
    // A replay on a new challenge signs the wrong challenge: a wrong attempt.
    const next = await passkeyChallenge(acme, 'racer');
    expectProblem(await verify(acme, next.challengeId, credential), 422, 'passkey-not-accepted');
  });

  it('approves only one of two challenges answered with the same sign counter, and denies a counter that went back', async () => {
    await bareUser(acme, 'cloned');
    const authenticator = new SoftwareAuthenticator();
    await enrol(acme, 'cloned', authenticator);
    const clone = authenticator.clone();
    const [one, two] = [await passkeyChallenge(acme, 'cloned'), await passkeyChallenge(acme, 'cloned')];
    const replies = await Promise.all([verify(acme, one.challengeId, authenticator.get(one.options, ORIGIN)), verify(acme, two.challengeId, clone.get(two.options, ORIGIN))]);
    expect(replies.map((r) => r.status).sort()).toEqual([200, 422]);
    // Counter now 1 everywhere; the genuine one moves to 2, then the clone sends 2 again.
    const three = await passkeyChallenge(acme, 'cloned');
    expect((await verify(acme, three.challengeId, authenticator.get(three.options, ORIGIN))).status).toBe(200);
    const four = await passkeyChallenge(acme, 'cloned');
    const denied = await verify(acme, four.challengeId, clone.get(four.options, ORIGIN, { counter: 2 }));
    expectProblem(denied, 409, 'challenge-finished');
    expect(denied.body.reason).toBe('counter_regressed');
    expect((await auth(acme, 'GET', `/v1/challenges/${four.challengeId}`)).body).toMatchObject({ status: 'denied', reason: 'counter_regressed' });
    const notes = (await admin(acme, 'GET', '/v1/admin/notifications')).body.items as { type: string; userId: string }[];
    expect(notes).toContainEqual(expect.objectContaining({ type: 'passkey_counter_regressed', userId: 'cloned' }));
  });

  it('keeps passkeys, ceremonies and challenges to their tenant (R27)', async () => {
    await bareUser(acme, 'shared-name');
    await bareUser(globex, 'shared-name');
    const authenticator = new SoftwareAuthenticator();
    const enrolled = await enrol(acme, 'shared-name', authenticator);
    const passkeyId = (enrolled.body.passkey as { passkeyId: string }).passkeyId;
    expect((await admin(globex, 'GET', '/v1/admin/users/shared-name/passkeys')).body.items).toEqual([]);
    expectProblem(await admin(globex, 'PATCH', `/v1/admin/users/shared-name/passkeys/${passkeyId}`, { name: 'mine' }), 404, 'not-found');
    expectProblem(await admin(globex, 'DELETE', `/v1/admin/users/shared-name/passkeys/${passkeyId}`), 404, 'not-found');
    // Globex's user has no passkey: acme's credential cannot answer a globex challenge.
    expectProblem(await auth(globex, 'POST', '/v1/challenges', { userId: 'shared-name', method: 'passkey' }), 403, 'registration-required');
    const { challengeId, options } = await passkeyChallenge(acme, 'shared-name');
    expectProblem(await verify(globex, challengeId, authenticator.get(options, ORIGIN)), 404, 'not-found');
    const started = await admin(acme, 'POST', '/v1/admin/users/shared-name/passkeys/registrations');
    const response = new SoftwareAuthenticator().create(started.body.options as Options, ORIGIN);
    expectProblem(await admin(globex, 'POST', `/v1/admin/users/shared-name/passkeys/registrations/${started.body.registrationId as string}`, { response }), 404, 'not-found');
    expectProblem(await auth(globex, 'POST', `/v1/passkeys/registrations/${started.body.registrationId as string}`, { response }), 404, 'not-found');
  });

  it('kills a passkey when its user is deleted and recreated, or reset', async () => {
    await bareUser(acme, 'phoenix');
    const authenticator = new SoftwareAuthenticator();
    await enrol(acme, 'phoenix', authenticator);
    const pending = await passkeyChallenge(acme, 'phoenix');
    expect((await admin(acme, 'DELETE', '/v1/admin/users/phoenix')).status).toBe(204);
    await bareUser(acme, 'phoenix');
    expect((await admin(acme, 'GET', '/v1/admin/users/phoenix/passkeys')).body.items).toEqual([]);
    expectProblem(await auth(acme, 'POST', '/v1/challenges', { userId: 'phoenix', method: 'passkey' }), 403, 'registration-required');
    // The challenge issued to the old user is dead too.
    const late = await verify(acme, pending.challengeId, authenticator.get(pending.options, ORIGIN));
    expect(late.status).not.toBe(200);
    // The same authenticator's credential can be registered again: the old claim is gone.
    expect((await enrol(acme, 'phoenix', authenticator)).status).toBe(201);
    expect((await admin(acme, 'POST', '/v1/admin/users/phoenix/reset')).status).toBe(200);
    expect((await admin(acme, 'GET', '/v1/admin/users/phoenix/passkeys')).body.items).toEqual([]);
    expect((await admin(acme, 'GET', '/v1/admin/users/phoenix')).body).not.toHaveProperty('passkeyCount');
  });

  it(`allows at most ${PASSKEYS_PER_USER} passkeys per user, even when registrations race`, async () => {
    await bareUser(acme, 'collector');
    for (let i = 0; i < PASSKEYS_PER_USER - 2; i++) expect((await enrol(acme, 'collector', new SoftwareAuthenticator())).status).toBe(201);
    // Four ceremonies started while two places are left; all four finish at once.
    const started = await Promise.all([0, 1, 2, 3].map(() => admin(acme, 'POST', '/v1/admin/users/collector/passkeys/registrations')));
    const finished = await Promise.all(
      started.map((s) =>
        admin(acme, 'POST', `/v1/admin/users/collector/passkeys/registrations/${s.body.registrationId as string}`, {
          response: new SoftwareAuthenticator().create(s.body.options as Options, ORIGIN),
        }),
      ),
    );
    expect(finished.filter((r) => r.status === 201)).toHaveLength(2);
    for (const r of finished.filter((f) => f.status !== 201)) expectProblem(r, 409, 'passkey-limit');
    expect((await admin(acme, 'GET', '/v1/admin/users/collector/passkeys')).body.items).toHaveLength(PASSKEYS_PER_USER);
    expectProblem(await admin(acme, 'POST', '/v1/admin/users/collector/passkeys/registrations'), 409, 'passkey-limit');
  });

  it('renames and deletes passkeys; a deleted one signs in no more', async () => {
    await bareUser(acme, 'tidy');
    const authenticator = new SoftwareAuthenticator();
    const { passkeyId } = (await enrol(acme, 'tidy', authenticator)).body.passkey as { passkeyId: string };
    const renamed = await admin(acme, 'PATCH', `/v1/admin/users/tidy/passkeys/${passkeyId}`, { name: 'YubiKey' });
    expect(renamed.status).toBe(200);
    expect(renamed.body).toMatchObject({ passkeyId, name: 'YubiKey' });
    const { challengeId, options } = await passkeyChallenge(acme, 'tidy');
    expect((await admin(acme, 'DELETE', `/v1/admin/users/tidy/passkeys/${passkeyId}`)).status).toBe(204);
    expectProblem(await verify(acme, challengeId, authenticator.get(options, ORIGIN)), 422, 'passkey-not-accepted');
    expectProblem(await admin(acme, 'DELETE', `/v1/admin/users/tidy/passkeys/${passkeyId}`), 404, 'not-found');
    expect((await admin(acme, 'GET', '/v1/admin/users/tidy')).body.passkeyCount).toBe(0);
  });

  it('refuses a code on a passkey challenge and a malformed credential with 4xx', async () => {
    await bareUser(acme, 'strict-body');
    const authenticator = new SoftwareAuthenticator();
    await enrol(acme, 'strict-body', authenticator);
    const { challengeId, options } = await passkeyChallenge(acme, 'strict-body');
    expectProblem(await auth(acme, 'POST', `/v1/challenges/${challengeId}/verify`, { code: '123456' }), 422, 'method-unavailable');
    expectProblem(await auth(acme, 'POST', `/v1/challenges/${challengeId}/verify`, { credential: { id: 'x' } }), 400, 'validation-failed');
    expectProblem(await auth(acme, 'POST', `/v1/challenges/${challengeId}/verify`, { code: '123456', credential: authenticator.get(options, ORIGIN) }), 400, 'validation-failed');
    const garbage = { ...authenticator.get(options, ORIGIN), response: { clientDataJSON: 'AAAA', authenticatorData: 'AAAA', signature: 'AAAA' } };
    expectProblem(await verify(acme, challengeId, garbage), 422, 'passkey-not-accepted');
  });
});

describe('step-up for the relying app', () => {
  it('needs a fresh approved challenge of the user once the user has a method, and uses it once', async () => {
    const { userId, phone } = await api.newUser(acme, 'stepup');
    expectProblem(await auth(acme, 'POST', '/v1/passkeys/registrations', { userId }), 403, 'step-up-required');
    const sms = await api.createChallenge(acme, userId);
    const challengeId = sms.body.challengeId as string;
    expectProblem(await auth(acme, 'POST', '/v1/passkeys/registrations', { userId, challengeId }), 403, 'step-up-required');
    expect((await auth(acme, 'POST', `/v1/challenges/${challengeId}/verify`, { code: await api.latestCode(phone) })).status).toBe(200);
    const started = await auth(acme, 'POST', '/v1/passkeys/registrations', { userId, challengeId });
    expect(started.status).toBe(201);
    expectProblem(await auth(acme, 'POST', '/v1/passkeys/registrations', { userId, challengeId }), 403, 'step-up-required');
    const other = await api.newUser(acme, 'stepup');
    expectProblem(await auth(acme, 'POST', '/v1/passkeys/registrations', { userId: other.userId, challengeId }), 403, 'step-up-required');
    const done = await auth(acme, 'POST', `/v1/passkeys/registrations/${started.body.registrationId as string}`, {
      response: new SoftwareAuthenticator().create(started.body.options as Options, ORIGIN),
    });
    expect(done.status).toBe(201);
    // An admin needs none.
    expect((await enrol(acme, userId, new SoftwareAuthenticator())).status).toBe(201);
  });

  it('ends a ceremony after five minutes (R1’s rule)', async () => {
    await bareUser(acme, 'slow');
    await api.freezeClock(true);
    try {
      const started = await admin(acme, 'POST', '/v1/admin/users/slow/passkeys/registrations');
      await api.advanceClock(300);
      const response = new SoftwareAuthenticator().create(started.body.options as Options, ORIGIN);
      expectProblem(await admin(acme, 'POST', `/v1/admin/users/slow/passkeys/registrations/${started.body.registrationId as string}`, { response }), 404, 'not-found');
    } finally {
      await api.freezeClock(false);
    }
  });
});

describe('phishing-resistant only', () => {
  it('offers and accepts only passkeys for a flagged user, and says a passkey is required when they have none (R20)', async () => {
    const { userId } = await api.newUser(acme, 'pro');
    const flagged = await admin(acme, 'PATCH', `/v1/admin/users/${userId}`, { phishingResistantOnly: true });
    expect(flagged.status).toBe(200);
    expect(flagged.body).toMatchObject({ phishingResistantOnly: true, methods: [], registration: { required: true, reason: 'passkey_required' } });
    expectProblem(await api.createChallenge(acme, userId), 403, 'phishing-resistant-only');
    const none = await auth(acme, 'POST', '/v1/challenges', { userId });
    expectProblem(none, 403, 'registration-required');
    expect(none.body.reason).toBe('passkey_required');
    // The user has SMS, which no longer counts but is registered: a relying app must show a step-up
    // it can't get (whoever knows the password must not add their passkey); an admin enrols the first.
    expectProblem(await auth(acme, 'POST', '/v1/passkeys/registrations', { userId }), 403, 'step-up-required');
    const authenticator = new SoftwareAuthenticator();
    expect((await enrol(acme, userId, authenticator)).status).toBe(201);
    expect((await admin(acme, 'GET', `/v1/admin/users/${userId}`)).body.methods).toEqual(['passkey']);
    const { challengeId, options } = await passkeyChallenge(acme, userId);
    expect((await verify(acme, challengeId, authenticator.get(options, ORIGIN))).status).toBe(200);
    // With the passkey as the step-up, the relying app adds a second one.
    const second = await auth(acme, 'POST', '/v1/passkeys/registrations', { userId, challengeId });
    expect(second.status).toBe(201);
  });

  it('lets a relying app enrol the first passkey of a user with nothing registered, without a step-up', async () => {
    await bareUser(acme, 'pro-bare');
    expect((await admin(acme, 'PATCH', '/v1/admin/users/pro-bare', { phishingResistantOnly: true })).status).toBe(200);
    const started = await auth(acme, 'POST', '/v1/passkeys/registrations', { userId: 'pro-bare' });
    expect(started.status).toBe(201);
    const done = await auth(acme, 'POST', `/v1/passkeys/registrations/${started.body.registrationId as string}`, {
      response: new SoftwareAuthenticator().create(started.body.options as Options, ORIGIN),
    });
    expect(done.status).toBe(201);
  });

  it('refuses what was made before the flag: a pending SMS challenge (verify, resend) and app passwords (create, verify)', async () => {
    const { userId, phone } = await api.newUser(acme, 'pro-late');
    expect((await admin(acme, 'PATCH', '/v1/admin/settings', { appPasswordsAllowed: true })).status).toBe(200);
    const password = await admin(acme, 'POST', `/v1/admin/users/${userId}/app-passwords`, { name: 'mail' });
    expect(password.status).toBe(201);
    const sms = await api.createChallenge(acme, userId);
    const challengeId = sms.body.challengeId as string;
    const code = await api.latestCode(phone);
    expect((await admin(acme, 'PATCH', `/v1/admin/users/${userId}`, { phishingResistantOnly: true })).status).toBe(200);
    expectProblem(await auth(acme, 'POST', `/v1/challenges/${challengeId}/verify`, { code }), 403, 'phishing-resistant-only');
    expectProblem(await auth(acme, 'POST', `/v1/challenges/${challengeId}/resend`), 403, 'phishing-resistant-only');
    expect((await auth(acme, 'GET', `/v1/challenges/${challengeId}`)).body.status).toBe('pending');
    expectProblem(await auth(acme, 'POST', '/v1/app-passwords/verify', { userId, password: password.body.password as string }), 403, 'phishing-resistant-only');
    expectProblem(await admin(acme, 'POST', `/v1/admin/users/${userId}/app-passwords`, { name: 'more' }), 403, 'phishing-resistant-only');
    expect((await admin(acme, 'PATCH', '/v1/admin/settings', { appPasswordsAllowed: false })).status).toBe(200);
  });

  it('applies to every user when the tenant policy says so', async () => {
    const hooli = await api.createTenant('Hooli');
    expect((await admin(hooli, 'PATCH', '/v1/admin/settings', { passkeys: { ...POLICY, phishingResistantOnly: true } })).status).toBe(200);
    const { userId } = await api.newUser(hooli, 'hooli');
    expectProblem(await api.createChallenge(hooli, userId), 403, 'phishing-resistant-only');
  });
});
