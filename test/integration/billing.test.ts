import { expectProblem, TestApi, type Reply, type Tenant } from '../support/runtime';

/**
 * R24–R26 through the local runtime: one scripted month M (the month after the real one), with
 * the local clock frozen and moved day by day, then the billing run for M.
 */
let api: TestApi;
let perAuth: Tenant;
let other: Tenant;
let perUser: Tenant;
let replaced: Tenant;

const admin = (t: Tenant, method: string, path: string, body?: unknown) =>
  api.request(method, path, { key: t.adminKey, ...(body === undefined ? {} : { body }) });

async function clockNow(): Promise<number> {
  return Date.parse((await api.request<{ now: string }>('GET', '/local/clock')).body.now);
}

/** Moves the frozen local clock forward to `iso` (UTC). */
async function setClock(iso: string): Promise<void> {
  const seconds = (Date.parse(iso) - (await clockNow())) / 1000;
  if (seconds < 0) throw new Error(`the clock only moves forward (to ${iso})`);
  await api.advanceClock(seconds);
  expect(new Date(await clockNow()).toISOString()).toBe(new Date(iso).toISOString());
}

const monthAfter = (month: string) => {
  const [y, m] = month.split('-').map(Number) as [number, number];
  return new Date(Date.UTC(y, m, 1)).toISOString().slice(0, 7);
};
const day = (month: string, d: number, time = '03:00:00') => `${month}-${String(d).padStart(2, '0')}T${time}.000Z`;
const lastDay = (month: string) => {
  const [y, m] = month.split('-').map(Number) as [number, number];
  return new Date(Date.UTC(y, m, 0)).getUTCDate();
};

const setUser = (t: Tenant, userId: string, phone: string, change: { mfaEnabled: boolean; licensed?: boolean }) =>
  admin(t, 'PUT', `/v1/admin/users/${userId}`, { ...change, phones: { primary: phone } });

interface Row {
  tenantId: string;
  providerId: string;
  billingModel: string;
  billableUnits: number;
  unitPrice: string;
  currency: string;
  amountMinor: number;
  amount: string;
}

const billing = (t: Tenant, month: string) => admin(t, 'GET', `/v1/admin/billing?month=${month}`) as Promise<Reply<{ status: string; rows: Row[] }>>;

/** A setup step that must succeed (the checks themselves are in the tests below). */
function must(reply: Reply, status: number): void {
  if (reply.status !== status) throw new Error(`setup step answered ${reply.status}: ${JSON.stringify(reply.body)}`);
}

let M: string;
let next: string;
let idempotent: Reply[];
let retries: Reply[];
let throttled: Reply;
let replacedProviders: string[];
let first: { status: number; csv: string; json: string };

