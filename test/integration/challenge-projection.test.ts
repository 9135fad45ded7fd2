import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { mkdirSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { ensureTables } from '../../infra/local/dynamo';
import { logLineItem, type AuditTables } from '../../shared/adapters/dynamo/audit';
import { DynamoBillingStore } from '../../shared/adapters/dynamo/billing-store';
import { AUDITS_ATTRIBUTE, auditsOfItem, storedAudits } from '../../shared/adapters/dynamo/challenge-audits';
import { DynamoChallengeStore } from '../../shared/adapters/dynamo/challenge-store';
import { auditsOfChange, ChallengeProjection, changeOfRecord, projectStreamBatch, type StreamRecord } from '../../shared/adapters/dynamo/challenge-projection';
import { createDocumentClient, RequestCounter } from '../../shared/adapters/dynamo/client';
import { DynamoLogStore } from '../../shared/adapters/dynamo/log-store';
import type { Audit } from '../../shared/ports';
import { CHALLENGES_TABLE, LOGS_TABLE, TENANTS_TABLE, USAGE_TABLE } from '../../shared/tables';
import { itemBytes } from '../support/item-size';

/**
 * R23/R24 from the Challenges table's stream: the projection writes each change's auth-log line
 * once and adds its usage and billing counts once, however the stream delivers it: every record
 * twice, shards interleaved in any order, a consumer that dies after a write it never heard back
 * from (the batch delivered again from its start), a batch cut in two on retry.
 */
const endpoint = process.env.TESSERA_TEST_DYNAMODB_ENDPOINT as string;
let tables: AuditTables;
let logs: DynamoLogStore;
let billing: DynamoBillingStore;
let challengesTable: string;
const requests = new RequestCounter();
const db = createDocumentClient({ endpoint, counter: requests });

beforeAll(async () => {
  const env = await ensureTables(endpoint, `p${randomBytes(4).toString('hex')}-`);
  tables = { logsTable: env[LOGS_TABLE.envVar] as string, usageTable: env[USAGE_TABLE.envVar] as string, throttleTable: '' };
  logs = new DynamoLogStore(db, tables);
  challengesTable = env[CHALLENGES_TABLE.envVar] as string;
  billing = new DynamoBillingStore(db, { tenantsTable: env[TENANTS_TABLE.envVar] as string, usageTable: tables.usageTable });
});

afterAll(() => db.destroy());

const DAY = '2031-03-04';
let seq = 0;
const nextSeq = () => String(++seq).padStart(21, '0');

/** One SMS sign-in's two changes of its challenge item (create: sent and billed; verify: approved), as stream records. */
function signIn(tenantId: string, provider = 'pv_1'): StreamRecord[] {
  const challengeId = `ch_${randomBytes(6).toString('hex')}`;
  const item = { pk: challengeId, challengeId, tenantId, userId: 'u1', method: 'sms', status: 'pending', destination: '••••1000', audit: {} };
  const audit = (event: 'challenge' | 'verify', result: 'sent' | 'approved', at: string): Audit => ({
    log: { logId: `lg_${randomBytes(6).toString('hex')}`, tenantId, challengeId, time: `${DAY}T${at}`, userId: 'u1', method: 'sms', event, result, apiKeyId: 'k1', apiKeyName: 'key', phone: '••••1000' },
    usage: [{ tenantId, day: DAY, method: 'sms', result, delta: 1 }],
    ...(result === 'sent' ? { billedTo: provider } : {}),
  });
  const created = { ...item, [AUDITS_ATTRIBUTE]: storedAudits(item, [audit('challenge', 'sent', '10:00:00.000Z')]) };
  const approved = { ...created, status: 'approved', [AUDITS_ATTRIBUTE]: storedAudits(item, [audit('verify', 'approved', '10:00:30.000Z')]) };
  return [record(created), record(approved, created)];
}

function record(newImage?: Record<string, unknown>, oldImage?: Record<string, unknown>): StreamRecord {
  const image = (i: Record<string, unknown>) => marshall(i, { removeUndefinedValues: true }) as Record<string, unknown>;
  return { dynamodb: { SequenceNumber: nextSeq(), ...(newImage ? { NewImage: image(newImage) } : {}), ...(oldImage ? { OldImage: image(oldImage) } : {}) } };
}

async function counts(tenantId: string) {
  const rows = await logs.month(tenantId, DAY.slice(0, 7));
  const usage = (result: string) => rows.filter((r) => r.result === result).reduce((sum, r) => sum + r.count, 0);
  const lines: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await logs.list(tenantId, { from: `${DAY}T00:00:00.000Z`, to: `${DAY}T23:59:59.999Z`, limit: 100, ...(cursor ? { cursor } : {}) });
    lines.push(...page.items.map((l) => l.logId));
    cursor = page.cursor;
  } while (cursor);
  const billed = Object.values(await billing.authentications(tenantId, DAY.slice(0, 7))).reduce((a, b) => a + b, 0);
  return { sent: usage('sent'), approved: usage('approved'), failed: usage('failed'), billed, lines: lines.length, distinctLines: new Set(lines).size };
}

