import {
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  LimitExceededException,
  ResourceNotFoundException,
  TrimmedDataAccessException,
  type _Record,
} from '@aws-sdk/client-dynamodb-streams';
import { ChangeMessageVisibilityCommand, DeleteMessageCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient, type Message } from '@aws-sdk/client-sqs';
import { PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { ChallengeProjection } from '../../shared/adapters/dynamo/challenge-projection';
import { parseFailureRecord, ProjectionReplay, REPLAY_EMPTY_READ_PAUSE_MS, REPLAY_MAX_EMPTY_READS, type StreamRange } from '../../shared/adapters/dynamo/projection-replay';
import {
  drainFailureQueue,
  REPLAY_EMPTY_POLLS,
  REPLAY_POLL_WAIT_SECONDS,
  REPLAY_STOP_MARGIN_MS,
  REPLAY_TIMEOUT_SECONDS,
  REPLAY_VISIBILITY_SECONDS,
} from '../../shared/adapters/sqs/projection-failures';

/**
 * Issue 18: the replay's loop over the projection's failure queue (SQS ReceiveMessage,
 * DeleteMessage, ChangeMessageVisibility) and its reads of the stream (GetShardIterator,
 * GetRecords), with the AWS clients mocked in the shapes AWS documents. The projection's writes
 * and the stream itself are tested against DynamoDB Local (test/integration/projection-replay.test.ts);
 * here the records carry no audits, so the projection writes nothing.
 */
const STREAM_ARN = 'arn:aws:dynamodb:eu-west-1:123456789012:table/tessera-dev-Challenges/stream/2026-11-02T09:41:07.311';
const QUEUE_URL = 'https://sqs.eu-west-1.amazonaws.com/123456789012/Tessera-dev-Api-ChallengeProjectionSourceFailures';
const SHARD = 'shardId-00000001764572400000-4b0d5e1a';

const sqs = mockClient(SQSClient);
const streams = mockClient(DynamoDBStreamsClient);
/**
 * A document client the projection reaches only to mark a record it cannot read (for the billing
 * run): records without audits write nothing else.
 */
const marked: string[] = [];
const onlyMarks = {
  send: (command: unknown) => {
    const item = command instanceof PutCommand ? command.input.Item : undefined;
    if (command instanceof PutCommand && command.input.TableName === 'usage' && String(item?.pk).startsWith('SKIPPED#')) {
      marked.push(String(item?.sk));
      return Promise.resolve({});
    }
    return Promise.reject(new Error('the projection wrote'));
  },
} as unknown as DynamoDBDocumentClient;
const projection = new ChallengeProjection(onlyMarks, { logsTable: 'logs', usageTable: 'usage' });
/** The pauses the replay asked for, in ms (none is waited: the unit tests stay fast). */
let pauses: number[] = [];
const noWait = (ms: number) => {
  pauses.push(ms);
  return Promise.resolve();
};
const replay = new ProjectionReplay(new DynamoDBStreamsClient({}), STREAM_ARN, projection, undefined, noWait);

beforeEach(() => {
  sqs.reset();
  streams.reset();
  pauses = [];
});

const seq = (n: bigint) => n.toString().padStart(21, '0');

/** A stream record as GetRecords returns it (a TTL deletion: no audits). */
function streamRecord(sequenceNumber: string): _Record {
  return {
    eventID: `e${sequenceNumber.slice(-6)}`,
    eventName: 'REMOVE',
    eventVersion: '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: 'eu-west-1',
    dynamodb: { Keys: { pk: { S: 'ch_1' } }, SequenceNumber: sequenceNumber, SizeBytes: 26, StreamViewType: 'NEW_AND_OLD_IMAGES' },
  };
}

/** Lambda's on-failure record for a DynamoDB stream, as the Lambda Developer Guide shows it. */
function failureRecord(range: StreamRange, streamArn = STREAM_ARN): string {
  return JSON.stringify({
    requestContext: { requestId: '316aa6d0-8154-xmpl-9af7-85d5f4a6bc81', functionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:projection', condition: 'RetryAttemptsExhausted', approximateInvokeCount: 1 },
    responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
    version: '1.0',
    timestamp: '2026-12-01T00:13:49.717Z',
    DDBStreamBatchInfo: {
      shardId: range.shardId,
      startSequenceNumber: range.start,
      endSequenceNumber: range.end,
      approximateArrivalOfFirstRecord: '2026-11-30T18:13:19Z',
      approximateArrivalOfLastRecord: '2026-11-30T18:13:19Z',
      batchSize: 3,
      streamArn,
    },
  });
}

/** An SQS message as ReceiveMessage returns it. */
function message(n: number, body: string): Message {
  return { MessageId: `5fea7756-0ea4-451a-a703-a558b933e27${n}`, ReceiptHandle: `AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a-${n}`, MD5OfBody: 'fafb00f5732ab283681e124bf8747ed1', Body: body };
}

/** A stream record the projection cannot read (an attribute of no DynamoDB type): it skips it. */
function unreadableRecord(sequenceNumber: string): _Record {
  const record = streamRecord(sequenceNumber);
  return { ...record, dynamodb: { ...record.dynamodb, NewImage: { pk: { BAD: 'x' } as never } } };
}

/** The stream holds `first`..`first + count - 1` on SHARD (those in `unreadable` unreadable), read in pages of `page`. */
function streamHolds(first: bigint, count: number, page = 100, unreadable: readonly bigint[] = []): void {
  const all = Array.from({ length: count }, (_, i) => (unreadable.includes(first + BigInt(i)) ? unreadableRecord : streamRecord)(seq(first + BigInt(i))));
  streams.on(GetShardIteratorCommand).callsFake((input: { SequenceNumber: string }) => {
    const at = all.findIndex((r) => BigInt(r.dynamodb?.SequenceNumber ?? '0') >= BigInt(input.SequenceNumber));
    return { ShardIterator: `it-${Math.max(at, 0)}` };
  });
  streams.on(GetRecordsCommand).callsFake((input: { ShardIterator: string }) => {
    const at = Number(input.ShardIterator.slice(3));
    return { Records: all.slice(at, at + page), NextShardIterator: `it-${Math.min(at + page, all.length)}` };
  });
}

const plenty = () => 250_000;

describe('parseFailureRecord: Lambda\'s on-failure record of a DynamoDB stream', () => {
  const range = { shardId: SHARD, start: seq(100n), end: seq(120n) };

  it('reads the documented record, with or without a response context', () => {
    expect(parseFailureRecord(failureRecord(range), STREAM_ARN)).toMatchObject({ range, record: { version: '1.0', requestContext: { condition: 'RetryAttemptsExhausted' } } });
    const { responseContext: _omitted, ...withoutResponse } = JSON.parse(failureRecord(range)) as Record<string, unknown>;
    expect(parseFailureRecord(JSON.stringify(withoutResponse), STREAM_ARN)).toMatchObject({ range });
  });

  it('refuses sequence numbers DynamoDB Streams never hands out, a record without its condition, and a stream not ours', () => {
    const refused = (r: StreamRange, arn = STREAM_ARN) => 'refused' in parseFailureRecord(failureRecord(r, arn), STREAM_ARN);
    expect(refused({ ...range, start: '100' })).toBe(true);
    expect(refused({ ...range, end: '1'.repeat(41) })).toBe(true);
    expect(refused({ ...range, end: `${seq(120n)}x` })).toBe(true);
    expect(refused(range, STREAM_ARN.replace('2026-11-02', '2026-11-03'))).toBe(true);
    const { requestContext: _omitted, ...noContext } = JSON.parse(failureRecord(range)) as Record<string, unknown>;
    expect(parseFailureRecord(JSON.stringify({ ...noContext, requestContext: { requestId: 'r' } }), STREAM_ARN)).toMatchObject({ refused: expect.stringMatching(/requestContext\.condition/) });
  });
});

describe('ProjectionReplay: a range of the stream', () => {
  it('reads from the first sequence number until a record past the last, comparing them as numbers', async () => {
    // 21 digits to 22: compared as text, the last would sort before the first.
    const first = 999_999_999_999_999_999_990n;
    streamHolds(first, 40, 7);
    const range = { shardId: SHARD, start: seq(first), end: seq(first + 19n) };
    expect(range.end.length).toBe(22);
    expect(await replay.replay(range)).toEqual({ kind: 'replayed', range, records: 20, skipped: 0 });
    expect(streams.commandCalls(GetShardIteratorCommand)[0]?.args[0].input).toEqual({ StreamArn: STREAM_ARN, ShardId: SHARD, ShardIteratorType: 'AT_SEQUENCE_NUMBER', SequenceNumber: range.start });
    // Pages of 7: the third ends past the range; no fourth is read.
    expect(streams.commandCalls(GetRecordsCommand)).toHaveLength(3);
    expect(streams.commandCalls(GetRecordsCommand).every((c) => c.args[0].input.Limit === 100)).toBe(true);
  });

  it('a range the stream trimmed, or a shard it does not have, is trimmed (not thrown)', async () => {
    const range = { shardId: SHARD, start: seq(100n), end: seq(120n) };
    streams.on(GetShardIteratorCommand).rejects(new TrimmedDataAccessException({ message: 'trimmed', $metadata: { httpStatusCode: 400 } }));
    expect(await replay.replay(range)).toMatchObject({ kind: 'trimmed', range });
    streams.reset();
    streams.on(GetShardIteratorCommand).rejects(new ResourceNotFoundException({ message: 'Requested resource not found: Shard does not exist', $metadata: { httpStatusCode: 400 } }));
    expect(await replay.replay(range)).toEqual({ kind: 'trimmed', range, reason: 'the stream has no such shard' });
    streams.reset();
    // The stream now starts after the range's first record.
    streamHolds(105n, 30);
    expect(await replay.replay(range)).toMatchObject({ kind: 'trimmed', range });
  });

  it('an open shard that stops returning records before the range\'s end: incomplete, not a loop, and not back to back', async () => {
    streamHolds(100n, 5);
    const range = { shardId: SHARD, start: seq(100n), end: seq(120n) };
    expect(await replay.replay(range)).toMatchObject({ kind: 'incomplete', range, records: 5, skipped: 0 });
    expect(streams.commandCalls(GetRecordsCommand)).toHaveLength(1 + REPLAY_MAX_EMPTY_READS);
    // A pause after each empty read but the last (which ends the replay), 250 ms doubling to 1 s.
    expect(pauses).toEqual([250, 500, ...Array<number>(REPLAY_MAX_EMPTY_READS - 3).fill(1000)]);
    expect(REPLAY_EMPTY_READ_PAUSE_MS).toEqual({ first: 250, last: 1000 });
  });

  it('pauses only between empty reads: records coming again start the pauses over', async () => {
    streams.on(GetShardIteratorCommand).resolves({ ShardIterator: 'it-0' });
    streams
      .on(GetRecordsCommand)
      .resolvesOnce({ Records: [], NextShardIterator: 'it-0' })
      .resolvesOnce({ Records: [], NextShardIterator: 'it-0' })
      .resolvesOnce({ Records: [streamRecord(seq(100n))], NextShardIterator: 'it-1' })
      .resolvesOnce({ Records: [], NextShardIterator: 'it-1' })
      .resolvesOnce({ Records: [streamRecord(seq(101n)), streamRecord(seq(102n))], NextShardIterator: 'it-3' });
    const range = { shardId: SHARD, start: seq(100n), end: seq(102n) };
    expect(await replay.replay(range)).toEqual({ kind: 'replayed', range, records: 3, skipped: 0 });
    expect(pauses).toEqual([250, 500, 250]);
  });

  it('finding 2: counts the records of the range the projection skips (cannot read), and still reports each', async () => {
    // 104 and 107 cannot be read; 121, past the range, is not handed to the projection.
    streamHolds(100n, 30, 7, [104n, 107n, 121n]);
    const reported: string[] = [];
    const reporting = new ProjectionReplay(new DynamoDBStreamsClient({}), STREAM_ARN, projection, (sequenceNumber) => reported.push(sequenceNumber), noWait);
    const range = { shardId: SHARD, start: seq(100n), end: seq(119n) };
    expect(await reporting.replay(range)).toEqual({ kind: 'replayed', range, records: 20, skipped: 2 });
    expect(reported).toEqual([seq(104n), seq(107n)]);
    // R24: and each is marked for the billing run.
    expect(marked.slice(-2)).toEqual([seq(104n), seq(107n)]);
    // Without a callback of its own, the replay counts them all the same.
    expect(await replay.replay(range)).toEqual({ kind: 'replayed', range, records: 20, skipped: 2 });
  });

  it('a closed shard read to its end before the range\'s last number: what it held is replayed', async () => {
    streams.on(GetShardIteratorCommand).resolves({ ShardIterator: 'it-0' });
    streams.on(GetRecordsCommand).resolves({ Records: [streamRecord(seq(100n)), streamRecord(seq(101n))] });
    expect(await replay.replay({ shardId: SHARD, start: seq(100n), end: seq(120n) })).toMatchObject({ kind: 'replayed', records: 2, skipped: 0 });
    expect(pauses).toEqual([]);
  });
});

describe('drainFailureQueue: the replay function\'s loop over the failure queue', () => {
  const drain = (remainingMs: () => number = plenty) => drainFailureQueue({ sqs: new SQSClient({}), queueUrl: QUEUE_URL, replay: (body) => replay.replayMessage(body), remainingMs });
  /** GetQueueAttributes' answer at the end of a run. */
  const queueHolds = (visible: number, inFlight: number) =>
    sqs.on(GetQueueAttributesCommand).resolves({ Attributes: { ApproximateNumberOfMessages: String(visible), ApproximateNumberOfMessagesNotVisible: String(inFlight) } });
  const rateExceeded = (what: string) => Object.assign(new Error(`Rate exceeded for ${what}`), { name: 'ThrottlingException' });
  /** The SQS calls in order, by command name. */
  const sqsCalls = () => sqs.calls().map((c) => (c.args[0] as { constructor: { name: string } }).constructor.name);

  it('replays each message and deletes it; receives up to 10 with a long poll, hidden for the whole run, until the queue is empty; then counts the queue', async () => {
    streamHolds(100n, 50);
    sqs
      .on(ReceiveMessageCommand)
      .resolvesOnce({ Messages: [message(1, failureRecord({ shardId: SHARD, start: seq(100n), end: seq(109n) })), message(2, failureRecord({ shardId: SHARD, start: seq(110n), end: seq(112n) }))] })
      .resolves({});
    sqs.on(DeleteMessageCommand).resolves({});
    queueHolds(0, 0);
    expect(await drain()).toEqual({ replayed: 2, records: 13, skipped: 0, left: [], released: 0, queue: { kind: 'counted', visible: 0, inFlight: 0 } });
    expect(sqs.commandCalls(DeleteMessageCommand).map((c) => c.args[0].input)).toEqual([
      { QueueUrl: QUEUE_URL, ReceiptHandle: message(1, '').ReceiptHandle },
      { QueueUrl: QUEUE_URL, ReceiptHandle: message(2, '').ReceiptHandle },
    ]);
    const receive = sqs.commandCalls(ReceiveMessageCommand)[0]?.args[0].input;
    // Finding 4: a long poll (a short one may answer a small queue with nothing while messages wait).
    expect(receive).toEqual({ QueueUrl: QUEUE_URL, MaxNumberOfMessages: 10, WaitTimeSeconds: REPLAY_POLL_WAIT_SECONDS, VisibilityTimeout: REPLAY_VISIBILITY_SECONDS });
    expect(REPLAY_POLL_WAIT_SECONDS).toBeGreaterThanOrEqual(1);
    expect(REPLAY_POLL_WAIT_SECONDS * 1000).toBeLessThan(REPLAY_STOP_MARGIN_MS);
    expect(REPLAY_VISIBILITY_SECONDS).toBeGreaterThanOrEqual(REPLAY_TIMEOUT_SECONDS);
    expect(sqs.commandCalls(ReceiveMessageCommand)).toHaveLength(1 + REPLAY_EMPTY_POLLS);
    expect(sqs.commandCalls(GetQueueAttributesCommand).map((c) => c.args[0].input)).toEqual([
      { QueueUrl: QUEUE_URL, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] },
    ]);
    expect(sqsCalls().at(-1)).toBe('GetQueueAttributesCommand');
  });

  it('finding 2: reports the records the projection skipped in the ranges it replayed', async () => {
    streamHolds(100n, 50, 100, [103n, 111n]);
    sqs
      .on(ReceiveMessageCommand)
      .resolvesOnce({ Messages: [message(1, failureRecord({ shardId: SHARD, start: seq(100n), end: seq(109n) })), message(2, failureRecord({ shardId: SHARD, start: seq(110n), end: seq(112n) }))] })
      .resolves({});
    sqs.on(DeleteMessageCommand).resolves({});
    queueHolds(0, 0);
    expect(await drain()).toMatchObject({ replayed: 2, records: 13, skipped: 2, left: [] });
  });

  it('keeps and reports a message whose range is trimmed, one that is malformed or of another stream, and one whose replay failed; makes them visible again once the loop is over', async () => {
    const trimmed = { shardId: SHARD, start: seq(100n), end: seq(109n) };
    const failing = { shardId: 'shardId-00000001764572400000-99999999', start: seq(200n), end: seq(209n) };
    streams.on(GetShardIteratorCommand, { ShardId: SHARD }).rejects(new TrimmedDataAccessException({ message: 'trimmed', $metadata: { httpStatusCode: 400 } }));
    streams.on(GetShardIteratorCommand, { ShardId: failing.shardId }).resolves({ ShardIterator: 'it-0' });
    streams.on(GetRecordsCommand).rejects(new LimitExceededException({ message: 'Rate exceeded for shard', $metadata: { httpStatusCode: 400 } }));
    const messages = [
      message(1, failureRecord(trimmed)),
      message(2, '{"hello":"world"}'),
      message(3, failureRecord(trimmed, STREAM_ARN.replace('tessera-dev', 'other'))),
      message(4, failureRecord(failing)),
    ];
    sqs.on(ReceiveMessageCommand).resolvesOnce({ Messages: messages }).resolves({});
    sqs.on(ChangeMessageVisibilityCommand).resolves({});
    queueHolds(4, 0);
    const summary = await drain();
    expect(sqs.commandCalls(DeleteMessageCommand)).toHaveLength(0);
    expect(summary).toMatchObject({ replayed: 0, records: 0, skipped: 0, released: 0, queue: { kind: 'counted', visible: 4, inFlight: 0 } });
    expect(summary.left).toEqual([
      { messageId: message(1, '').MessageId, ...trimmed, reason: expect.stringMatching(/^trimmed: /) },
      { messageId: message(2, '').MessageId, reason: expect.stringMatching(/^refused: not a Lambda on-failure record/) },
      { messageId: message(3, '').MessageId, ...trimmed, reason: "refused: its stream is not the Challenges table's stream" },
      { messageId: message(4, '').MessageId, ...failing, reason: 'failed: LimitExceededException: Rate exceeded for shard' },
    ]);
    // Finding 5: each is visible again at the end (not hidden for REPLAY_VISIBILITY_SECONDS), after the last receive, before the count.
    expect(sqs.commandCalls(ChangeMessageVisibilityCommand).map((c) => c.args[0].input)).toEqual(
      messages.map((m) => ({ QueueUrl: QUEUE_URL, ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0 })),
    );
    const order = sqsCalls();
    expect(order.lastIndexOf('ReceiveMessageCommand')).toBeLessThan(order.indexOf('ChangeMessageVisibilityCommand'));
    expect(order.lastIndexOf('ChangeMessageVisibilityCommand')).toBeLessThan(order.indexOf('GetQueueAttributesCommand'));
  });

  it('finding 6: a delete or a visibility change that fails is reported with its message; the run goes on and returns its summary', async () => {
    streamHolds(100n, 50);
    const ranges = [0n, 10n, 20n].map((at) => ({ shardId: SHARD, start: seq(100n + at), end: seq(109n + at) }));
    const messages = ranges.map((range, i) => message(i + 1, failureRecord(range)));
    const trimmed = message(4, failureRecord({ shardId: SHARD, start: seq(90n), end: seq(95n) }));
    sqs.on(ReceiveMessageCommand).resolvesOnce({ Messages: [...messages, trimmed] }).resolves({});
    sqs.on(DeleteMessageCommand).resolves({}).on(DeleteMessageCommand, { ReceiptHandle: messages[1]?.ReceiptHandle }).rejects(rateExceeded('DeleteMessage'));
    sqs.on(ChangeMessageVisibilityCommand).rejects(rateExceeded('ChangeMessageVisibility'));
    sqs.on(GetQueueAttributesCommand).rejects(rateExceeded('GetQueueAttributes'));
    const summary = await drain();
    expect(summary).toEqual({
      replayed: 2,
      records: 20,
      skipped: 0,
      released: 0,
      left: [
        { messageId: messages[1]?.MessageId, ...ranges[1], reason: expect.stringMatching(/^failed: delete: ThrottlingException: Rate exceeded for DeleteMessage; still hidden for up to 300 s: ThrottlingException/) },
        { messageId: trimmed.MessageId, shardId: SHARD, start: seq(90n), end: seq(95n), reason: expect.stringMatching(/^trimmed: .*; still hidden for up to 300 s: ThrottlingException/) },
      ],
      queue: { kind: 'unknown', reason: 'ThrottlingException: Rate exceeded for GetQueueAttributes' },
    });
    expect(sqs.commandCalls(DeleteMessageCommand)).toHaveLength(3);
  });

  it('stops taking messages when the invocation is about to end, and makes the ones it did not try visible again', async () => {
    streamHolds(100n, 50);
    const bodies = [0n, 10n, 20n].map((at, i) => message(i + 1, failureRecord({ shardId: SHARD, start: seq(100n + at), end: seq(109n + at) })));
    sqs.on(ReceiveMessageCommand).resolves({ Messages: bodies });
    sqs.on(DeleteMessageCommand).resolves({});
    sqs.on(ChangeMessageVisibilityCommand).resolves({});
    queueHolds(2, 0);
    // Plenty of time for the first message, then less than the margin.
    const times = [250_000, 250_000, REPLAY_STOP_MARGIN_MS - 1];
    const summary = await drain(() => times.shift() ?? 0);
    expect(summary).toEqual({ replayed: 1, records: 10, skipped: 0, left: [], released: 2, queue: { kind: 'counted', visible: 2, inFlight: 0 } });
    expect(sqs.commandCalls(ReceiveMessageCommand)).toHaveLength(1);
    expect(sqs.commandCalls(DeleteMessageCommand)).toHaveLength(1);
    expect(sqs.commandCalls(ChangeMessageVisibilityCommand).map((c) => c.args[0].input)).toEqual([
      { QueueUrl: QUEUE_URL, ReceiptHandle: bodies[1]?.ReceiptHandle, VisibilityTimeout: 0 },
      { QueueUrl: QUEUE_URL, ReceiptHandle: bodies[2]?.ReceiptHandle, VisibilityTimeout: 0 },
    ]);
  });

  it('a message not tried that cannot be made visible again is reported as left, with its range', async () => {
    streamHolds(100n, 50);
    const range = { shardId: SHARD, start: seq(110n), end: seq(119n) };
    const bodies = [message(1, failureRecord({ shardId: SHARD, start: seq(100n), end: seq(109n) })), message(2, failureRecord(range))];
    sqs.on(ReceiveMessageCommand).resolves({ Messages: bodies });
    sqs.on(DeleteMessageCommand).resolves({});
    sqs.on(ChangeMessageVisibilityCommand).rejects(rateExceeded('ChangeMessageVisibility'));
    queueHolds(0, 1);
    const times = [250_000, 250_000, REPLAY_STOP_MARGIN_MS - 1];
    expect(await drain(() => times.shift() ?? 0)).toEqual({
      replayed: 1,
      records: 10,
      skipped: 0,
      released: 0,
      left: [{ messageId: bodies[1]?.MessageId, ...range, reason: 'failed: release: ThrottlingException: Rate exceeded for ChangeMessageVisibility' }],
      queue: { kind: 'counted', visible: 0, inFlight: 1 },
    });
  });

  it('a receive that fails is thrown, but only after the messages this run holds are visible again', async () => {
    streams.on(GetShardIteratorCommand).rejects(new TrimmedDataAccessException({ message: 'trimmed', $metadata: { httpStatusCode: 400 } }));
    const kept = message(1, failureRecord({ shardId: SHARD, start: seq(100n), end: seq(109n) }));
    sqs.on(ReceiveMessageCommand).resolvesOnce({ Messages: [kept] }).rejects(rateExceeded('ReceiveMessage'));
    sqs.on(ChangeMessageVisibilityCommand).resolves({});
    await expect(drain()).rejects.toThrow('Rate exceeded for ReceiveMessage');
    expect(sqs.commandCalls(ChangeMessageVisibilityCommand).map((c) => c.args[0].input)).toEqual([{ QueueUrl: QUEUE_URL, ReceiptHandle: kept.ReceiptHandle, VisibilityTimeout: 0 }]);
  });

  it('receives nothing when the invocation starts with less than the margin left', async () => {
    queueHolds(3, 0);
    expect(await drain(() => REPLAY_STOP_MARGIN_MS)).toEqual({ replayed: 0, records: 0, skipped: 0, left: [], released: 0, queue: { kind: 'counted', visible: 3, inFlight: 0 } });
    expect(sqs.commandCalls(ReceiveMessageCommand)).toHaveLength(0);
  });
});