beforeAll(async () => {
  api = await TestApi.start();
  await api.freezeClock(true);
  M = monthAfter(new Date(await clockNow()).toISOString().slice(0, 7));
  next = monthAfter(M);

  // Before M: tenants, and users already enabled when M starts.
  perAuth = await api.createTenant('Per Auth Co');
  other = await api.createTenant('Other Co');
  perUser = await api.createTenant('Per User, "Quoted" Co');
  replaced = await api.createTenant('Replaced Co');
  await admin(perUser, 'DELETE', '/v1/admin/provider');
  await admin(perUser, 'PUT', '/v1/admin/provider', { billingModel: 'per_user' });
  must(await setUser(perUser, 'u2', '+14155552002', { mfaEnabled: true }), 201);
  await setUser(perUser, 'u5', '+14155552005', { mfaEnabled: false });
  await setUser(perUser, 'u6', '+14155552006', { mfaEnabled: true });
  await setUser(perUser, 'u7', '+14155552007', { mfaEnabled: true });
  await setUser(perUser, 'u3', '+14155552003', { mfaEnabled: true, licensed: true });
  await admin(perAuth, 'PATCH', '/v1/admin/settings', { callerId: '+14155550199' });
  for (const [t, id, phone] of [
    [perAuth, 'idem', '+14155553001'],
    [perAuth, 'busy', '+14155553002'],
    [perAuth, 'late', '+14155553003'],
    [perAuth, 'caller', '+14155553004'],
    [other, 'bob', '+14155553005'],
    [replaced, 'rae', '+14155553006'],
  ] as const) {
    await api.putUser(t, id, phone);
  }
  await api.scriptPhone('+14155553004', 'press#');

  // Day 1 of M.
  await setClock(day(M, 1));
  const headers = { 'idempotency-key': 'billing-once-0001' };
  idempotent = await Promise.all(Array.from({ length: 20 }, () => api.createChallenge(perAuth, 'idem', headers)));
  retries = [];
  for (let i = 0; i < 3; i++) retries.push(await api.createChallenge(perAuth, 'idem', headers));
  for (let i = 0; i < 5; i++) must(await api.createChallenge(perAuth, 'busy'), 201);
  throttled = await api.createChallenge(perAuth, 'busy');
  const voice = await api.request('POST', '/v1/challenges', { key: perAuth.authKey, body: { userId: 'caller', method: 'voice' } });
  must(voice, 201);
  must(await api.createChallenge(other, 'bob'), 201);

  await setClock(day(M, 2));
  await setUser(perUser, 'u6', '+14155552006', { mfaEnabled: false });
  await setClock(day(M, 3));
  await setUser(perUser, 'u1', '+14155552001', { mfaEnabled: true });
  await setUser(perUser, 'u4', '+14155552004', { mfaEnabled: true });
  await setClock(day(M, 5));
  must(await admin(perUser, 'DELETE', '/v1/admin/users/u7'), 204);
  await setClock(day(M, 10));
  await setUser(perUser, 'u4', '+14155552004', { mfaEnabled: true, licensed: true });

  await setClock(day(M, 12));
  must(await api.createChallenge(replaced, 'rae'), 201);
  must(await api.createChallenge(replaced, 'rae'), 201);
  const old = (await admin(replaced, 'GET', '/v1/admin/provider')).body.providerId as string;
  must(await admin(replaced, 'DELETE', '/v1/admin/provider'), 204);
  const created = await admin(replaced, 'PUT', '/v1/admin/provider', { billingModel: 'per_user' });
  replacedProviders = [old, created.body.providerId as string];
  await setUser(replaced, 'rae', '+14155553006', { mfaEnabled: true });

  await setClock(day(M, 15));
  await setUser(perUser, 'u6', '+14155552006', { mfaEnabled: true });
  await setClock(day(M, 20));
  await setUser(perUser, 'u1', '+14155552001', { mfaEnabled: false });
  await setClock(day(M, 25));
  await setUser(perUser, 'u5', '+14155552005', { mfaEnabled: true });

  // The last second of M, then the first of the next month.
  await setClock(day(M, lastDay(M), '23:59:59'));
  must(await api.createChallenge(perAuth, 'late'), 201);
  await setClock(day(next, 1, '00:00:00'));
  must(await api.createChallenge(perAuth, 'late'), 201);

  await setClock(day(next, 1, '03:00:00'));
  first = await api.runBilling(M);
});

afterAll(() => api.stop());

const rowsOf = (json: string, t: Tenant) => (JSON.parse(json) as { rows: Row[] }).rows.filter((r) => r.tenantId === t.tenantId);

