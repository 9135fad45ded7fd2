import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { DescribeStreamCommand, DynamoDBStreamsClient, GetRecordsCommand, GetShardIteratorCommand, type _Record } from '@aws-sdk/client-dynamodb-streams';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { localClient } from '../../infra/local/dynamo';
import { localProjection } from '../../infra/local/projection';
import { AUDITS_ATTRIBUTE } from '../../shared/adapters/dynamo/challenge-audits';
import { ChallengeProjection, changeOfRecord, type StreamRecord } from '../../shared/adapters/dynamo/challenge-projection';
import { createDocumentClient } from '../../shared/adapters/dynamo/client';
import { ProjectionReplay, type StreamRange } from '../../shared/adapters/dynamo/projection-replay';
import { CHALLENGES_TABLE, LOGS_TABLE, USAGE_TABLE } from '../../shared/tables';
import { TestApi, type Tenant } from '../support/runtime';

/**
 * Issue 18: a range of the Challenges table's stream the projection gave up on, replayed from
 * DynamoDB Local's real stream with the same projection. The local runtime's stream poller is
 * stopped (and its drain off) before the sign-ins, so nothing but the replay projects them.
 */
let api: TestApi;
let tenant: Tenant;
let streams: DynamoDBStreamsClient;
let streamArn: string;
let replay: ProjectionReplay;
const db = () => createDocumentClient({ endpoint: api.runtime.dynamoEndpoint });
let docClient: ReturnType<typeof db>;

beforeAll(async () => {
  api = await TestApi.start();
  tenant = await api.createTenant();
  localProjection.setDrain(false);
  await localProjection.stop();
  const endpoint = api.runtime.dynamoEndpoint;
  const client = localClient(endpoint);
  try {
    const table = await client.send(new DescribeTableCommand({ TableName: process.env[CHALLENGES_TABLE.envVar] }));
    streamArn = table.Table?.LatestStreamArn as string;
  } finally {
    client.destroy();
  }
  streams = new DynamoDBStreamsClient({ endpoint, region: 'local', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  docClient = db();
  replay = new ProjectionReplay(streams, streamArn, new ChallengeProjection(docClient, { logsTable: process.env[LOGS_TABLE.envVar] as string, usageTable: process.env[USAGE_TABLE.envVar] as string }));
});

afterAll(async () => {
  streams.destroy();
  docClient.destroy();
  localProjection.setDrain(true);
  await api.stop();
});

const month = () => new Date().toISOString().slice(0, 7);

/** One approved SMS sign-in of a new user: its user and challenge. */
async function signIn(): Promise<{ userId: string; challengeId: string }> {
  const { userId, phone } = await api.newUser(tenant);
  const created = await api.request<{ challengeId: string }>('POST', '/v1/challenges', { key: tenant.authKey, body: { userId, method: 'sms' } });
  expect(created.status).toBe(201);
  const verified = await api.request('POST', `/v1/challenges/${created.body.challengeId}/verify`, { key: tenant.authKey, body: { code: await api.latestCode(phone) } });
  expect(verified.status).toBe(200);
  return { userId, challengeId: created.body.challengeId };
}

/** Every record of the stream, with its shard, in each shard's order. */
async function streamRecords(): Promise<{ shardId: string; record: _Record }[]> {
  const out = await streams.send(new DescribeStreamCommand({ StreamArn: streamArn }));
  const all: { shardId: string; record: _Record }[] = [];
  for (const shard of out.StreamDescription?.Shards ?? []) {
    const shardId = shard.ShardId as string;
    let iterator = (await streams.send(new GetShardIteratorCommand({ StreamArn: streamArn, ShardId: shardId, ShardIteratorType: 'TRIM_HORIZON' }))).ShardIterator;
    while (iterator) {
      const page = await streams.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 100 }));
      for (const record of page.Records ?? []) all.push({ shardId, record });
      if ((page.Records ?? []).length === 0) break;
      iterator = page.NextShardIterator;
    }
  }
  return all;
}

const challengeOf = (record: _Record) => {
  const change = changeOfRecord(record as StreamRecord);
  return (change.newImage ?? change.oldImage)?.challengeId;
};

