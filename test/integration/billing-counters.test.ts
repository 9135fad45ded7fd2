import fc from 'fast-check';
import { randomBytes } from 'node:crypto';
import { DeleteCommand, PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { billingKeys, DynamoBillingStore } from '../../shared/adapters/dynamo/billing-store';
import { createDocumentClient } from '../../shared/adapters/dynamo/client';
import { DynamoTenantStore, tenantKeys } from '../../shared/adapters/dynamo/tenant-store';
import { DynamoUserCredentialStore } from '../../shared/adapters/dynamo/user-credentials';
import { BillingService, monthOf, monthsBetween } from '../../shared/domain/billing';
import type { User } from '../../shared/domain/types';
import type { BillingTenant, UserScope, UserWrite } from '../../shared/ports';
import { TENANTS_TABLE, USAGE_TABLE } from '../../shared/tables';
import { TestApi } from '../support/runtime';

/**
 * R25 per-user billing against DynamoDB Local, through the user store's own write paths: the
 * counters the billing run reads (one Query per tenant) must equal a recount from the per-user
 * records (the enabled set and the monthly marks) and a model of the rule itself, after any
 * sequence of enable/disable/license/unlicense/delete/reset across month boundaries, and under
 * concurrent writers.
 */
let api: TestApi;
let users: DynamoTenantStore;
let credentials: DynamoUserCredentialStore;
let billing: DynamoBillingStore;
let db: DynamoDBDocumentClient;
let tenantsTable: string;
/** The stores' clock (deletions are dated by it); user writes carry their own `updatedAt` from it. */
const clock = { at: Date.parse('2031-01-20T00:00:00.000Z'), now: () => clock.at };

beforeAll(async () => {
  api = await TestApi.start();
  db = createDocumentClient({ endpoint: api.runtime.dynamoEndpoint });
  tenantsTable = process.env[TENANTS_TABLE.envVar] as string;
  users = new DynamoTenantStore(db, tenantsTable, clock);
  credentials = new DynamoUserCredentialStore(db, tenantsTable, users, clock);
  billing = new DynamoBillingStore(db, { tenantsTable, usageTable: process.env[USAGE_TABLE.envVar] as string });
});

afterAll(() => api.stop());

type Op = 'enable' | 'disable' | 'license' | 'unlicense' | 'delete' | 'reset';

/** One admin action through the store, read-change-write with the store's optimistic locking, retried on a race. */
async function apply(scope: UserScope, userId: string, op: Op): Promise<User | undefined> {
  for (;;) {
    const before = await users.getUser(scope, userId);
    const now = new Date(clock.now()).toISOString();
    let write: UserWrite;
    if (op === 'delete' || op === 'reset') {
      if (!before) return undefined;
      write =
        op === 'delete'
          ? await credentials.deleteUser(scope, before)
          : await credentials.resetUser(scope, before, { ...before, resetAt: now, updatedAt: now });
      if (write.kind === 'written') return op === 'delete' ? undefined : { ...before, resetAt: now };
      continue;
    }
    const base: User = before ?? { tenantId: scope.tenantId, userId, phones: { backup: [] }, mfaEnabled: false, licensed: false, createdAt: now, updatedAt: now };
    const after: User = {
      ...base,
      ...(op === 'enable' ? { mfaEnabled: true } : op === 'disable' ? { mfaEnabled: false } : { licensed: op === 'license' }),
      updatedAt: now,
    };
    write = await users.putUser(scope, after, before ? (before.version ?? 0) : undefined);
    if (write.kind === 'written') return after;
  }
}

/** The rule itself: the months in which each user was enabled and unlicensed at some instant. */
class Model {
  private readonly since = new Map<string, number>();
  private readonly billedIn = new Map<string, Set<string>>();

  record(userId: string, after: User | undefined, at: number): void {
    const billable = after !== undefined && after.mfaEnabled && !after.licensed;
    const since = this.since.get(userId);
    if (billable && since === undefined) this.since.set(userId, at);
    if (!billable && since !== undefined) {
      this.mark(userId, since, at);
      this.since.delete(userId);
    }
  }

  count(month: string): number {
    let n = 0;
    for (const [userId, months] of this.billedIn) if (months.has(month) || this.openIn(userId, month)) n++;
    for (const userId of this.since.keys()) if (!this.billedIn.has(userId) && this.openIn(userId, month)) n++;
    return n;
  }

  private openIn(userId: string, month: string): boolean {
    const since = this.since.get(userId);
    return since !== undefined && monthOf(since) <= month;
  }

  private mark(userId: string, from: number, to: number): void {
    const months = this.billedIn.get(userId) ?? new Set<string>();
    for (const m of monthsBetween(monthOf(from), monthOf(to))) months.add(m);
    this.billedIn.set(userId, months);
  }
}

const newScope = (): UserScope => ({ tenantId: `tn_bc${randomBytes(5).toString('hex')}`, space: 'prov:pv_billing' });

describe('R25 per-user counters', () => {
  it('equal a recount and the rule after random enable/disable/license/delete/reset sequences across month boundaries (property)', async () => {
    const step = fc.record({
      userId: fc.constantFrom('u1', 'u2', 'u3', 'u4'),
      op: fc.constantFrom<Op>('enable', 'enable', 'disable', 'license', 'unlicense', 'delete', 'reset'),
      // Hours the clock moves before the step: often none (same instant), sometimes past a month's end.
      hours: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 48 }), fc.integer({ min: 200, max: 800 })),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 14 }), async (steps) => {
        const scope = newScope();
        const model = new Model();
        const first = monthOf(clock.now());
        for (const s of steps) {
          clock.at += s.hours * 3_600_000;
          model.record(s.userId, await apply(scope, s.userId, s.op), clock.now());
        }
        for (const month of monthsBetween(first, monthOf(clock.now() + 40 * 86_400_000))) {
          const counted = (await billing.tenantMonth(scope.tenantId, month)).users[scope.space] ?? 0;
          const recounted = (await billing.recountUsers(scope.tenantId, month))[scope.space] ?? 0;
          expect({ month, counted }).toEqual({ month, counted: recounted });
          expect({ month, counted }).toEqual({ month, counted: model.count(month) });
        }
      }),
      { numRuns: 40 },
    );
  });

  it('count a user once in a month however many admins toggle it at the same time, and a delete racing re-creation', async () => {
    const scope = newScope();
    clock.at = Date.parse('2031-06-10T00:00:00.000Z');
    await apply(scope, 'racer', 'enable');
    const ops: Op[] = ['disable', 'enable', 'license', 'unlicense', 'delete', 'enable', 'disable', 'enable', 'delete', 'enable'];
    await Promise.all([...ops, ...ops].map((op) => apply(scope, 'racer', op)));
    const final = await users.getUser(scope, 'racer');
    expect((await billing.tenantMonth(scope.tenantId, '2031-06')).users[scope.space]).toBe(1);
    expect((await billing.recountUsers(scope.tenantId, '2031-06'))[scope.space]).toBe(1);
    // The next month holds exactly the user's final state, with no job run in between.
    const billableNow = final !== undefined && final.mfaEnabled && !final.licensed ? 1 : 0;
    expect((await billing.tenantMonth(scope.tenantId, '2031-07')).users[scope.space] ?? 0).toBe(billableNow);
    expect((await billing.recountUsers(scope.tenantId, '2031-07'))[scope.space] ?? 0).toBe(billableNow);
  });

  it('count every one of many users enabled at once (the counter items are written by concurrent transactions)', async () => {
    const scope = newScope();
    clock.at = Date.parse('2031-08-03T00:00:00.000Z');
    const ids = Array.from({ length: 40 }, (_, i) => `bulk${i}`);
    await Promise.all(ids.map((id) => apply(scope, id, 'enable')));
    await Promise.all(ids.slice(0, 10).map((id) => apply(scope, id, 'disable')));
    expect((await billing.tenantMonth(scope.tenantId, '2031-08')).users[scope.space]).toBe(40);
    expect((await billing.tenantMonth(scope.tenantId, '2031-09')).users[scope.space]).toBe(30);
    expect((await billing.recountUsers(scope.tenantId, '2031-09'))[scope.space]).toBe(30);
  });

  it('a month without any change carries the count over; other tenants and spaces are not counted (R27)', async () => {
    const scope = newScope();
    const other = { ...newScope(), space: 'dir:elsewhere' };
    clock.at = Date.parse('2031-10-05T00:00:00.000Z');
    await apply(scope, 'a', 'enable');
    await apply(scope, 'b', 'enable');
    await apply(other, 'a', 'enable');
    await apply({ ...scope, space: 'dir:kept' }, 'c', 'enable');
    expect((await billing.tenantMonth(scope.tenantId, '2032-03')).users).toEqual({ [scope.space]: 2, 'dir:kept': 1 });
    expect(await billing.recountUsers(scope.tenantId, '2032-03')).toEqual({ [scope.space]: 2, 'dir:kept': 1 });
    expect((await billing.tenantMonth(scope.tenantId, '2031-09')).users).toEqual({});
  });
});

