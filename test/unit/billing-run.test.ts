import { BILLING_WAITS_FOR_PROJECTION, BillingService, SEED_TIME_RESERVE_MS } from '../../shared/domain/billing';
import { ServiceUnavailableError } from '../../shared/domain/errors';
import type { BillingModel, Provider } from '../../shared/domain/types';
import type { BillingStore, BillingTenant, TenantMonth } from '../../shared/ports';

/**
 * R26: the billing run's reads per tenant. Whatever a tenant's users and authentications, it
 * reads one record for its providers and user counts, and the per-authentication meter only
 * when a per-authentication provider bills the month: at most two requests per tenant.
 */
const provider = (id: string, billingModel: BillingModel, createdAt = '2026-01-01T00:00:00.000Z'): Provider => ({
  providerId: id,
  billingModel,
  createdAt,
  generation: 1,
  userSpace: `prov:${id}`,
});

class CountingStore implements BillingStore {
  readonly calls: string[] = [];

  constructor(
    private readonly tenants: BillingTenant[],
    private readonly months: Record<string, TenantMonth>,
  ) {}

  async *tenantPages(): AsyncIterable<BillingTenant[]> {
    yield this.tenants;
  }

  async tenantMonth(tenantId: string): Promise<TenantMonth> {
    this.calls.push(`tenantMonth ${tenantId}`);
    return this.months[tenantId] ?? { periods: [], users: {} };
  }

  async authentications(tenantId: string): Promise<Record<string, number>> {
    this.calls.push(`authentications ${tenantId}`);
    return { [`pv_${tenantId}`]: 7 };
  }

  async skippedChanges(month: string): Promise<string[]> {
    this.calls.push(`skippedChanges ${month}`);
    return this.skipped;
  }

  skipped: string[] = [];

  async recountUsers(tenantId: string): Promise<Record<string, number>> {
    this.calls.push(`recountUsers ${tenantId}`);
    return tenantId === 'drift' ? { 'prov:pv_drift': 4 } : (this.months[tenantId]?.users ?? {});
  }
}

const clock = { now: () => Date.parse('2026-03-01T08:00:00.000Z') };
/** A projection that has written everything up to now. */
const progress = { caughtUpTo: async () => ({ caughtUp: true }) as const };

