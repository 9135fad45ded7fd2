import { expectProblem, TestApi, type Reply, type Tenant } from '../support/runtime';

let api: TestApi;
let t: Tenant;

beforeAll(async () => {
  api = await TestApi.start();
  t = await api.createTenant('Every attempt');
});

afterAll(() => api.stop());

const admin = (method: string, path: string, body?: unknown): Promise<Reply> =>
  api.request(method, path, { key: t.adminKey, ...(body === undefined ? {} : { body }) });

type Line = { userId: string; method?: string; event: string; result: string; reason?: string; apiKeyName: string; challengeId?: string };

async function linesOf(userId: string): Promise<Line[]> {
  const reply = await admin('GET', `/v1/admin/auth-logs?limit=100&userId=${encodeURIComponent(userId)}`);
  expect(reply.status).toBe(200);
  return reply.body.items as Line[];
}

describe('R23 every attempt is an auth-log line with its result and reason', () => {
  it('R23: refused challenge creates are logged: unknown user, blocked, MFA off, registration required, country, method unavailable', async () => {
    await api.putUser(t, 'rf-blocked', '+14155550181');
    await admin('POST', '/v1/admin/users/rf-blocked/block', { reason: 'left the company' });
    await api.putUser(t, 'rf-off', '+14155550182');
    await admin('PATCH', '/v1/admin/users/rf-off', { mfaEnabled: false });
    await admin('PUT', '/v1/admin/users/rf-none', { phones: {}, mfaEnabled: true });
    await api.putUser(t, 'rf-fr', '+33612345678');
    await api.putUser(t, 'rf-push', '+14155550184');
    await api.putUser(t, 'rf-voice', '+14155550185');
    await admin('PATCH', '/v1/admin/settings', { allowedCountries: ['US'], callerId: null });

    const refusals: [string, string | undefined, number, string][] = [
      ['rf-ghost', undefined, 404, 'unknown_user'],
      ['rf-blocked', undefined, 403, 'user_blocked'],
      ['rf-off', undefined, 403, 'mfa_disabled'],
      ['rf-none', undefined, 403, 'nothing_registered'],
      ['rf-fr', 'sms', 403, 'country_not_allowed'],
      ['rf-voice', 'voice', 422, 'caller_id_missing'],
      ['rf-push', 'push', 422, 'method_unavailable'],
    ];
    for (const [userId, method, status] of refusals) {
      const reply = await api.request('POST', '/v1/challenges', { key: t.authKey, body: { userId, ...(method ? { method } : {}) } });
      expect([reply.status, userId]).toEqual([status, userId]);
    }
    for (const [userId, method, , reason] of refusals) {
      expect([userId, await linesOf(userId)]).toEqual([
        userId,
        [expect.objectContaining({ userId, event: 'challenge', result: 'denied', reason, apiKeyName: expect.any(String), ...(method ? { method } : {}) })],
      ]);
    }
  });

  it('R23: a code sent to a push challenge, which takes none, is logged as a denied attempt', async () => {
    await admin('PATCH', '/v1/admin/settings', { allowedCountries: null });
    await api.putUser(t, 'vc-push', '+14155550187');
    const issued = await admin('POST', '/v1/admin/users/vc-push/push-activations');
    const activated = await api.request('POST', '/v1/push/activate', { body: { activationCode: issued.body.activationCode, platform: 'ios', pushToken: 'tok-vc-push' } });
    expect(activated.status).toBe(201);
    const created = await api.request('POST', '/v1/challenges', { key: t.authKey, body: { userId: 'vc-push', method: 'push' } });
    expect(created.status).toBe(201);

    expectProblem(await api.request('POST', `/v1/challenges/${created.body.challengeId}/verify`, { key: t.authKey, body: { code: '123456' } }), 422, 'method-unavailable');
    const lines = await linesOf('vc-push');
    expect(lines.filter((l) => l.event === 'verify')).toEqual([
      expect.objectContaining({ method: 'push', result: 'denied', reason: 'method_unavailable', challengeId: created.body.challengeId }),
    ]);
  });

  it('R23: a refused resend is logged with its reason', async () => {
    await api.putUser(t, 'rs-user', '+14155550186');
    const created = await api.createChallenge(t, 'rs-user');
    expect(created.status).toBe(201);
    const id = created.body.challengeId as string;
    expectProblem(await api.request('POST', `/v1/challenges/${id}/resend`, { key: t.authKey }), 429);
    const lines = await linesOf('rs-user');
    expect(lines).toContainEqual(expect.objectContaining({ event: 'resend', result: 'throttled', reason: 'resend_cooldown', challengeId: id }));
  });

  it('R23: every app-password verification, right or wrong, is logged; an unknown user is named as given', async () => {
    await admin('PATCH', '/v1/admin/settings', { appPasswordsAllowed: true });
    await api.putUser(t, 'ap-user', '+14155550187');
    const created = await admin('POST', '/v1/admin/users/ap-user/app-passwords', { name: 'mail' });
    expect(created.status).toBe(201);
    const verify = (userId: string, password: string) => api.request('POST', '/v1/app-passwords/verify', { key: t.authKey, body: { userId, password } });
    expect((await verify('ap-user', created.body.password as string)).status).toBe(200);
    expect((await verify('ap-user', 'not-the-password-at-all')).status).toBeGreaterThanOrEqual(400);
    expect((await verify('ap-ghost', 'not-the-password-at-all')).status).toBeGreaterThanOrEqual(400);
    const lines = await linesOf('ap-user');
    expect(lines.map((l) => [l.method, l.event, l.result, l.reason])).toEqual([
      ['app_password', 'verify', 'denied', 'wrong_password'],
      ['app_password', 'verify', 'approved', undefined],
    ]);
    expect(await linesOf('ap-ghost')).toEqual([expect.objectContaining({ userId: 'ap-ghost', method: 'app_password', result: 'denied', reason: 'wrong_password' })]);
  });
});