describe('R24 metering: exactly once', () => {
  it('twenty concurrent identical requests and three retries with the same Idempotency-Key are one challenge', () => {
    const ids = new Set([...idempotent, ...retries].map((r) => r.body.challengeId));
    expect([...idempotent, ...retries].every((r) => r.status === 201 || r.status === 200)).toBe(true);
    expect(ids.size).toBe(1);
  });

  it('a throttled request is refused and never billed', () => {
    expectProblem(throttled, 429);
  });

  it('bills every created challenge once, whatever the method (SMS and voice), up to the last second of the month', () => {
    // idem 1 + busy 5 + voice 1 + late (23:59:59 on the last day) 1; the throttled one and the retries not.
    const [row] = rowsOf(first.json, perAuth);
    expect(row).toMatchObject({ billingModel: 'per_authentication', billableUnits: 8, unitPrice: '0.0150', currency: 'EUR', amountMinor: 12, amount: '0.12' });
  });

  it('reconciles: the export equals the usage report\'s "sent" for the month, per tenant', async () => {
    for (const t of [perAuth, other]) {
      const usage = await admin(t, 'GET', `/v1/admin/usage?month=${M}`);
      const sent = (usage.body.totals as { byResult: Record<string, number> }).byResult.sent ?? 0;
      expect(rowsOf(first.json, t).reduce((n, r) => n + r.billableUnits, 0)).toBe(sent);
    }
  });

  it('an authentication at 00:00:00 UTC on the 1st belongs to the new month (draft)', async () => {
    const draft = await billing(perAuth, next);
    expect(draft.status).toBe(200);
    expect(draft.body).toMatchObject({ status: 'draft', rows: [{ billableUnits: 1 }] });
  });
});

describe('R25 per-user counting', () => {
  it('counts users enabled and unlicensed at any moment of the month, once each; licensed users never', () => {
    // u1 enabled 3rd–20th, u2 all month, u4 unlicensed until the 10th, u5 from the 25th,
    // u6 disabled and re-enabled, u7 until deleted on the 5th; u3 licensed throughout.
    const [row] = rowsOf(first.json, perUser);
    expect(row).toMatchObject({ billingModel: 'per_user', billableUnits: 6, unitPrice: '1.4000', amountMinor: 840, amount: '8.40' });
  });

  it('next month counts only the users still enabled and unlicensed', async () => {
    expect((await billing(perUser, next)).body.rows).toMatchObject([{ billableUnits: 3 }]);
  });
});

describe('R26 billing run', () => {
  it('writes CSV and JSON, and a re-run of the month writes the same bytes', async () => {
    expect(first.status).toBe(200);
    expect(first.csv.split('\r\n')[0]).toBe(
      'month,tenant_id,tenant_name,provider_id,billing_model,active_from,active_until,billable_units,unit_price,currency,amount_minor,amount',
    );
    expect(first.csv).toContain('"Per User, ""Quoted"" Co"');
    const again = await api.runBilling(M);
    expect(again.csv).toBe(first.csv);
    expect(again.json).toBe(first.json);
  });

  it('R17: a provider replaced during the month gets a row of its own', () => {
    const rows = rowsOf(first.json, replaced);
    expect(rows.map((r) => [r.providerId, r.billingModel, r.billableUnits])).toEqual([
      [replacedProviders[0], 'per_authentication', 2],
      [replacedProviders[1], 'per_user', 1],
    ]);
  });

  it('the running month cannot be billed yet', async () => {
    expect((await api.runBilling(next)).status).toBe(400);
  });
});

describe('R27 GET /v1/admin/billing', () => {
  it('shows a tenant its own rows only, final for an ended month', async () => {
    const own = await billing(other, M);
    expect(own.body.status).toBe('final');
    expect(own.body.rows).toEqual(rowsOf(first.json, other));
    expect(own.body.rows.every((r) => r.tenantId === other.tenantId)).toBe(true);
    expect(JSON.stringify(own.body)).not.toContain(perAuth.tenantId);
  });

  it('refuses a bad or future month, and an auth key', async () => {
    expectProblem(await billing(other, '2026-13'), 400);
    expectProblem(await billing(other, monthAfter(next)), 400);
    expectProblem(await api.request('GET', `/v1/admin/billing?month=${M}`, { key: other.authKey }), 403);
  });
});
