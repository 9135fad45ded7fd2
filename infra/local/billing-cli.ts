/**
 * `npm run billing -- --month YYYY-MM`: the monthly billing run (R26) against the local data,
 * writing `.tessera/billing/YYYY-MM.csv` and `.json`. Without --month it bills last month.
 * While `npm start` is running, pass its DynamoDB Local with --endpoint instead of opening the
 * same data files twice.
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
    const result = await runBilling(args.month);
    console.log(`Billed ${result.month}: ${result.rows} rows in ${join(dataDir, result.keys.csv)} and ${join(dataDir, result.keys.json)}`);
  } finally {
    await runtime.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
