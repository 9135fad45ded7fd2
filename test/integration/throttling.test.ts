import {
  MESSAGES_PER_NUMBER_PER_HOUR,
  USER_CHALLENGE_WINDOW_SECONDS,
  USER_CHALLENGES_PER_WINDOW,
  WRONG_CODE_COOLDOWN_BASE_SECONDS,
  WRONG_CODE_STREAK_RESET_SECONDS,
} from '../../shared/rules';
import { expectProblem, TestApi, type Reply, type Tenant } from '../support/runtime';

let api: TestApi;
let tenant: Tenant;

beforeAll(async () => {
  api = await TestApi.start();
  tenant = await api.createTenant('Throttled');
});

afterAll(() => api.stop());

const challengesOf = async (userId: string) =>
  (await api.allItems()).filter((i) => i.table === 'Challenges' && i.item.userId?.S === userId && i.item.challengeId);

const verify = (id: string, code: string) => api.request('POST', `/v1/challenges/${id}/verify`, { key: tenant.authKey, body: { code } });

async function wrongCodes(id: string, code: string, n: number): Promise<void> {
  const wrong = code === '000000' ? '111111' : '000000';
  for (let i = 0; i < n; i++) expect([422, 423]).toContain((await verify(id, wrong)).status);
}

function expectThrottled(reply: Reply, reason: string): number {
  expectProblem(reply, 429, 'retry-later');
  expect(reply.body.reason).toBe(reason);
  const retryAfter = Number(reply.headers.get('retry-after'));
  expect(retryAfter).toBeGreaterThan(0);
  expect(reply.body.retryAfter).toBe(retryAfter);
  return retryAfter;
}

describe('R6 per-user limit: a sliding log of 5 sends in any 5 minutes', () => {
  it('50 concurrent challenge requests for one user: exactly 5 accepted, nothing else sent or stored', async () => {
    const { userId, phone } = await api.newUser(tenant);
    const replies = await Promise.all(Array.from({ length: 50 }, () => api.createChallenge(tenant, userId)));
    expect(replies.filter((r) => r.status === 201)).toHaveLength(USER_CHALLENGES_PER_WINDOW);
    const refused = replies.filter((r) => r.status !== 201);
    expect(refused).toHaveLength(50 - USER_CHALLENGES_PER_WINDOW);
    for (const r of refused) expectThrottled(r, 'user_rate');
    expect(await api.outbox(phone)).toHaveLength(USER_CHALLENGES_PER_WINDOW);
    expect(await challengesOf(userId)).toHaveLength(USER_CHALLENGES_PER_WINDOW);
  });

  it('the window slides: the 6th waits until the oldest of the 5 is 5 minutes old, to the second', async () => {
    const { userId } = await api.newUser(tenant);
    await api.freezeClock(true);
    try {
      for (let i = 0; i < USER_CHALLENGES_PER_WINDOW; i++) {
        expect((await api.createChallenge(tenant, userId)).status).toBe(201);
        await api.advanceClock(10);
      }
      // Now 50 s after the first; it leaves the window 250 s from now.
      expect(expectThrottled(await api.createChallenge(tenant, userId), 'user_rate')).toBe(USER_CHALLENGE_WINDOW_SECONDS - 50);
      await api.advanceClock(USER_CHALLENGE_WINDOW_SECONDS - 51);
      expect(expectThrottled(await api.createChallenge(tenant, userId), 'user_rate')).toBe(1);
      await api.advanceClock(1);
      expect((await api.createChallenge(tenant, userId)).status).toBe(201);
      // The second-oldest (t = 10 s) leaves at 310 s; it is 300 s now.
      expect(expectThrottled(await api.createChallenge(tenant, userId), 'user_rate')).toBe(10);
    } finally {
      await api.freezeClock(false);
    }
  });

  it('a retry with the same Idempotency-Key is replayed, not throttled, even at the limit', async () => {
    const { userId, phone } = await api.newUser(tenant);
    const headers = { 'idempotency-key': `retry-${Math.random()}` };
    const first = await api.createChallenge(tenant, userId, headers);
    for (let i = 1; i < USER_CHALLENGES_PER_WINDOW; i++) expect((await api.createChallenge(tenant, userId)).status).toBe(201);
    expectThrottled(await api.createChallenge(tenant, userId), 'user_rate');
    const retried = await api.createChallenge(tenant, userId, headers);
    expect(retried.status).toBe(201);
    expect(retried.headers.get('idempotent-replayed')).toBe('true');
    expect(retried.body.challengeId).toBe(first.body.challengeId);
    expect(await api.outbox(phone)).toHaveLength(USER_CHALLENGES_PER_WINDOW);
  });

  it('resends count towards the same limit', async () => {
    const { userId } = await api.newUser(tenant);
    const id = (await api.createChallenge(tenant, userId)).body.challengeId as string;
    for (let i = 0; i < USER_CHALLENGES_PER_WINDOW - 1; i++) {
      await api.advanceClock(20);
      expect((await api.request('POST', `/v1/challenges/${id}/resend`, { key: tenant.authKey })).status).toBe(200);
    }
    await api.advanceClock(20);
    expectThrottled(await api.createChallenge(tenant, userId), 'user_rate');
  });

  it('the admin sees the counters; throttled requests are logged but never counted as sent', async () => {
    const { userId } = await api.newUser(tenant);
    for (let i = 0; i < USER_CHALLENGES_PER_WINDOW + 2; i++) await api.createChallenge(tenant, userId);
    const user = await api.request('GET', `/v1/admin/users/${userId}`, { key: tenant.adminKey });
    expect(user.body.throttling).toMatchObject({
      challengesInWindow: USER_CHALLENGES_PER_WINDOW,
      challengeLimit: USER_CHALLENGES_PER_WINDOW,
      nextChallengeAt: expect.any(String),
    });
    const logs = await api.request('GET', `/v1/admin/auth-logs?userId=${userId}`, { key: tenant.adminKey });
    const results = (logs.body.items as { result: string; reason?: string }[]).map((l) => `${l.result}:${l.reason ?? ''}`);
    expect(results.filter((r) => r === 'throttled:user_rate')).toHaveLength(2);
    expect(results.filter((r) => r === 'sent:')).toHaveLength(USER_CHALLENGES_PER_WINDOW);
  });
});