/** The range of the stream from the first change of `first` to the last change of `last` (one shard). */
async function rangeOf(first: string, last: string): Promise<StreamRange> {
  const records = await streamRecords();
  const firstChange = records.find((r) => challengeOf(r.record) === first);
  const lastChange = records.findLast((r) => challengeOf(r.record) === last);
  if (!firstChange || !lastChange) throw new Error('the sign-ins are not on the stream');
  expect(lastChange.shardId).toBe(firstChange.shardId);
  return { shardId: firstChange.shardId, start: firstChange.record.dynamodb?.SequenceNumber as string, end: lastChange.record.dynamodb?.SequenceNumber as string };
}

/** Lambda's on-failure invocation record for a range, as its destination receives it. */
function failureRecord(range: StreamRange, arn = streamArn, batchSize = 2): string {
  return JSON.stringify({
    requestContext: { requestId: '316aa6d0-8154-4f8c-9af7-85d5f4a6bc81', functionArn: 'arn:aws:lambda:us-east-1:111122223333:function:challenge-projection', condition: 'RecordAgeExceeded', approximateInvokeCount: 40 },
    responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
    version: '1.0',
    timestamp: '2026-12-01T06:13:49.717Z',
    DDBStreamBatchInfo: {
      shardId: range.shardId,
      startSequenceNumber: range.start,
      endSequenceNumber: range.end,
      approximateArrivalOfFirstRecord: '2026-12-01T00:13:19Z',
      approximateArrivalOfLastRecord: '2026-12-01T00:13:19Z',
      batchSize,
      streamArn: arn,
    },
  });
}

/** What the admin reads: the users' auth-log results and the month's usage. */
async function seen(users: readonly string[]) {
  const lines: Record<string, string[]> = {};
  for (const userId of users) {
    const logs = await api.request<{ items: { result: string }[] }>('GET', `/v1/admin/auth-logs?userId=${userId}`, { key: tenant.adminKey });
    lines[userId] = logs.body.items.map((l) => l.result).sort();
  }
  const usage = await api.request<{ totals: { byResult: Record<string, number> } }>('GET', `/v1/admin/usage?month=${month()}`, { key: tenant.adminKey });
  return { lines, sent: usage.body.totals.byResult.sent ?? 0, approved: usage.body.totals.byResult.approved ?? 0 };
}

