/**
 * Limits that protect end users, the phone network and the other tenants (R6): a tenant may only
 * lower them; only the operator raises a tenant's per-second caps; each tenant's caps are taken
 * before any costly work; the public push routes are capped per source address; counters keyed
 * by a phone number never store a plain hash of it.
 */
import { sha256Hex } from '../../shared/domain/crypto';
import { PUSH_REQUESTS_PER_SOURCE_PER_MINUTE, RESEND_COOLDOWN_SECONDS, USER_CHALLENGES_PER_WINDOW } from '../../shared/rules';
import { expectProblem, TestApi, type Reply, type Tenant } from '../support/runtime';

let api: TestApi;

beforeAll(async () => {
  api = await TestApi.start();
});

afterAll(() => api.stop());

function expectThrottled(reply: Reply, reason: string): void {
  expectProblem(reply, 429, 'retry-later');
  expect(reply.body.reason).toBe(reason);
  expect(Number(reply.headers.get('retry-after'))).toBeGreaterThan(0);
}

const setCaps = (tenant: Tenant, caps: Record<string, number | null>, key = api.runtime.operatorKey) =>
  api.request('PUT', `/v1/operator/tenants/${tenant.tenantId}/limits`, { key, body: caps });

const patchLimits = (tenant: Tenant, limits: Record<string, number> | null) =>
  api.request('PATCH', '/v1/admin/settings', { key: tenant.adminKey, body: { limits } });

async function sixChallenges(tenant: Tenant): Promise<number[]> {
  const { userId } = await api.newUser(tenant);
  const statuses: number[] = [];
  for (let i = 0; i < USER_CHALLENGES_PER_WINDOW + 1; i++) statuses.push((await api.createChallenge(tenant, userId)).status);
  return statuses;
}

async function withFrozenClock(run: () => Promise<void>): Promise<void> {
  await api.freezeClock(true);
  try {
    await run();
  } finally {
    await api.freezeClock(false);
  }
}

describe('R6: limits are ceilings a tenant may only lower', () => {
  it('R6: a tenant may lower challengesPerUserPerWindow but never raise it above 5', async () => {
    const tenant = await api.createTenant('Ceiling');
    const raised = await patchLimits(tenant, { challengesPerUserPerWindow: USER_CHALLENGES_PER_WINDOW + 1 });
    expectProblem(raised, 400, 'validation-failed');
    expect(JSON.stringify(raised.body)).toContain('/limits/challengesPerUserPerWindow');
    expect((await api.request('GET', '/v1/admin/settings', { key: tenant.adminKey })).body.limits).toBeNull();
    expect(await sixChallenges(tenant)).toEqual([201, 201, 201, 201, 201, 429]);

    expect((await patchLimits(tenant, { challengesPerUserPerWindow: 2 })).status).toBe(200);
    const { userId } = await api.newUser(tenant);
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await api.createChallenge(tenant, userId)).status);
    expect(statuses).toEqual([201, 201, 429]);
  });

  it('R6: a per-user limit stored above 5 (written before the ceiling existed) still lets only 5 through', async () => {
    const tenant = await api.createTenant('Stored above the ceiling');
    await api.writeTenantItem(tenant.tenantId, 'SET settings.limits = :limits', {
      ':limits': { M: { challengesPerUserPerWindow: { N: '20' }, challengesPerSecond: { N: '500' } } },
    });
    expect(await sixChallenges(tenant)).toEqual([201, 201, 201, 201, 201, 429]);
  });

  it("R6: only the operator raises a tenant's per-second cap; the tenant may lower it up to that cap", async () => {
    const tenant = await api.createTenant('Per-second ceiling');
    expectProblem(await patchLimits(tenant, { challengesPerSecond: 51 }), 400, 'validation-failed');
    expect((await patchLimits(tenant, { challengesPerSecond: 50 })).status).toBe(200);

    // The tenant's own admin key is not the operator's.
    expect((await setCaps(tenant, { challengesPerSecond: 80 }, tenant.adminKey)).status).toBe(401);
    expectProblem(await setCaps({ ...tenant, tenantId: 'tn000000000000000000000000' }, { challengesPerSecond: 80 }), 404, 'not-found');
    expectProblem(await setCaps(tenant, { challengesPerSecond: 0 }), 400, 'validation-failed');

    const raised = await setCaps(tenant, { challengesPerSecond: 80 });
    expect(raised.status).toBe(200);
    expect(raised.body.caps).toMatchObject({ challengesPerSecond: 80 });
    expect((await patchLimits(tenant, { challengesPerSecond: 80 })).status).toBe(200);
    expectProblem(await patchLimits(tenant, { challengesPerSecond: 81 }), 400, 'validation-failed');
  });

  it("R6: a cap the operator lowers below the tenant's own setting is the one enforced", async () => {
    const tenant = await api.createTenant('Lowered by the operator');
    expect((await patchLimits(tenant, { challengesPerSecond: 3 })).status).toBe(200);
    expect((await setCaps(tenant, { challengesPerSecond: 2 })).status).toBe(200);
    const users: { userId: string }[] = [];
    for (let i = 0; i < 3; i++) users.push(await api.newUser(tenant, 'lowered'));
    await withFrozenClock(async () => {
      const replies = await Promise.all(users.map((u) => api.createChallenge(tenant, u.userId)));
      expect(replies.filter((r) => r.status === 201)).toHaveLength(2);
      for (const r of replies.filter((x) => x.status !== 201)) expectThrottled(r, 'tenant_rate');
    });
  });
});

