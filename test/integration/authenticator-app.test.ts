import { base32Encode, totpAt } from '../../shared/domain/otp/totp';
import { expectProblem, secretOf, TestApi, type Tenant } from '../support/runtime';

let api: TestApi;
let acme: Tenant;

beforeAll(async () => {
  api = await TestApi.start();
  acme = await api.createTenant('Acme Corp');
  await api.freezeClock(true);
});

afterAll(() => api.stop());

/** Moves the frozen clock to the middle of a later time step, `steps` ahead, so codes never straddle a boundary. */
async function midStep(steps = 1): Promise<number> {
  const now = await api.clockNow();
  await api.advanceClock(Math.ceil((30_000 - (now % 30_000)) / 1000) + 14 + (steps - 1) * 30);
  return api.clockNow();
}

async function appChallenge(tenant: Tenant, userId: string): Promise<string> {
  const reply = await api.request('POST', '/v1/challenges', { key: tenant.authKey, body: { userId, method: 'app' } });
  expect(reply.status).toBe(201);
  expect(reply.body).toMatchObject({ method: 'app', status: 'pending', destination: 'authenticator app' });
  return reply.body.challengeId as string;
}

const verify = (tenant: Tenant, challengeId: string, code: string) =>
  api.request(`POST`, `/v1/challenges/${challengeId}/verify`, { key: tenant.authKey, body: { code } });

describe('R5 authenticator app enrolment', () => {
  it('returns the otpauth URI (issuer = tenant name) and its QR code once; one valid code confirms it', async () => {
    const { userId } = await api.newUser(acme, 'enrol');
    const enrolled = await api.request('POST', `/v1/admin/users/${userId}/authenticator`, { key: acme.adminKey });
    expect(enrolled.status).toBe(201);
    const uri = enrolled.body.otpauthUri as string;
    expect(uri).toMatch(/^otpauth:\/\/totp\/Acme%20Corp:/);
    expect(new URL(uri).searchParams.get('issuer')).toBe('Acme Corp');
    expect(enrolled.body.qrSvg).toMatch(/<svg/);
    expect(enrolled.body.qrPngDataUrl).toMatch(/^data:image\/png;base64,/);
    expect(enrolled.body.enrollmentId).toMatch(/^en_/);

    const secret = secretOf(uri);
    const now = await api.clockNow();
    const wrong = totpAt(secret, now + 5 * 30_000);
    expectProblem(await api.request('POST', `/v1/admin/users/${userId}/authenticator/confirm`, { key: acme.adminKey, body: { code: wrong } }), 422, 'wrong-code');
    const before = await api.request('GET', `/v1/admin/users/${userId}`, { key: acme.adminKey });
    expect(before.body.methods).not.toContain('app');

    const confirmed = await api.request('POST', `/v1/admin/users/${userId}/authenticator/confirm`, {
      key: acme.adminKey,
      body: { code: totpAt(secret, now) },
    });
    expect(confirmed.status).toBe(200);
    const after = await api.request('GET', `/v1/admin/users/${userId}`, { key: acme.adminKey });
    expect(after.body.methods).toContain('app');
    expect(JSON.stringify(after.body)).not.toContain(base32Encode(secret));
  });

  it('an unknown user or another tenant cannot enrol; confirm without an enrolment is 404', async () => {
    const other = await api.createTenant('Other');
    const { userId } = await api.newUser(acme, 'iso');
    expectProblem(await api.request('POST', `/v1/admin/users/${userId}/authenticator`, { key: other.adminKey }), 404, 'not-found');
    expectProblem(await api.request('POST', `/v1/admin/users/${userId}/authenticator/confirm`, { key: acme.adminKey, body: { code: '123456' } }), 404, 'not-found');
  });
});