const newTenant = () => `tn_${randomBytes(5).toString('hex')}`;

describe('challenge projection (R23, R24): exactly once from the stream', () => {
  it('writes each line once and counts each change once when every record is delivered twice', async () => {
    const tenantId = newTenant();
    const projection = new ChallengeProjection(db, tables);
    const records = Array.from({ length: 5 }, () => signIn(tenantId)).flat();
    // Twice in one batch, then the whole batch again.
    const doubled = records.flatMap((r) => [r, r]);
    expect(await projectStreamBatch(projection, doubled)).toEqual({ batchItemFailures: [] });
    expect(await projectStreamBatch(projection, records)).toEqual({ batchItemFailures: [] });
    for (const r of records) expect(await projectStreamBatch(projection, [r])).toEqual({ batchItemFailures: [] });
    expect(await counts(tenantId)).toEqual({ sent: 5, approved: 5, failed: 0, billed: 5, lines: 10, distinctLines: 10 });
  });

  it('counts exactly with shards read concurrently and out of order, and a batch cut differently on retry', async () => {
    const tenantId = newTenant();
    const projection = new ChallengeProjection(db, tables);
    const shardA = Array.from({ length: 8 }, () => signIn(tenantId)).flat();
    const shardB = Array.from({ length: 8 }, () => signIn(tenantId, 'pv_2')).flat();
    // B before A, both at once, then A again cut in halves that overlap what was written.
    await Promise.all([projectStreamBatch(projection, shardB.slice(8)), projectStreamBatch(projection, shardA.slice(0, 10))]);
    await Promise.all([projectStreamBatch(projection, shardB.slice(0, 8)), projectStreamBatch(projection, shardA.slice(6))]);
    await Promise.all([projectStreamBatch(projection, shardA.slice(0, 8)), projectStreamBatch(projection, shardB)]);
    expect(await counts(tenantId)).toEqual({ sent: 16, approved: 16, failed: 0, billed: 16, lines: 32, distinctLines: 32 });
    expect(await billing.authentications(tenantId, DAY.slice(0, 7))).toEqual({ pv_1: 8, pv_2: 8 });
  });

  it('recovers from a consumer that dies after a transaction it never heard back from: the batch again from its start changes nothing twice', async () => {
    const tenantId = newTenant();
    // 60 sign-ins: 120 lines, more than one transaction holds, so the batch is written in parts.
    const records = Array.from({ length: 60 }, () => signIn(tenantId)).flat();
    let transactions = 0;
    const dying = {
      send: async (command: Parameters<typeof db.send>[0]) => {
        const out = await db.send(command);
        // The first part is written; the consumer dies before it learns so.
        if (command.constructor.name === 'TransactWriteCommand' && ++transactions === 1) throw new Error('consumer died');
        return out;
      },
    } as unknown as typeof db;
    const first = await projectStreamBatch(new ChallengeProjection(dying, tables), records);
    expect(first.batchItemFailures).toEqual([{ itemIdentifier: records[0]?.dynamodb?.SequenceNumber }]);
    const partly = await counts(tenantId);
    expect(partly.lines).toBeGreaterThan(0);
    expect(partly.lines).toBeLessThan(120);
    expect(partly.sent + partly.approved).toBe(partly.lines);
    // Lambda delivers the batch again from the record reported (here its start).
    expect(await projectStreamBatch(new ChallengeProjection(db, tables), records)).toEqual({ batchItemFailures: [] });
    expect(await counts(tenantId)).toEqual({ sent: 60, approved: 60, failed: 0, billed: 60, lines: 120, distinctLines: 60 * 2 });
  });

  it('a failure reported part-way: the batch is delivered again from the first record not written', async () => {
    const tenantId = newTenant();
    const records = Array.from({ length: 60 }, () => signIn(tenantId)).flat();
    let transactions = 0;
    const failing = {
      send: async (command: Parameters<typeof db.send>[0]) => {
        if (command.constructor.name === 'TransactWriteCommand' && ++transactions === 2) throw new Error('throttled');
        return db.send(command);
      },
    } as unknown as typeof db;
    const first = await projectStreamBatch(new ChallengeProjection(failing, tables), records);
    const at = records.findIndex((r) => r.dynamodb?.SequenceNumber === first.batchItemFailures[0]?.itemIdentifier);
    expect(at).toBeGreaterThan(0);
    expect(await projectStreamBatch(new ChallengeProjection(db, tables), records.slice(at))).toEqual({ batchItemFailures: [] });
    expect(await counts(tenantId)).toEqual({ sent: 60, approved: 60, failed: 0, billed: 60, lines: 120, distinctLines: 120 });
  });

  it('a record whose images cannot be read is skipped and reported, not retried for ever; the records around it are written', async () => {
    const tenantId = newTenant();
    const [created, approved] = signIn(tenantId) as [StreamRecord, StreamRecord];
    const broken = (au: unknown): StreamRecord => ({
      dynamodb: { SequenceNumber: nextSeq(), NewImage: { ...marshall({ pk: 'ch_x', challengeId: 'ch_x', tenantId, userId: 'u1', audit: {} }), au: au as never } },
    });
    // As Lambda's event says when a change was made (epoch seconds), and as GetRecords does (a Date).
    const lineless = { dynamodb: { ...broken({ L: [{ M: { u: { L: [] } } }] }).dynamodb, ApproximateCreationDateTime: Date.parse('2031-05-31T23:59:59Z') / 1000 } };
    const nanCount = broken(marshall({ au: [{ l: { logId: 'lg_nan', time: `${DAY}T10:00:00.000Z`, event: 'challenge', result: 'sent', method: 'sms' }, u: [{ r: 'sent', d: 'x' }] }] }).au);
    const notAnImage = { dynamodb: { SequenceNumber: nextSeq(), ApproximateCreationDateTime: new Date('2031-06-01T00:00:00Z'), NewImage: { au: { Q: 'nonsense' } } } } as unknown as StreamRecord;
    const skipped: string[] = [];
    const batch = [created, lineless, nanCount, notAnImage, approved];
    // The marks cannot be written (no such usage table): nothing of the batch is, and all of it comes again.
    const unmarked = await projectStreamBatch(new ChallengeProjection(db, { ...tables, usageTable: 'no-such-table' }), batch);
    expect(unmarked).toEqual({ batchItemFailures: [{ itemIdentifier: created.dynamodb?.SequenceNumber }] });
    expect(await counts(tenantId)).toEqual({ sent: 0, approved: 0, failed: 0, billed: 0, lines: 0, distinctLines: 0 });
    const result = await projectStreamBatch(new ChallengeProjection(db, tables), batch, undefined, (sequenceNumber) => skipped.push(sequenceNumber));
    expect(result).toEqual({ batchItemFailures: [] });
    expect(skipped).toEqual([lineless, nanCount, notAnImage].map((r) => r.dynamodb?.SequenceNumber));
    expect(await counts(tenantId)).toEqual({ sent: 1, approved: 1, failed: 0, billed: 1, lines: 2, distinctLines: 2 });
    // R24: each is marked for the billing run under the month it was made in (now, when the stream does not say).
    expect(await billing.skippedChanges('2031-05')).toEqual([lineless.dynamodb.SequenceNumber]);
    expect(await billing.skippedChanges('2031-06')).toEqual([notAnImage.dynamodb?.SequenceNumber]);
    expect(await billing.skippedChanges(new Date().toISOString().slice(0, 7))).toContain(nanCount.dynamodb?.SequenceNumber);
    expect(await billing.skippedChanges('2031-03')).toEqual([]);
  });

  it('a failed delivery takes its sent count and billed unit back; deletions (TTL) and changes without audits add nothing', async () => {
    const tenantId = newTenant();
    const challengeId = 'ch_failed';
    const item = { pk: challengeId, challengeId, tenantId, userId: 'u1', method: 'sms', status: 'pending', audit: {} };
    const line = (result: 'sent' | 'failed', logId: string) => ({ logId, tenantId, challengeId, time: `${DAY}T11:00:00.000Z`, userId: 'u1', method: 'sms' as const, event: 'challenge' as const, result, apiKeyId: 'k', apiKeyName: 'k' });
    const created = { ...item, [AUDITS_ATTRIBUTE]: storedAudits(item, [{ log: line('sent', 'lg_s'), usage: [{ tenantId, day: DAY, method: 'sms', result: 'sent', delta: 1 }], billedTo: 'pv_1' }]) };
    const failed = {
      ...created,
      status: 'denied',
      [AUDITS_ATTRIBUTE]: storedAudits(item, [
        {
          log: line('failed', 'lg_f'),
          usage: [
            { tenantId, day: DAY, method: 'sms', result: 'failed', delta: 1 },
            { tenantId, day: DAY, method: 'sms', result: 'sent', delta: -1 },
          ],
          billedTo: 'pv_1',
        },
      ]),
    };
    const unchanged = { ...failed, voice: { attempts: [] } };
    const projection = new ChallengeProjection(db, tables);
    expect(await projectStreamBatch(projection, [record(created), record(failed, created), record(unchanged, failed), record(undefined, unchanged)])).toEqual({ batchItemFailures: [] });
    expect(await counts(tenantId)).toEqual({ sent: 0, approved: 0, failed: 1, billed: 0, lines: 2, distinctLines: 2 });
  });

  it('costs: write units per SMS sign-in at a batch of 100 records and at a batch of 1', async () => {
    const cost = async (batch: number) => {
      const tenantId = newTenant();
      const records = Array.from({ length: 50 }, () => signIn(tenantId)).flat();
      const largest = Math.max(...records.flatMap((r) => auditsOfChange(changeOfRecord(r))).map((a) => itemBytes(logLineItem(tables, a.log).Item)));
      const projection = new ChallengeProjection(db, tables);
      requests.reset();
      requests.measureCapacity = true;
      try {
        for (let i = 0; i < records.length; i += batch) expect(await projectStreamBatch(projection, records.slice(i, i + batch))).toEqual({ batchItemFailures: [] });
      } finally {
        requests.measureCapacity = false;
      }
      const measured = { batch, requestsPerAuth: requests.total / 50, wruPerAuth: requests.capacity.write / 50 };
      expect(await counts(tenantId)).toEqual({ sent: 50, approved: 50, failed: 0, billed: 50, lines: 100, distinctLines: 100 });
      expect(largest).toBeLessThanOrEqual(1024);
      return measured;
    };
    const large = await cost(100);
    const single = await cost(1);
    mkdirSync('test-output', { recursive: true });
    writeFileSync('test-output/projection-cost.json', JSON.stringify([large, single], null, 2));
    // Two lines at 2 WRU each and, per transaction, the usage counters and the meter. (DynamoDB
    // Local counts the index entry of one line per transaction, 2 WRU; DynamoDB bills every line's.)
    expect(large.requestsPerAuth).toBeLessThanOrEqual(0.1);
    expect(large.wruPerAuth).toBeGreaterThan(4);
    expect(large.wruPerAuth).toBeLessThanOrEqual(4.5);
    // One record a transaction: create = line (and its index entry) + sent + meter, approval = line (and entry) + approved.
    expect(single).toMatchObject({ requestsPerAuth: 2, wruPerAuth: 14 });
  });
});