describe('projection replay (issue 18) against DynamoDB Local\'s stream', () => {
  let first: { userId: string; challengeId: string };
  let second: { userId: string; challengeId: string };
  let users: string[];

  beforeAll(async () => {
    first = await signIn();
    second = await signIn();
    users = [first.userId, second.userId];
  });

  it('with the poller stopped, the sign-ins have no auth-log line and no usage yet', async () => {
    expect(await seen(users)).toEqual({ lines: { [first.userId]: [], [second.userId]: [] }, sent: 0, approved: 0 });
  });

  it('replays exactly the range a failure record names: its lines and counts once, nothing past its end', async () => {
    const range = await rangeOf(first.challengeId, first.challengeId);
    const outcome = await replay.replayMessage(failureRecord(range));
    expect(outcome).toEqual({ kind: 'replayed', range, records: expect.any(Number), skipped: 0 });
    expect(outcome.kind === 'replayed' && outcome.records).toBeGreaterThanOrEqual(2);
    expect(await seen(users)).toEqual({ lines: { [first.userId]: ['approved', 'sent'], [second.userId]: [] }, sent: 1, approved: 1 });
  });

  it('replaying the range again, or a range over it and the next, writes each line and count once', async () => {
    const range = await rangeOf(first.challengeId, first.challengeId);
    expect(await replay.replayMessage(failureRecord(range))).toMatchObject({ kind: 'replayed' });
    expect(await seen(users)).toEqual({ lines: { [first.userId]: ['approved', 'sent'], [second.userId]: [] }, sent: 1, approved: 1 });
    const both = await rangeOf(first.challengeId, second.challengeId);
    expect(await replay.replayMessage(failureRecord(both, streamArn, 4))).toMatchObject({ kind: 'replayed', range: both });
    expect(await replay.replayMessage(failureRecord(both, streamArn, 4))).toMatchObject({ kind: 'replayed', range: both });
    expect(await seen(users)).toEqual({ lines: { [first.userId]: ['approved', 'sent'], [second.userId]: ['approved', 'sent'] }, sent: 2, approved: 2 });
  });

  it('a range the stream does not hold (no such shard, or its first record gone) is trimmed, and nothing is written', async () => {
    const third = await signIn();
    const range = await rangeOf(third.challengeId, third.challengeId);
    const before = await seen([...users, third.userId]);
    expect(before.lines[third.userId]).toEqual([]);
    const noShard = { ...range, shardId: 'shardId-00000001700000000000-0000dead' };
    expect(await replay.replayMessage(failureRecord(noShard))).toEqual({ kind: 'trimmed', range: noShard, reason: 'the stream has no such shard' });
    // A range whose first record the stream no longer has: reading from its start finds a later record first.
    const pastStart = { ...range, start: (BigInt(range.start) - 1n).toString().padStart(range.start.length, '0') };
    expect(await replay.replayMessage(failureRecord(pastStart))).toEqual({ kind: 'trimmed', range: pastStart, reason: expect.stringMatching(/trimmed/) });
    expect(await seen([...users, third.userId])).toEqual(before);
  });

  it('finding 2: a record of the range the projection cannot read is skipped, counted in the outcome and reported; the rest is written', async () => {
    const fifth = await signIn();
    // Written behind the service's back: an audit line with no id, time, user, event or result.
    const broken = `ch_broken_${Date.now()}`;
    await docClient.send(
      new PutCommand({
        TableName: process.env[CHALLENGES_TABLE.envVar],
        Item: { pk: `CH#${broken}`, challengeId: broken, tenantId: tenant.tenantId, [AUDITS_ATTRIBUTE]: [{ l: {} }] },
      }),
    );
    const range = await rangeOf(fifth.challengeId, broken);
    const reported: string[] = [];
    const reporting = new ProjectionReplay(
      streams,
      streamArn,
      new ChallengeProjection(docClient, { logsTable: process.env[LOGS_TABLE.envVar] as string, usageTable: process.env[USAGE_TABLE.envVar] as string }),
      (sequenceNumber) => reported.push(sequenceNumber),
    );
    const outcome = await reporting.replayMessage(failureRecord(range, streamArn, 3));
    expect(outcome).toMatchObject({ kind: 'replayed', range, skipped: 1 });
    expect(reported).toEqual([range.end]);
    expect((await seen([fifth.userId])).lines).toEqual({ [fifth.userId]: ['approved', 'sent'] });
  });

  it('refuses a malformed record, or one of another stream, with its reason, and writes nothing', async () => {
    const fourth = await signIn();
    const range = await rangeOf(fourth.challengeId, fourth.challengeId);
    const before = await seen([...users, fourth.userId]);
    const valid = JSON.parse(failureRecord(range)) as Record<string, Record<string, unknown>>;
    const refusals = await Promise.all([
      replay.replayMessage('not json'),
      replay.replayMessage('{}'),
      replay.replayMessage(JSON.stringify({ ...valid, DDBStreamBatchInfo: { ...valid.DDBStreamBatchInfo, startSequenceNumber: 'abc' } })),
      replay.replayMessage(JSON.stringify({ ...valid, DDBStreamBatchInfo: { ...valid.DDBStreamBatchInfo, shardId: undefined } })),
      replay.replayMessage(failureRecord({ ...range, start: range.end, end: range.start })),
      replay.replayMessage(failureRecord(range, streamArn.replace(/stream\/.*$/, 'stream/2020-01-01T00:00:00.000'))),
    ]);
    expect(range.start).not.toBe(range.end);
    expect(refusals.map((r) => r.kind)).toEqual(['refused', 'refused', 'refused', 'refused', 'refused', 'refused']);
    const reasons = refusals.map((r) => (r.kind === 'refused' ? r.reason : ''));
    expect(reasons[0]).toBe('not JSON');
    expect(reasons[1]).toMatch(/^not a Lambda on-failure record of a DynamoDB stream \(.*DDBStreamBatchInfo: /);
    expect(reasons[2]).toMatch(/DDBStreamBatchInfo\.startSequenceNumber/);
    expect(reasons[3]).toMatch(/DDBStreamBatchInfo\.shardId/);
    expect(reasons[4]).toMatch(/first sequence number is after its last/);
    expect(reasons[5]).toMatch(/not the Challenges table's stream/);
    expect(await seen([...users, fourth.userId])).toEqual(before);
  });
});
