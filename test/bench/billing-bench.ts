/**
 * `npm run bench:billing`: the monthly billing run (R26) on a generated data set, written straight
 * into DynamoDB Local with BatchWriteItem (a million HTTP requests would measure the API, not the
 * run): tenants with their index item and provider history; per-authentication tenants' sharded
 * monthly meters (the items the sign-in path writes) summing to the events; per-user tenants'
 * monthly user counters (the items user writes keep) for `--months` months of history, every
 * shard, as if each such tenant had `--users` enabled users and a tenth more enabled during the
 * month. Prints the run's time, its DynamoDB requests per tenant (the tenant index's pages
 * counted apart) and whether the export's units equal the seeded ones; writes
 * bench-results/billing.json.
 *
 *   npm run bench:billing -- --tenants 1000 --users 1000000 --events 1000000
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { parseArgs } from 'node:util';
import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import { startLocalRuntime } from '../../infra/local/runtime';
import { readFileSync } from 'node:fs';
import { billingKeys, DynamoBillingStore, USER_COUNTER_SHARDS } from '../../shared/adapters/dynamo/billing-store';
import { USAGE_SHARDS } from '../../shared/adapters/dynamo/audit';
import { createDocumentClient, dynamoRequests } from '../../shared/adapters/dynamo/client';
import { tenantKeys } from '../../shared/adapters/dynamo/tenant-store';
import { monthsBetween } from '../../shared/domain/billing';
import { userSpaceOf } from '../../shared/domain/tenants';
import type { BillingModel, Provider } from '../../shared/domain/types';
import { TENANTS_TABLE, USAGE_TABLE } from '../../shared/tables';

const { values } = parseArgs({
  options: {
    tenants: { type: 'string', default: '1000' },
    users: { type: 'string', default: '1000000' },
    events: { type: 'string', default: '1000000' },
    months: { type: 'string', default: '24' },
    month: { type: 'string', default: '2026-01' },
  },
});
const TENANTS = Number(values.tenants);
const USERS = Number(values.users);
const EVENTS = Number(values.events);
const MONTH = values.month as string;
const HISTORY = Number(values.months);

async function main(): Promise<void> {
  const exportDir = join(tmpdir(), `tessera-bench-${process.pid}`);
  const runtime = await startLocalRuntime({ logLevel: 'SILENT', exportDir });
  const db = createDocumentClient({ endpoint: runtime.dynamoEndpoint });
  const tenantsTable = process.env[TENANTS_TABLE.envVar] as string;
  const usageTable = process.env[USAGE_TABLE.envVar] as string;

  // Half the tenants bill per authentication, half per user; a tenth replaced their provider mid-month.
  const writes: { table: string; item: Record<string, unknown> }[] = [];
  const start = Date.parse(`${MONTH}-01T00:00:00Z`);
  const history = monthsBetween(new Date(Date.UTC(new Date(start).getUTCFullYear(), new Date(start).getUTCMonth() - HISTORY + 1, 1)).toISOString().slice(0, 7), MONTH);
  let perUserTenants = 0;
  let expectedUnits = 0;
  for (let t = 0; t < TENANTS; t++) {
    const tenantId = `tn_bench${String(t).padStart(6, '0')}`;
    const model: BillingModel = t % 2 === 0 ? 'per_authentication' : 'per_user';
    if (model === 'per_user') perUserTenants++;
    const provider = (n: number, createdAt: string): Provider => ({
      providerId: `pv_${tenantId}_${n}`,
      billingModel: model,
      createdAt,
      generation: n,
      userSpace: userSpaceOf(`pv_${tenantId}_${n}`),
    });
    const first = provider(1, new Date(start - 86_400_000 * 30).toISOString());
    const providers = [first];
    writes.push({ table: tenantsTable, item: { ...tenantKeys.tenant(tenantId), gsi1pk: billingKeys.tenantIndex, gsi1sk: tenantId, tenantId, name: `Bench ${t}`, usersCounted: true } });
    if (t % 10 === 3) {
      const second = provider(2, new Date(start + 86_400_000 * 14).toISOString());
      writes.push({ table: tenantsTable, item: { ...tenantKeys.providerHistory(tenantId, first), ...first, deletedAt: second.createdAt } });
      providers.push(second);
    }
    const current = providers.at(-1) as Provider;
    writes.push({ table: tenantsTable, item: { ...tenantKeys.providerHistory(tenantId, current), ...current } });
    // One item per month and shard holds every user space's counters.
    const counters: Record<string, Record<string, unknown>> = {};
    for (const p of providers) {
      if (model === 'per_authentication') {
        const events = Math.floor((EVENTS * 2) / TENANTS / providers.length);
        for (let s = 0; s < USAGE_SHARDS; s++) {
          const count = Math.floor(events / USAGE_SHARDS) + (s < events % USAGE_SHARDS ? 1 : 0);
          writes.push({ table: usageTable, item: { pk: billingKeys.monthlyAuths(tenantId, MONTH), sk: billingKeys.auths(p.providerId, s), providerId: p.providerId, count } });
        }
        expectedUnits += events;
      } else {
        // The first provider's users were enabled over the months before, none since; a tenth
        // more are enabled during the month (`n`, and `d` for the months after); a provider
        // replaced mid-month starts empty (R18) and gets only those. Spread over the shards as
        // concurrent writers would.
        const joined = Math.floor(USERS / 10);
        const before = p === first ? USERS : 0;
        expectedUnits += before + joined;
        history.forEach((month, m) => {
          const isMonth = month === MONTH;
          const earlier = history.length - 1;
          const total = isMonth ? joined : Math.floor(before / earlier) + (m < before % earlier ? 1 : 0);
          for (let shard = 0; shard < USER_COUNTER_SHARDS; shard++) {
            const part = Math.floor(total / USER_COUNTER_SHARDS) + (shard < total % USER_COUNTER_SHARDS ? 1 : 0);
            const key = billingKeys.userCounter(tenantId, month, shard);
            const item = (counters[key.sk] ??= { ...key });
            item[billingKeys.userDelta(p.userSpace)] = part;
            if (isMonth) item[billingKeys.userNew(p.userSpace)] = part;
          }
        });
      }
    }
    for (const item of Object.values(counters)) writes.push({ table: tenantsTable, item });
  }

  const loadStarted = performance.now();
  const batches: (typeof writes)[] = [];
  for (let i = 0; i < writes.length; i += 25) batches.push(writes.slice(i, i + 25));
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < batches.length) {
        const batch = batches[next++] as typeof writes;
        let requests: Record<string, { PutRequest: { Item: Record<string, unknown> } }[]> = {};
        for (const w of batch) (requests[w.table] ??= []).push({ PutRequest: { Item: w.item } });
        while (Object.keys(requests).length > 0) {
          const out = await db.send(new BatchWriteCommand({ RequestItems: requests }));
          requests = (out.UnprocessedItems ?? {}) as typeof requests;
        }
      }
    }),
  );
  const loadSeconds = (performance.now() - loadStarted) / 1000;

  // The tenant index's pages, counted apart: they grow with tenants / 1 MB, not per tenant.
  let indexPages = 0;
  for await (const _page of new DynamoBillingStore(db, { tenantsTable, usageTable }).tenantPages()) indexPages++;

  const { runBilling } = await import('../../infra/local/billing');
  dynamoRequests.reset();
  const runStarted = performance.now();
  const result = await runBilling(MONTH);
  const runSeconds = (performance.now() - runStarted) / 1000;
  const exported = JSON.parse(readFileSync(join(exportDir, result.keys.json), 'utf8')) as { rows: { billableUnits: number }[] };
  const billedUnits = exported.rows.reduce((sum, r) => sum + r.billableUnits, 0);
  const report = {
    dataSet: {
      tenants: TENANTS,
      perUserTenants,
      enabledUsersPerPerUserTenant: USERS,
      monthsOfCounters: history.length,
      meteredEvents: EVENTS,
      itemsWritten: writes.length,
      loadSeconds: Math.round(loadSeconds * 10) / 10,
    },
    run: {
      month: MONTH,
      rows: result.rows,
      seconds: Math.round(runSeconds * 100) / 100,
      dynamoRequests: dynamoRequests.total,
      tenantIndexPages: indexPages,
      requestsPerTenant: Math.round(((dynamoRequests.total - indexPages) / TENANTS) * 100) / 100,
      byTable: Object.fromEntries(dynamoRequests.byTable),
      billedUnits,
      seededUnits: expectedUnits,
    },
  };
  console.log(JSON.stringify(report, null, 2));
  mkdirSync('bench-results', { recursive: true });
  writeFileSync('bench-results/billing.json', `${JSON.stringify(report, null, 2)}\n`);
  db.destroy();
  await runtime.stop();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
