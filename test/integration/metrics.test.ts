import type { MetricTotal } from '../../shared/adapters/local/metrics';
import { MAX_WRONG_CODES } from '../../shared/rules';
import { TestApi, type Tenant } from '../support/runtime';

/**
 * The metrics the real handlers publish (CloudWatch EMF on AWS), read back from the local
 * runtime's in-memory stand-in: they must count exactly what happened.
 */
let api: TestApi;
let tenant: Tenant;

beforeAll(async () => {
  api = await TestApi.start({ voiceCallTimeoutMs: 300 });
  tenant = await api.createTenant();
});

afterAll(() => api.stop());

async function metrics(): Promise<MetricTotal[]> {
  const reply = await api.request<MetricTotal[]>('GET', '/local/metrics');
  expect(reply.status).toBe(200);
  return reply.body;
}

/** The total of one metric, optionally for one dimension value, now. */
async function total(name: string, where: Record<string, string> = {}): Promise<number> {
  return (await metrics())
    .filter((m) => m.name === name && Object.entries(where).every(([k, v]) => (m.dimensions as Record<string, string>)[k] === v))
    .reduce((sum, m) => sum + m.value, 0);
}

/** How each listed metric moved while `action` ran. */
async function delta(names: [string, Record<string, string>?][], action: () => Promise<void>): Promise<number[]> {
  const before = await Promise.all(names.map(([n, w]) => total(n, w)));
  await action();
  const after = await Promise.all(names.map(([n, w]) => total(n, w)));
  return after.map((v, i) => v - (before[i] as number));
}

const verify = (id: string, code: string) => api.request('POST', `/v1/challenges/${id}/verify`, { key: tenant.authKey, body: { code } });

describe('business metrics', () => {
  it('an SMS sign-in counts one challenge, one text and one approval; a wrong code one denial by reason', async () => {
    const { userId, phone } = await api.newUser(tenant);
    const moved = await delta(
      [['Challenges', { method: 'sms' }], ['SmsSent', { provider: 'local-primary' }], ['Approvals', { method: 'sms' }], ['Denials', { reason: 'wrong_code' }], ['Verifications']],
      async () => {
        const id = (await api.createChallenge(tenant, userId)).body.challengeId as string;
        const code = await api.latestCode(phone);
        const wrong = code === '000000' ? '000001' : '000000';
        expect((await verify(id, wrong)).status).toBe(422);
        expect((await verify(id, code)).status).toBe(200);
        // A second verify of the spent code is refused and changes nothing: it must not count as an approval.
        expect((await verify(id, code)).status).toBeGreaterThanOrEqual(400);
      },
    );
    // Three verifications: the wrong code, the right one, and the refused replay, each with its log line.
    expect(moved).toEqual([1, 1, 1, 1, 3]);
  });

  it('a locked challenge: five wrong codes are five denials, not more', async () => {
    const { userId } = await api.newUser(tenant);
    const [denials] = await delta([['Denials', { reason: 'wrong_code' }]], async () => {
      const id = (await api.createChallenge(tenant, userId)).body.challengeId as string;
      for (let i = 0; i < MAX_WRONG_CODES + 2; i++) await verify(id, String(100000 + i));
    });
    expect(denials).toBe(MAX_WRONG_CODES);
  });

  it('R16: a failover counts the provider failure and the failover; both down counts an undelivered text', async () => {
    const { userId } = await api.newUser(tenant);
    await api.setSmsProvider('local-primary', 'down');
    try {
      const moved = await delta(
        [['SmsProviderFailures', { provider: 'local-primary' }], ['SmsFailovers'], ['SmsSent', { provider: 'local-secondary' }]],
        async () => {
          expect((await api.createChallenge(tenant, userId)).status).toBe(201);
        },
      );
      expect(moved).toEqual([1, 1, 1]);

      await api.setSmsProvider('local-secondary', 'down');
      const other = await api.newUser(tenant);
      // The challenge is stored before its text is sent (no code goes out without it), then denied.
      const failed = await delta([['SmsUndelivered'], ['DeliveryFailures', { method: 'sms' }], ['Challenges', { method: 'sms' }], ['Denials']], async () => {
        expect((await api.createChallenge(tenant, other.userId)).status).toBe(503);
      });
      expect(failed).toEqual([1, 1, 1, 0]);
    } finally {
      await api.setSmsProvider('local-primary', 'up');
      await api.setSmsProvider('local-secondary', 'up');
    }
  });

  it('R6: a throttled challenge counts under Throttled with its reason', async () => {
    const { userId } = await api.newUser(tenant);
    const statuses: number[] = [];
    const moved = await delta([['Throttled']], async () => {
      for (let i = 0; i < 7; i++) statuses.push((await api.createChallenge(tenant, userId)).status);
    });
    const refused = statuses.filter((s) => s === 429).length;
    expect(refused).toBeGreaterThan(0);
    expect(moved).toEqual([refused]);
    expect((await metrics()).some((m) => m.name === 'Throttled' && typeof m.dimensions.reason === 'string')).toBe(true);
  });

  it('R13: a voice rollover counts each call and one rollover', async () => {
    const primary = '+14155557001';
    const backup = '+14155557002';
    await api.scriptPhone(primary, 'voicemail');
    await api.scriptPhone(backup, 'press#');
    expect((await api.request('PATCH', '/v1/admin/settings', { key: tenant.adminKey, body: { callerId: '+14155550199' } })).status).toBe(200);
    expect((await api.putUser(tenant, 'voice-metrics', primary, [backup])).status).toBe(201);
    const before = await total('VoiceRollovers');
    const created = await api.request('POST', '/v1/challenges', { key: tenant.authKey, body: { userId: 'voice-metrics', method: 'voice' } });
    expect(created.status).toBe(201);
    // The record step publishes when it commits the result; wait for it as a dashboard would.
    let rollovers = 0;
    for (let i = 0; i < 200 && rollovers === 0; i++) {
      rollovers = (await total('VoiceRollovers')) - before;
      if (rollovers === 0) await new Promise((r) => setTimeout(r, 20));
    }
    expect(rollovers).toBe(1);
    expect(await total('VoiceCalls', { result: 'voicemail' })).toBe(1);
    expect(await total('VoiceCalls', { result: 'approved' })).toBe(1);
    expect(await total('Approvals', { method: 'voice' })).toBe(1);
  });
});
