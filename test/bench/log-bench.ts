/**
 * Auth-log lines one tenant can write a second: the sharded key (`logLineItem`, LOG_SHARDS
 * partitions) against the single key of before (every line under AUTH#<tenantId>), with PutItem at
 * a fixed concurrency into an in-memory DynamoDB Local. DynamoDB Local does not throttle a
 * partition, so locally both run at the emulator's speed; the figure that matters on AWS is the
 * arithmetic printed beside them (about 1,000 write units a second per partition). Nothing asserted.
 *
 *   npx tsx test/bench/log-bench.ts --lines 5000 --concurrency 16
 */
import { parseArgs } from 'node:util';
import { PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { LOG_SHARDS, logLineItem } from '../../shared/adapters/dynamo/audit';
import { createDocumentClient } from '../../shared/adapters/dynamo/client';
import { randomId } from '../../shared/domain/crypto';
import type { AuthLogEntry } from '../../shared/domain/types';
import { ensureTables, startDynamoLocal } from '../../infra/local/dynamo';
import { LOGS_TABLE } from '../../shared/tables';

const { values } = parseArgs({
  options: { lines: { type: 'string', default: '5000' }, concurrency: { type: 'string', default: '16' }, rounds: { type: 'string', default: '2' } },
  allowPositionals: true,
});
const LINES = Number(values.lines);
const CONCURRENCY = Number(values.concurrency);
const ROUNDS = Number(values.rounds);
const PARTITION_WCU = 1000;

function line(tenantId: string): AuthLogEntry {
  return {
    logId: randomId('lg', 12),
    tenantId,
    time: new Date().toISOString(),
    userId: `user${Math.floor(Math.random() * 1000)}`,
    phone: '••••••••0100',
    method: 'sms',
    event: 'verify',
    result: 'approved',
    challengeId: randomId('ch', 16),
    apiKeyId: '0123456789abcdef',
    apiKeyName: 'bench',
  };
}

/** Lines per second for `LINES` PutItems at `CONCURRENCY`, each line's item made by `itemOf`. */
async function run(db: DynamoDBDocumentClient, table: string, itemOf: (l: AuthLogEntry) => Record<string, unknown>): Promise<number> {
  const tenantId = randomId('tn', 12);
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next++ < LINES) await db.send(new PutCommand({ TableName: table, Item: itemOf(line(tenantId)) }));
    }),
  );
  return LINES / ((performance.now() - started) / 1000);
}

async function main(): Promise<void> {
  const dynamo = await startDynamoLocal();
  const db = createDocumentClient({ endpoint: dynamo.endpoint });
  try {
    const table = (await ensureTables(dynamo.endpoint, 'logbench-'))[LOGS_TABLE.envVar] as string;
    const sharded = (l: AuthLogEntry) => logLineItem({ logsTable: table }, l).Item;
    // Before sharding: the same item under one partition key per tenant (and per user in gsi1).
    const single = (l: AuthLogEntry) => ({ ...sharded(l), pk: `AUTH#${l.tenantId}`, gsi1pk: `AUTH#${l.tenantId}#USER#${l.userId}` });
    await run(db, table, sharded); // warm-up: JIT and the emulator's first writes
    const rates = { single: [] as number[], sharded: [] as number[] };
    for (let r = 0; r < ROUNDS; r++) {
      rates.single.push(await run(db, table, single));
      rates.sharded.push(await run(db, table, sharded));
    }
    const fmt = (xs: number[]) => xs.map((x) => Math.round(x).toLocaleString('en-US')).join(' / ');
    console.log(`DynamoDB Local, ${LINES} PutItems per run, concurrency ${CONCURRENCY}, ${ROUNDS} runs each`);
    console.log(`  single key  (AUTH#<tenant>):          ${fmt(rates.single)} lines/s`);
    console.log(`  sharded key (AUTH#<tenant>#<00..${LOG_SHARDS - 1}>):  ${fmt(rates.sharded)} lines/s`);
    console.log(`AWS, ~${PARTITION_WCU} write units/s per partition, a line ≤ 1 KB:`);
    console.log(`  single key:  ${PARTITION_WCU.toLocaleString('en-US')} lines/s as puts, ${PARTITION_WCU / 2} in transactions (2 units an item)`);
    console.log(`  ${LOG_SHARDS} shards:   ${(PARTITION_WCU * LOG_SHARDS).toLocaleString('en-US')} lines/s as puts, ${((PARTITION_WCU * LOG_SHARDS) / 2).toLocaleString('en-US')} in transactions`);
  } finally {
    db.destroy();
    await dynamo.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
