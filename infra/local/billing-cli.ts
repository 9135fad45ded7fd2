/**
 * `npm run billing -- --month YYYY-MM`: the monthly billing run (R26) against the local data,
 * writing `.tessera/billing/YYYY-MM.csv` and `.json`. Without --month it bills last month.
 * While `npm start` is running, pass its DynamoDB Local with --endpoint instead of opening the
 * same data files twice. With --recount it writes nothing: it counts every tenant's per-user
 * billing again from the per-user records (one item per user) and compares the result with the
 * counters the run reads; it exits 1 when any differs.
 */
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { runBilling } from './billing';
import { startLocalRuntime } from './runtime';

const { values: args } = parseArgs({
  options: {
    month: { type: 'string' },
    'data-dir': { type: 'string', default: '.tessera' },
    endpoint: { type: 'string' },
    recount: { type: 'boolean', default: false },
  },
});

async function main(): Promise<void> {
  const dataDir = resolve(args['data-dir'] ?? '.tessera');
  const runtime = await startLocalRuntime({
    ...(args.endpoint ? { dynamoEndpoint: args.endpoint } : { dataDir: join(dataDir, 'dynamodb') }),
    exportDir: dataDir,
    logLevel: 'WARN',
  });
  try {
    if (args.recount) {
      await recount();
      return;
    }
    const result = await runBilling(args.month);
    console.log(`Billed ${result.month}: ${result.rows} rows in ${join(dataDir, result.keys.csv)} and ${join(dataDir, result.keys.json)}`);
    if (result.seeded || result.busy) console.log(`Seeded the per-user counters of ${result.seeded} tenants from before them; ${result.busy} were changing too fast and are billed from the recount until the next run`);
  } finally {
    await runtime.stop();
  }
}

async function recount(): Promise<void> {
  const { billingService, clock } = await import('../../shared/composition');
  const { previousMonth } = await import('../../shared/domain/billing');
  const month = args.month ?? previousMonth(clock().now());
  const { tenants, mismatches } = await billingService().verifyUsers(month);
  for (const m of mismatches) console.log(`${m.tenantId} ${m.space}: counted ${m.counted}, recounted ${m.recounted}`);
  console.log(`Recounted ${month}: ${tenants} tenants, ${mismatches.length} user spaces differ`);
  if (mismatches.length > 0) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