it('the projection writes only to the logs and usage tables', async () => {
  const tenantId = newTenant();
  requests.reset();
  await projectStreamBatch(new ChallengeProjection(db, tables), signIn(tenantId));
  expect([...requests.byTable.keys()].sort()).toEqual([`TransactWriteItems ${tables.logsTable}`, `TransactWriteItems ${tables.usageTable}`]);
  const scanned = await db.send(new ScanCommand({ TableName: tables.logsTable }));
  expect((scanned.Items ?? []).filter((i) => i.tenantId === tenantId)).toHaveLength(2);
});

it('every change of a challenge item is checked against its tenant and audit copy, which its stored lines leave out', async () => {
  const store = new DynamoChallengeStore(db, challengesTable, tables);
  const tenantId = newTenant();
  const challengeId = `ch_${randomBytes(6).toString('hex')}`;
  const copy = { firstName: 'Maximiliane', lastName: 'Oberhauser-Lindqvist', email: 'max@example.com', clientIp: '2001:db8::7334' };
  const now = Date.parse(`${DAY}T10:00:00.000Z`);
  const challenge = {
    challengeId, tenantId, userId: 'max@example.com', method: 'sms', status: 'pending', wrongAttempts: 0, sends: 1, createdAt: now, lastSentAt: now,
    expiresAt: now + 300_000, destination: '••••1000', destinationE164: '+14155551000', audit: copy,
  } as const;
  const audit = (event: 'challenge' | 'verify', result: 'sent' | 'failed', log: Partial<Audit['log']> = {}): Audit => ({
    log: { logId: `lg_${randomBytes(6).toString('hex')}`, tenantId, challengeId, time: `${DAY}T10:00:00.000Z`, userId: 'max@example.com', ...copy, method: 'sms', event, result, apiKeyId: 'k1', apiKeyName: 'key', phone: '••••1000', ...log },
    usage: [],
  });
  expect(await store.create(challenge, audit('challenge', 'sent'))).toEqual({ kind: 'created' });
  // A later change whose line names another tenant, or copies other names, is a bug: refused, nothing written.
  await expect(store.deny({ challengeId, reason: 'fraud_reported' }, audit('verify', 'failed', { tenantId: 'tn_other' }))).rejects.toThrow(/tenant/);
  await expect(store.deny({ challengeId, reason: 'fraud_reported' }, audit('verify', 'failed', { firstName: 'Eve' }))).rejects.toThrow(/audit fields/);
  expect((await store.get(challengeId))?.status).toBe('pending');
  await expect(store.deny({ challengeId, reason: 'fraud_reported' }, audit('verify', 'failed', { userId: 'eve' }))).rejects.toThrow(/user/);
  const line = audit('verify', 'failed');
  await store.deny({ challengeId, reason: 'fraud_reported' }, line);
  const item = (await db.send(new ScanCommand({ TableName: challengesTable, FilterExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': challengeId } }))).Items?.[0];
  for (const value of Object.values(copy)) expect(JSON.stringify(item?.[AUDITS_ATTRIBUTE])).not.toContain(value);
  expect(auditsOfItem(item)).toEqual([line]);
});