describe('R6 per-number cap across tenants (fixed clock hour)', () => {
  it(`${MESSAGES_PER_NUMBER_PER_HOUR} texts an hour to one number, whichever tenant sends them; the next hour starts afresh`, async () => {
    const other = await api.createTenant('Other tenant');
    const shared = '+14155559999';
    await api.freezeClock(true);
    try {
      const now = Date.parse((await api.request('GET', '/local/clock')).body.now as string);
      // Start 10 minutes into an hour so the burst stays within one clock hour.
      await api.advanceClock(Math.ceil((3_600_000 - (now % 3_600_000)) / 1000) + 600);
      for (const [t, ids] of [[tenant, ['n1', 'n2']], [other, ['m1']]] as const) {
        for (const id of ids) await api.putUser(t, id, shared);
      }
      const sent: number[] = [];
      for (const [t, id] of [[tenant, 'n1'], [tenant, 'n2']] as const) {
        for (let i = 0; i < 5; i++) sent.push((await api.createChallenge(t, id)).status);
      }
      expect(sent).toEqual(Array(MESSAGES_PER_NUMBER_PER_HOUR).fill(201));
      const before = (await api.outbox(shared)).length;
      const refused = await api.createChallenge(other, 'm1');
      expect(expectThrottled(refused, 'number_rate')).toBe(3000);
      expect(await api.outbox(shared)).toHaveLength(before);
      expect(await challengesOf('m1')).toHaveLength(0);
      await api.advanceClock(3000);
      expect((await api.createChallenge(other, 'm1')).status).toBe(201);
    } finally {
      await api.freezeClock(false);
    }
  });
});