describe('R26 recount through the billing service', () => {
  it('finds no difference between counters and recount for tenants set up through the API', async () => {
    const tenant = await api.createTenant('Recount Co');
    const admin = (method: string, path: string, body?: unknown) => api.request(method, path, { key: tenant.adminKey, ...(body === undefined ? {} : { body }) });
    await admin('DELETE', '/v1/admin/provider');
    expect((await admin('PUT', '/v1/admin/provider', { billingModel: 'per_user' })).status).toBe(201);
    for (const [id, enabled, phone] of [['r1', true, '+14155552011'], ['r2', true, '+14155552012'], ['r3', false, '+14155552013']] as const) {
      expect((await admin('PUT', `/v1/admin/users/${id}`, { mfaEnabled: enabled, phones: { primary: phone } })).status).toBe(201);
    }
    expect((await admin('DELETE', '/v1/admin/users/r2')).status).toBe(204);
    const month = new Date(Date.parse((await api.request<{ now: string }>('GET', '/local/clock')).body.now)).toISOString().slice(0, 7);
    const result = await new BillingService({ store: billing, clock }).verifyUsers(month);
    expect(result.tenants).toBeGreaterThanOrEqual(1);
    expect(result.mismatches).toEqual([]);
    // r2 counts although deleted: it was enabled this month.
    const bill = await api.request<{ rows: { billingModel: string; billableUnits: number }[] }>('GET', `/v1/admin/billing?month=${month}`, { key: tenant.adminKey });
    expect(bill.body.rows.filter((r) => r.billingModel === 'per_user').map((r) => r.billableUnits)).toEqual([2]);
  });
});