describe("R6: each tenant's caps come before any costly work", () => {
  it("R6: a resend counts against the tenant's per-second challenge cap: refused, nothing texted", async () => {
    const tenant = await api.createTenant('Resend cap');
    expect((await patchLimits(tenant, { challengesPerSecond: 1 })).status).toBe(200);
    const first = await api.newUser(tenant, 'resend');
    const second = await api.newUser(tenant, 'resend');
    await withFrozenClock(async () => {
      const created = await api.createChallenge(tenant, first.userId);
      expect(created.status).toBe(201);
      await api.advanceClock(RESEND_COOLDOWN_SECONDS + 1);
      expect((await api.createChallenge(tenant, second.userId)).status).toBe(201);
      const sent = (await api.outbox(first.phone)).length;
      const resend = await api.request('POST', `/v1/challenges/${created.body.challengeId as string}/resend`, { key: tenant.authKey });
      expectThrottled(resend, 'tenant_rate');
      expect(await api.outbox(first.phone)).toHaveLength(sent);
    });
  });

  it('R6: a tenant over its request cap is refused before the request does anything (a wrong code is not counted)', async () => {
    const tenant = await api.createTenant('Request cap');
    const { userId } = await api.newUser(tenant, 'requests');
    const created = await api.createChallenge(tenant, userId);
    const id = created.body.challengeId as string;
    expect((await setCaps(tenant, { requestsPerSecond: 2 })).status).toBe(200);
    await withFrozenClock(async () => {
      await api.advanceClock(1);
      const verify = () => api.request('POST', `/v1/challenges/${id}/verify`, { key: tenant.authKey, body: { code: '000000' } });
      const replies = [await verify(), await verify(), await verify()];
      expect(replies.slice(0, 2).map((r) => r.status)).toEqual([422, 422]);
      expectThrottled(replies[2]!, 'tenant_requests');
      // Another tenant is not affected by this one's cap.
      const other = await api.createTenant('Neighbour');
      expect((await api.request('GET', '/v1/admin/settings', { key: other.adminKey })).status).toBe(200);
      await api.advanceClock(1);
      const read = await api.request('GET', `/v1/challenges/${id}`, { key: tenant.authKey });
      expect(read.status).toBe(200);
      // Only the two verifies that got through were counted as wrong codes.
      const stored = (await api.allItems()).find((i) => i.table === 'Challenges' && i.item.challengeId?.S === id);
      expect(stored?.item.wrongAttempts?.N).toBe('2');
    });
  });

  it(`R6: the public push routes take at most ${PUSH_REQUESTS_PER_SOURCE_PER_MINUTE} requests a minute from one source`, async () => {
    await withFrozenClock(async () => {
      const now = Date.parse((await api.request('GET', '/local/clock')).body.now as string);
      // Start at the top of a minute, so the burst stays within one window.
      await api.advanceClock(Math.ceil((60_000 - (now % 60_000)) / 1000));
      const paths = ['/v1/push/respond', '/v1/push/activate'];
      for (let i = 0; i < PUSH_REQUESTS_PER_SOURCE_PER_MINUTE; i++) {
        const reply = await api.request('POST', paths[i % 2]!, { body: {} });
        expect(reply.status).toBe(400);
      }
      expectThrottled(await api.request('POST', '/v1/push/respond', { body: {} }), 'source_rate');
      expectThrottled(await api.request('POST', '/v1/push/activate', { body: {} }), 'source_rate');
      await api.advanceClock(60);
      expect((await api.request('POST', '/v1/push/activate', { body: {} })).status).toBe(400);
    });
  });
});

describe('R28: throttle counters keyed by a phone number hold a keyed hash of it', () => {
  it('R28: the per-number counter key is not the SHA-256 of the number, and one counter still spans tenants', async () => {
    const a = await api.createTenant('Number A');
    const b = await api.createTenant('Number B');
    const shared = '+14155557777';
    expect((await api.putUser(a, 'shared-a', shared)).status).toBe(201);
    expect((await api.putUser(b, 'shared-b', shared)).status).toBe(201);
    await withFrozenClock(async () => {
      const counters = async () =>
        (await api.allItems()).filter((i) => i.table === 'Throttle' && i.item.pk?.S?.startsWith('C#number_rate#')).map((i) => i.item);
      const before = new Set((await counters()).map((c) => c.pk?.S));
      expect((await api.createChallenge(a, 'shared-a')).status).toBe(201);
      expect((await api.createChallenge(b, 'shared-b')).status).toBe(201);
      const fresh = (await counters()).filter((c) => !before.has(c.pk?.S));
      expect(fresh).toHaveLength(1);
      expect(fresh[0]!.count?.N).toBe('2');
      const throttleItems = JSON.stringify((await api.allItems()).filter((i) => i.table === 'Throttle'));
      expect(throttleItems).not.toContain(sha256Hex(shared));
      expect(throttleItems).not.toContain(shared.slice(1));
    });
  });
});
