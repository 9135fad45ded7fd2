/**
 * `npm run bench:billing`: the monthly billing run (R26) on a generated data set, written straight
 * into DynamoDB Local with BatchWriteItem (a million HTTP requests would measure the API, not the
 * run): tenants with their index item and provider history, per-user tenants' enabled sets and
 * monthly marks, per-authentication tenants' sharded monthly meters summing to the events. Prints
 * the run's time and DynamoDB requests, and writes bench-results/billing.json. Nothing asserted.
 *
 *   npm run bench:billing -- --tenants 1000 --users 100000 --events 1000000
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { parseArgs } from 'node:util';
import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import { startLocalRuntime } from '../../infra/local/runtime';
import { billingKeys } from '../../shared/adapters/dynamo/billing-store';
import { USAGE_SHARDS } from '../../shared/adapters/dynamo/audit';
import { createDocumentClient, dynamoRequests } from '../../shared/adapters/dynamo/client';
import { tenantKeys } from '../../shared/adapters/dynamo/tenant-store';
import { userSpaceOf } from '../../shared/domain/tenants';
import type { BillingModel, Provider } from '../../shared/domain/types';
import { TENANTS_TABLE, USAGE_TABLE } from '../../shared/tables';

const { values } = parseArgs({
  options: {
    tenants: { type: 'string', default: '1000' },
    users: { type: 'string', default: '100000' },
    events: { type: 'string', default: '1000000' },
    month: { type: 'string', default: '2026-01' },
  },
});
const TENANTS = Number(values.tenants);
const USERS = Number(values.users);
const EVENTS = Number(values.events);
const MONTH = values.month as string;

async function main(): Promise<void> {
  const runtime = await startLocalRuntime({ logLevel: 'SILENT', exportDir: join(tmpdir(), `tessera-bench-${process.pid}`) });
  const db = createDocumentClient({ endpoint: runtime.dynamoEndpoint });
  const tenantsTable = process.env[TENANTS_TABLE.envVar] as string;
  const usageTable = process.env[USAGE_TABLE.envVar] as string;

  // Half the tenants bill per authentication, half per user; a tenth replaced their provider mid-month.
  const writes: { table: string; item: Record<string, unknown> }[] = [];
  const start = Date.parse(`${MONTH}-01T00:00:00Z`);
  let perUserTenants = 0;
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
    writes.push({ table: tenantsTable, item: { ...tenantKeys.tenant(tenantId), gsi1pk: billingKeys.tenantIndex, gsi1sk: tenantId, tenantId, name: `Bench ${t}` } });
    if (t % 10 === 3) {
      const second = provider(2, new Date(start + 86_400_000 * 14).toISOString());
      writes.push({ table: tenantsTable, item: { ...tenantKeys.providerHistory(tenantId, first), ...first, deletedAt: second.createdAt } });
      providers.push(second);
    }
    const current = providers.at(-1) as Provider;
    writes.push({ table: tenantsTable, item: { ...tenantKeys.providerHistory(tenantId, current), ...current } });
    for (const p of providers) {
      if (model === 'per_authentication') {
        const events = Math.floor(EVENTS / TENANTS / providers.length) * 2;
        for (let s = 0; s < USAGE_SHARDS; s++) {
          const count = Math.floor(events / USAGE_SHARDS) + (s < events % USAGE_SHARDS ? 1 : 0);
          writes.push({ table: usageTable, item: { pk: billingKeys.monthlyAuths(tenantId, MONTH), sk: billingKeys.auths(p.providerId, s), providerId: p.providerId, count } });
        }
      } else {
        const users = Math.floor((USERS * 2) / TENANTS / providers.length);
        for (let u = 0; u < users; u++) {
          const userId = `user${u}`;
          const sk = billingKeys.user(p.userSpace, userId);
          // Most are still enabled; every fifth left the set during the month and is marked.
          writes.push(
            u % 5 === 0
              ? { table: tenantsTable, item: { pk: billingKeys.monthlyUsers(tenantId, MONTH), sk, space: p.userSpace, userId } }
              : { table: tenantsTable, item: { pk: billingKeys.enabledSet(tenantId), sk, space: p.userSpace, userId, enabledSince: new Date(start - 86_400_000).toISOString() } },
          );
        }
      }
    }
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

  const { runBilling } = await import('../../infra/local/billing');
  dynamoRequests.reset();
  const runStarted = performance.now();
  const result = await runBilling(MONTH);
  const runSeconds = (performance.now() - runStarted) / 1000;
  const report = {
    dataSet: { tenants: TENANTS, perUserTenants, users: USERS, meteredEvents: EVENTS, itemsWritten: writes.length, loadSeconds: Math.round(loadSeconds * 10) / 10 },
    run: {
      month: MONTH,
      rows: result.rows,
      seconds: Math.round(runSeconds * 100) / 100,
      dynamoRequests: dynamoRequests.total,
      byOperation: Object.fromEntries(dynamoRequests.byOperation),
      requestsPerTenant: Math.round((dynamoRequests.total / TENANTS) * 100) / 100,
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
