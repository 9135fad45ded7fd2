import { localProjection } from '../../infra/local/projection';
import { PROJECTION_BOUND_SECONDS } from '../../shared/rules';
import { expectProblem, TestApi, type Tenant } from '../support/runtime';

/**
 * R23/R24 as they hold on AWS: an approval's auth-log line, its usage and the billed unit of its
 * text are written from the Challenges table's stream, so without the local runtime's drain they
 * appear after the approval, within PROJECTION_BOUND_SECONDS.
 */
let api: TestApi;
let tenant: Tenant;

beforeAll(async () => {
  api = await TestApi.start();
  tenant = await api.createTenant();
  localProjection.setDrain(false);
});

afterAll(async () => {
  localProjection.setDrain(true);
  await api.stop();
});

const month = () => new Date().toISOString().slice(0, 7);

it(`an approval's log line and usage appear within ${PROJECTION_BOUND_SECONDS} s with the drain off`, async () => {
  const { userId, phone } = await api.newUser(tenant);
  const created = await api.request<{ challengeId: string }>('POST', '/v1/challenges', { key: tenant.authKey, body: { userId, method: 'sms' } });
  expect(created.status).toBe(201);
  const verified = await api.request('POST', `/v1/challenges/${created.body.challengeId}/verify`, { key: tenant.authKey, body: { code: await api.latestCode(phone) } });
  expect(verified.status).toBe(200);
  const approvedAt = Date.now();

  const seen = async () => {
    const logs = await api.request<{ items: { challengeId?: string; result: string }[] }>('GET', `/v1/admin/auth-logs?userId=${userId}`, { key: tenant.adminKey });
    const usage = await api.request<{ totals: { byResult: Record<string, number> } }>('GET', `/v1/admin/usage?month=${month()}`, { key: tenant.adminKey });
    const results = logs.body.items.filter((l) => l.challengeId === created.body.challengeId).map((l) => l.result).sort();
    return { results, approved: usage.body.totals.byResult.approved ?? 0, sent: usage.body.totals.byResult.sent ?? 0 };
  };
  let state = await seen();
  while (state.results.length < 2 && Date.now() - approvedAt < PROJECTION_BOUND_SECONDS * 1000) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    state = await seen();
  }
  expect(state).toEqual({ results: ['approved', 'sent'], approved: 1, sent: 1 });
  expect(Date.now() - approvedAt).toBeLessThanOrEqual(PROJECTION_BOUND_SECONDS * 1000);
});

it('with the drain on, a read right after the approval already sees its line (the local runtime reads its own writes)', async () => {
  localProjection.setDrain(true);
  const { userId, phone } = await api.newUser(tenant);
  const created = await api.request<{ challengeId: string }>('POST', '/v1/challenges', { key: tenant.authKey, body: { userId, method: 'sms' } });
  await api.request('POST', `/v1/challenges/${created.body.challengeId}/verify`, { key: tenant.authKey, body: { code: await api.latestCode(phone) } });
  const logs = await api.request<{ items: { challengeId?: string; result: string }[] }>('GET', `/v1/admin/auth-logs?userId=${userId}`, { key: tenant.adminKey });
  expect(logs.body.items.filter((l) => l.challengeId === created.body.challengeId).map((l) => l.result).sort()).toEqual(['approved', 'sent']);
});

it('a read the projection cannot catch up for within its deadline is answered 503 service-unavailable with Retry-After, never left hanging or 500', async () => {
  // A deadline of 0: the drain's pass needs DynamoDB Local's answers, so the deadline comes first.
  localProjection.setDrain(true, 0);
  try {
    const reply = await api.request('GET', '/v1/admin/auth-logs', { key: tenant.adminKey });
    expectProblem(reply, 503, 'service-unavailable');
    expect(Number(reply.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(reply.body.detail).toBe('The challenge projection is behind: auth logs, usage and billing are not up to date yet');
    // Without a key the handler answers at once: nothing waits for the projection.
    expectProblem(await api.request('GET', '/v1/admin/auth-logs'), 401, 'unauthenticated');
    // R24: the billing run bills nothing while the projection has not caught up: a 503 naming why, nothing written.
    const billing = await api.request('POST', '/local/billing-run', { body: { month: '2026-01' } });
    expectProblem(billing, 503, 'service-unavailable');
    expect(billing.body.detail).toBe(
      'The billing of 2026-01 waits for the challenge projection: The challenge projection is behind: auth logs, usage and billing are not up to date yet',
    );
    expect(Number(billing.headers.get('retry-after'))).toBeGreaterThan(0);
  } finally {
    localProjection.setDrain(true);
  }
  expect((await api.request('GET', '/v1/admin/auth-logs', { key: tenant.adminKey })).status).toBe(200);
  expect((await api.request('POST', '/local/billing-run', { body: { month: '2026-01' } })).status).toBe(200);
});