describe('R25 seeding the counters of a tenant from before them', () => {
  /**
   * A tenant from before the counters: its users are in the enabled set and its marks, but no
   * counter item saw them and its tenant item has no `usersCounted` mark. Built through the
   * store, then the counters and the mark are taken away, as they never existed.
   */
  async function preCounterTenant(scope: UserScope, userIds: readonly string[]): Promise<Model> {
    const model = new Model();
    for (const id of userIds) model.record(id, await apply(scope, id, 'enable'), clock.now());
    const pk = billingKeys.userCounter(scope.tenantId, '', 0).pk;
    const counters = await db.send(new QueryCommand({ TableName: tenantsTable, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': pk } }));
    for (const item of counters.Items ?? []) await db.send(new DeleteCommand({ TableName: tenantsTable, Key: { pk: item.pk, sk: item.sk } }));
    await db.send(new PutCommand({ TableName: tenantsTable, Item: { ...tenantKeys.tenant(scope.tenantId), gsi1pk: billingKeys.tenantIndex, gsi1sk: scope.tenantId, tenantId: scope.tenantId, name: 'Old tenant' } }));
    return model;
  }

  it('counts each user exactly once whatever changes race the seed, then bills from the counters: counters == recount == the rule (property)', async () => {
    const step = fc.record({ userId: fc.constantFrom('old1', 'old2', 'old3', 'new1', 'new2'), op: fc.constantFrom<Op>('enable', 'disable', 'license', 'unlicense', 'delete') });
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 6 }), fc.array(step, { minLength: 1, maxLength: 12 }), async (after, racing) => {
        const scope = newScope();
        clock.at = Date.parse('2032-05-02T00:00:00.000Z');
        const model = await preCounterTenant(scope, ['old1', 'old2', 'old3']);
        // Changes after the counters arrived (they see these), in the same month, before the seed.
        clock.at += 86_400_000;
        for (const s of after) model.record(s.userId, await apply(scope, s.userId, s.op), clock.now());
        // The seed, with users changing while it counts.
        clock.at += 86_400_000;
        const [outcome] = await Promise.all([
          users.seedUserCounters(scope.tenantId, '2032-05'),
          (async () => {
            for (const s of racing) model.record(s.userId, await apply(scope, s.userId, s.op), clock.now());
          })(),
        ]);
        expect(outcome).toMatchObject({ kind: 'seeded', from: '2032-06' });
        // Once: a second seed adds nothing.
        expect(await users.seedUserCounters(scope.tenantId, '2032-05')).toEqual({ kind: 'already' });
        for (const month of ['2032-06', '2032-07']) {
          const counted = (await billing.tenantMonth(scope.tenantId, month)).users[scope.space] ?? 0;
          expect({ month, counted }).toEqual({ month, counted: (await billing.recountUsers(scope.tenantId, month))[scope.space] ?? 0 });
          expect({ month, counted }).toEqual({ month, counted: model.count(month) });
        }
      }),
      { numRuns: 15 },
    );
  });

  it('the billing run’s seeding step seeds such a tenant; the counters bill it from the month after the seed, equal to the recount', async () => {
    const scope = newScope();
    clock.at = Date.parse('2033-02-10T00:00:00.000Z');
    await preCounterTenant(scope, ['a', 'b', 'c']);
    await apply(scope, 'c', 'disable');
    const result = await new BillingService({ store: billing, clock, seeder: users }).seedCounters();
    expect(result.busy).toBe(0);
    expect(result.seeded).toBeGreaterThanOrEqual(1);
    const [tenant] = await firstPage(billing.tenantPages(), scope.tenantId);
    expect(tenant).toMatchObject({ usersCounted: true, usersCountedFrom: '2033-03' });
    // Next month: two users, from the counters, equal to the recount; the check skips the seed's own month.
    expect((await billing.tenantMonth(scope.tenantId, '2033-03')).users).toEqual({ [scope.space]: 2 });
    expect(await billing.recountUsers(scope.tenantId, '2033-03')).toEqual({ [scope.space]: 2 });
    // A tenant created with the counters, or seeded already, is not seeded again.
    expect(await users.seedUserCounters(scope.tenantId, '2033-02')).toEqual({ kind: 'already' });
  });
});

async function firstPage(pages: AsyncIterable<BillingTenant[]>, tenantId: string): Promise<BillingTenant[]> {
  const found: BillingTenant[] = [];
  for await (const page of pages) found.push(...page.filter((t) => t.tenantId === tenantId));
  return found;
}