describe('R26 billing run reads', () => {
  const store = new CountingStore(
    [
      { tenantId: 'auth', name: 'Auth', usersCounted: true },
      { tenantId: 'user', name: 'User', usersCounted: true },
      { tenantId: 'none', name: 'No provider', usersCounted: true },
      { tenantId: 'later', name: 'Provider from next month', usersCounted: true },
    ],
    {
      auth: { periods: [{ provider: provider('pv_auth', 'per_authentication') }], users: {} },
      user: { periods: [{ provider: provider('pv_user', 'per_user') }], users: { 'prov:pv_user': 1_000_000 } },
      later: { periods: [{ provider: provider('pv_later', 'per_authentication', '2026-03-01T00:00:00.000Z') }], users: {} },
    },
  );

  it('makes at most two requests per tenant, and one when no per-authentication provider bills the month', async () => {
    const rows = await new BillingService({ store, clock }).rows('2026-02');
    expect(store.calls.sort()).toEqual(['authentications auth', 'tenantMonth auth', 'tenantMonth later', 'tenantMonth none', 'tenantMonth user']);
    expect(rows.map((r) => [r.tenantId, r.billingModel, r.billableUnits])).toEqual([
      ['auth', 'per_authentication', 7],
      ['user', 'per_user', 1_000_000],
    ]);
  });

  it('a tenant from before the counters (no usersCounted mark) is billed from the recount, not from counters that never saw its users', async () => {
    const old = new CountingStore([{ tenantId: 'drift', name: 'Drift' }], {
      drift: { periods: [{ provider: provider('pv_drift', 'per_user') }], users: { 'prov:pv_drift': 3 } },
    });
    const rows = await new BillingService({ store: old, clock }).rows('2026-02');
    expect(old.calls.sort()).toEqual(['recountUsers drift', 'tenantMonth drift']);
    expect(rows.map((r) => [r.tenantId, r.billableUnits])).toEqual([['drift', 4]]);
  });

  it('a seeded tenant is billed from the recount up to its seed’s month and from its counters from the month after (one request)', async () => {
    const seeded = () =>
      new CountingStore([{ tenantId: 'drift', name: 'Drift', usersCounted: true, usersCountedFrom: '2026-02' }], {
        drift: { periods: [{ provider: provider('pv_drift', 'per_user') }], users: { 'prov:pv_drift': 3 } },
      });
    const before = seeded();
    expect((await new BillingService({ store: before, clock }).rows('2026-01')).map((r) => r.billableUnits)).toEqual([4]);
    expect(before.calls.sort()).toEqual(['recountUsers drift', 'tenantMonth drift']);
    const from = seeded();
    expect((await new BillingService({ store: from, clock }).rows('2026-02')).map((r) => r.billableUnits)).toEqual([3]);
    expect(from.calls).toEqual(['tenantMonth drift']);
  });

  it('the run, after writing the export, seeds the counters of the tenants without the mark, and only those', async () => {
    const seeds: string[] = [];
    const seeder = { seedUserCounters: async (tenantId: string, month: string) => (seeds.push(`${tenantId} ${month}`), tenantId === 'busy' ? ({ kind: 'busy' } as const) : ({ kind: 'seeded', from: '2026-04', base: {} } as const)) };
    const tenants = new CountingStore([{ tenantId: 'old', name: 'Old' }, { tenantId: 'busy', name: 'Busy' }, { tenantId: 'new', name: 'New', usersCounted: true }], {});
    const written: string[] = [];
    const result = await new BillingService({ store: tenants, clock, seeder, progress, sink: { put: async (key) => void written.push(key) } }).run('2026-02');
    expect(result).toMatchObject({ seeded: 1, busy: 1 });
    expect(written).toEqual(['billing/2026-02.csv', 'billing/2026-02.json']);
    expect(seeds).toEqual(['old 2026-03', 'busy 2026-03']);
  });

  it('a seed that fails is logged and left for the next run; the other tenants are seeded and the run succeeds', async () => {
    const seeds: string[] = [];
    const seeder = {
      seedUserCounters: async (tenantId: string) => {
        seeds.push(tenantId);
        if (tenantId === 'contended') throw Object.assign(new Error('The item is busy with concurrent changes; try again'), { name: 'RetryLaterError' });
        return { kind: 'seeded', from: '2026-04', base: {} } as const;
      },
    };
    const tenants = new CountingStore([{ tenantId: 'contended', name: 'Contended' }, { tenantId: 'old', name: 'Old' }], {});
    const warnings: unknown[][] = [];
    const log = { debug: () => undefined, info: () => undefined, error: () => undefined, warn: (...args: unknown[]) => warnings.push(args) };
    const result = await new BillingService({ store: tenants, clock, seeder, log, progress, sink: { put: async () => undefined } }).run('2026-02');
    expect(result).toMatchObject({ seeded: 1, busy: 1 });
    expect(seeds).toEqual(['contended', 'old']);
    expect(warnings).toEqual([['user counters not seeded; the next run tries again', { tenantId: 'contended', error: 'RetryLaterError' }]]);
  });

  it('seeding stops when the invocation has too little time left, leaving the rest for the next run', async () => {
    const seeds: string[] = [];
    const seeder = { seedUserCounters: async (tenantId: string) => (seeds.push(tenantId), { kind: 'seeded', from: '2026-04', base: {} } as const) };
    const tenants = new CountingStore([{ tenantId: 'first', name: 'First' }, { tenantId: 'second', name: 'Second' }, { tenantId: 'third', name: 'Third' }], {});
    // Just enough time for one seed: after it, less than the reserve is left.
    const timeLeft = () => (seeds.length ? SEED_TIME_RESERVE_MS - 1 : SEED_TIME_RESERVE_MS);
    const result = await new BillingService({ store: tenants, clock, seeder, progress, sink: { put: async () => undefined } }).run('2026-02', { timeLeft });
    expect(seeds).toEqual(['first']);
    expect(result).toMatchObject({ seeded: 1, busy: 2 });
  });

  it('R24: while the projection has not caught up with the month end, the run writes nothing, seeds nothing, logs why and asks to be tried again', async () => {
    const asked: string[] = [];
    const behind = { caughtUpTo: async (instant: string) => (asked.push(instant), { caughtUp: false, reason: 'the failure queue holds 1 stream range(s)', retryAfterSeconds: 900 } as const) };
    const seeds: string[] = [];
    const seeder = { seedUserCounters: async (tenantId: string) => (seeds.push(tenantId), { kind: 'seeded', from: '2026-04', base: {} } as const) };
    const tenants = new CountingStore([{ tenantId: 'old', name: 'Old' }, { tenantId: 'auth', name: 'Auth', usersCounted: true }], {
      auth: { periods: [{ provider: provider('pv_auth', 'per_authentication') }], users: {} },
    });
    const written: string[] = [];
    const errors: unknown[][] = [];
    const log = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: (...args: unknown[]) => errors.push(args) };
    const run = new BillingService({ store: tenants, clock, seeder, log, progress: behind, sink: { put: async (key) => void written.push(key) } });
    const refused = await run.run('2026-02').catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(ServiceUnavailableError);
    expect((refused as ServiceUnavailableError).message).toBe('The billing of 2026-02 waits for the challenge projection: the failure queue holds 1 stream range(s)');
    expect((refused as ServiceUnavailableError).retryAfterSeconds).toBe(900);
    // The month's end, exclusive: every change before 1 March must be projected.
    expect(asked).toEqual(['2026-03-01T00:00:00.000Z']);
    expect({ written, seeds, calls: tenants.calls }).toEqual({ written: [], seeds: [], calls: [] });
    expect(errors).toEqual([[BILLING_WAITS_FOR_PROJECTION, { month: '2026-02', reason: 'the failure queue holds 1 stream range(s)' }]]);
  });

  it('R24: a change of the month the projection could not read (marked by it) holds the month back too, naming its sequence numbers', async () => {
    const tenants = new CountingStore([{ tenantId: 'auth', name: 'Auth', usersCounted: true }], {
      auth: { periods: [{ provider: provider('pv_auth', 'per_authentication') }], users: {} },
    });
    tenants.skipped = ['000000000000000000042'];
    const written: string[] = [];
    const errors: unknown[][] = [];
    const log = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: (...args: unknown[]) => errors.push(args) };
    const run = new BillingService({ store: tenants, clock, log, progress, sink: { put: async (key) => void written.push(key) } });
    const refused = await run.run('2026-02').catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(ServiceUnavailableError);
    expect((refused as Error).message).toBe(
      'The billing of 2026-02 waits for the challenge projection: the projection could not read 1 change(s) of the month (stream sequence numbers 000000000000000000042); see docs/billing.md',
    );
    expect({ written, calls: tenants.calls }).toEqual({ written: [], calls: ['skippedChanges 2026-02'] });
    expect(errors).toHaveLength(1);
    tenants.skipped = [];
    await expect(run.run('2026-02')).resolves.toMatchObject({ rows: 1 });
    expect(written).toEqual(['billing/2026-02.csv', 'billing/2026-02.json']);
  });

  it('a run without the projection progress, or of a month not ended, is refused before anything is read', async () => {
    const tenants = new CountingStore([{ tenantId: 'auth', name: 'Auth', usersCounted: true }], {});
    await expect(new BillingService({ store: tenants, clock, sink: { put: async () => undefined } }).run('2026-02')).rejects.toThrow('how far the challenge projection has got');
    await expect(new BillingService({ store: tenants, clock, progress, sink: { put: async () => undefined } }).run('2026-03')).rejects.toThrow('Only a month that has ended can be billed');
    expect(tenants.calls).toEqual([]);
  });

  it('the recount reports the user spaces whose counters differ from it', async () => {
    const drift = new CountingStore([{ tenantId: 'drift', name: 'Drift' }, { tenantId: 'user', name: 'User' }], {
      drift: { periods: [{ provider: provider('pv_drift', 'per_user') }], users: { 'prov:pv_drift': 3 } },
      user: { periods: [{ provider: provider('pv_user', 'per_user') }], users: { 'prov:pv_user': 2 } },
    });
    expect(await new BillingService({ store: drift, clock }).verifyUsers('2026-02')).toEqual({
      tenants: 2,
      mismatches: [{ tenantId: 'drift', space: 'prov:pv_drift', counted: 3, recounted: 4 }],
    });
  });
});