describe('R5 authenticator app challenges', () => {
  it('an RFC 6238 code approves with an assertion and sends no text; the same code again is denied as replayed', async () => {
    const { userId, phone } = await api.newUser(acme, 'totp');
    const { secret } = await api.enrollAuthenticator(acme, userId);
    const now = await midStep();
    const first = await appChallenge(acme, userId);
    const code = totpAt(secret, now);
    const approved = await verify(acme, first, code);
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({ status: 'approved', method: 'app', assertion: expect.any(String) });
    expect(await api.outbox(phone)).toEqual([]);

    const second = await appChallenge(acme, userId);
    const replay = await verify(acme, second, code);
    expectProblem(replay, 422, 'wrong-code');
    expect(replay.body).toMatchObject({ reason: 'replayed', attemptsRemaining: 4 });
    const logs = await api.request<{ items: { challengeId?: string; result: string; reason?: string }[] }>('GET', `/v1/admin/auth-logs?userId=${userId}`, {
      key: acme.adminKey,
    });
    expect(logs.body.items.find((l) => l.challengeId === second && l.result === 'denied')?.reason).toBe('replayed');
    // The next time step's code still approves the open challenge.
    const later = await midStep();
    expect((await verify(acme, second, totpAt(secret, later))).status).toBe(200);
  });

  it('±1 time step of drift is accepted, ±2 refused', async () => {
    const { userId } = await api.newUser(acme, 'drift');
    const { secret } = await api.enrollAuthenticator(acme, userId);
    let now = await midStep(3);
    expect((await verify(acme, await appChallenge(acme, userId), totpAt(secret, now - 30_000))).status).toBe(200);
    expect((await verify(acme, await appChallenge(acme, userId), totpAt(secret, now + 30_000))).status).toBe(200);
    now = await midStep(5);
    const challenge = await appChallenge(acme, userId);
    for (const offset of [-60_000, 60_000]) {
      const reply = await verify(acme, challenge, totpAt(secret, now + offset));
      expectProblem(reply, 422, 'wrong-code');
      expect(reply.body.reason).toBeUndefined();
    }
  });

  it('two verifies racing with one code on two challenges: exactly one is approved (compare-and-set of the step)', async () => {
    const { userId } = await api.newUser(acme, 'race');
    const { secret } = await api.enrollAuthenticator(acme, userId);
    const now = await midStep();
    const [a, b] = [await appChallenge(acme, userId), await appChallenge(acme, userId)];
    const code = totpAt(secret, now);
    const replies = await Promise.all([verify(acme, a, code), verify(acme, b, code)]);
    expect(replies.map((r) => r.status).sort()).toEqual([200, 422]);
  });

  it("the user's default method applies when none is given, and a removed app can no longer be used", async () => {
    const { userId } = await api.newUser(acme, 'default');
    await api.enrollAuthenticator(acme, userId);
    expect((await api.request('PATCH', `/v1/admin/users/${userId}`, { key: acme.adminKey, body: { defaultMethod: 'app' } })).status).toBe(200);
    const created = await api.request('POST', '/v1/challenges', { key: acme.authKey, body: { userId } });
    expect(created.body).toMatchObject({ method: 'app' });
    expectProblem(await api.request('POST', `/v1/challenges/${created.body.challengeId as string}/resend`, { key: acme.authKey }), 422, 'method-unavailable');

    expect((await api.request('DELETE', `/v1/admin/users/${userId}/authenticator`, { key: acme.adminKey })).status).toBe(204);
    expectProblem(await api.request('POST', '/v1/challenges', { key: acme.authKey, body: { userId, method: 'app' } }), 422, 'method-unavailable');
    expectProblem(await api.request('DELETE', `/v1/admin/users/${userId}/authenticator`, { key: acme.adminKey }), 404, 'not-found');
  });

  it('R28: no authenticator secret is readable in DynamoDB', async () => {
    const { userId } = await api.newUser(acme, 'scan');
    const { secret } = await api.enrollAuthenticator(acme, userId);
    const dump = JSON.stringify(await api.allItems());
    expect(dump).toContain('sealedSecret');
    for (const form of [base32Encode(secret), Buffer.from(secret).toString('hex'), Buffer.from(secret).toString('base64'), Buffer.from(secret).toString('base64url')]) {
      expect(dump).not.toContain(form);
    }
  });
});