describe('R6 per-tenant rate', () => {
  it('a tenant limited to 3 challenges a second gets exactly 3 of 8 simultaneous ones', async () => {
    const t = await api.createTenant('Small tenant');
    const settings = await api.request('PATCH', '/v1/admin/settings', { key: t.adminKey, body: { limits: { challengesPerSecond: 3 } } });
    expect(settings.body.limits).toEqual({ challengesPerSecond: 3 });
    const users = [];
    for (let i = 0; i < 8; i++) users.push(await api.newUser(t, 'burst'));
    await api.freezeClock(true);
    try {
      const replies = await Promise.all(users.map((u) => api.createChallenge(t, u.userId)));
      expect(replies.filter((r) => r.status === 201)).toHaveLength(3);
      for (const r of replies.filter((x) => x.status !== 201)) expectThrottled(r, 'tenant_rate');
      await api.advanceClock(1);
      expect((await api.createChallenge(t, users[7]!.userId)).status).toBe(201);
    } finally {
      await api.freezeClock(false);
    }
  });
});

describe('R8 wrong codes across challenges: a growing cool-down, never a lockout', () => {
  it('grows with the streak, and an approval ends it', async () => {
    const { userId, phone } = await api.newUser(tenant);
    await api.freezeClock(true);
    try {
      const first = await api.createChallenge(tenant, userId);
      await wrongCodes(first.body.challengeId as string, await api.latestCode(phone), 5);
      expect(expectThrottled(await api.createChallenge(tenant, userId), 'wrong_code_cooldown')).toBe(WRONG_CODE_COOLDOWN_BASE_SECONDS);
      await api.advanceClock(WRONG_CODE_COOLDOWN_BASE_SECONDS);

      const second = await api.createChallenge(tenant, userId);
      expect(second.status).toBe(201);
      await wrongCodes(second.body.challengeId as string, await api.latestCode(phone), 5);
      expect(expectThrottled(await api.createChallenge(tenant, userId), 'wrong_code_cooldown')).toBe(2 * WRONG_CODE_COOLDOWN_BASE_SECONDS);
      const view = await api.request('GET', `/v1/admin/users/${userId}`, { key: tenant.adminKey });
      expect(view.body.throttling).toMatchObject({ wrongCodeStreak: 10, coolDownUntil: expect.any(String) });
      await api.advanceClock(2 * WRONG_CODE_COOLDOWN_BASE_SECONDS);

      const third = await api.createChallenge(tenant, userId);
      expect(third.status).toBe(201);
      expect((await verify(third.body.challengeId as string, await api.latestCode(phone))).status).toBe(200);
      expect((await api.createChallenge(tenant, userId)).status).toBe(201);
      const after = await api.request('GET', `/v1/admin/users/${userId}`, { key: tenant.adminKey });
      expect(after.body.throttling).toMatchObject({ wrongCodeStreak: 0 });
    } finally {
      await api.freezeClock(false);
    }
  });

  it('a streak is forgotten after an hour without wrong codes, and the admin can clear it at once', async () => {
    const { userId, phone } = await api.newUser(tenant);
    const first = await api.createChallenge(tenant, userId);
    await wrongCodes(first.body.challengeId as string, await api.latestCode(phone), 5);
    expectThrottled(await api.createChallenge(tenant, userId), 'wrong_code_cooldown');
    expect((await api.request('DELETE', `/v1/admin/users/${userId}/throttling`, { key: tenant.adminKey })).status).toBe(204);
    expect((await api.createChallenge(tenant, userId)).status).toBe(201);

    const { userId: other, phone: otherPhone } = await api.newUser(tenant);
    const c = await api.createChallenge(tenant, other);
    await wrongCodes(c.body.challengeId as string, await api.latestCode(otherPhone), 5);
    await api.advanceClock(WRONG_CODE_STREAK_RESET_SECONDS);
    expect((await api.createChallenge(tenant, other)).status).toBe(201);
    const view = await api.request('GET', `/v1/admin/users/${other}`, { key: tenant.adminKey });
    expect(view.body.throttling).toMatchObject({ wrongCodeStreak: 0 });
  });
});
