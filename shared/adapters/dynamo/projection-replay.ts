import { GetRecordsCommand, GetShardIteratorCommand, type DynamoDBStreamsClient, type _Record } from '@aws-sdk/client-dynamodb-streams';
import * as z from '../../zod';
import { projectStreamBatch, type ChallengeProjection, type StreamRecord } from './challenge-projection';

/** Records per GetRecords, and so per batch handed to the projection (one transaction's worth, as the event source's batches). */
export const REPLAY_BATCH_SIZE = 100;
/**
 * Reads in a row that return no record on a shard still open before a replay stops short of the
 * range's end (DynamoDB Streams may answer an open shard's read with no records); what was read
 * is projected, and the range can be replayed again.
 */
export const REPLAY_MAX_EMPTY_READS = 10;
/**
 * Pauses between reads that returned no record, doubling from the first to the last: the live
 * event source reads the same shard, and DynamoDB Streams allows a shard only a few reads a
 * second. At most about 7.75 s over REPLAY_MAX_EMPTY_READS.
 */
export const REPLAY_EMPTY_READ_PAUSE_MS = { first: 250, last: 1000 } as const;

/** Waits `ms` milliseconds (replaced in unit tests). */
export type Sleep = (ms: number) => Promise<void>;
const sleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** DynamoDB Streams' sequence numbers: 21 to 40 digits (compared as numbers, never as text). */
const sequenceNumber = z.string().check(z.regex(/^\d{21,40}$/, 'must be a stream sequence number (21 to 40 digits)'));

/**
 * Lambda's on-failure invocation record for a DynamoDB stream event source, as the AWS Lambda
 * Developer Guide documents it ("Retaining discarded records for a DynamoDB event source"): the
 * request and response context, a version and timestamp, and `DDBStreamBatchInfo`, the shard and
 * the first and last sequence numbers of the batch the event source gave up on.
 */
export const failureRecordSchema = z.object({
  version: z.string().check(z.minLength(1)),
  timestamp: z.string().check(z.minLength(1)),
  requestContext: z.looseObject({
    requestId: z.optional(z.string()),
    functionArn: z.optional(z.string()),
    condition: z.string().check(z.minLength(1)),
    approximateInvokeCount: z.optional(z.number().check(z.int(), z.nonnegative())),
  }),
  // Describes the last invocation; optional, so that a range given up on without one is still replayed.
  responseContext: z.optional(
    z.looseObject({
      statusCode: z.optional(z.number().check(z.int())),
      executedVersion: z.optional(z.string()),
      functionError: z.optional(z.string()),
    }),
  ),
  DDBStreamBatchInfo: z.object({
    shardId: z.string().check(z.regex(/^[A-Za-z0-9_.-]{1,128}$/, 'must be a shard id')),
    startSequenceNumber: sequenceNumber,
    endSequenceNumber: sequenceNumber,
    approximateArrivalOfFirstRecord: z.string().check(z.minLength(1)),
    approximateArrivalOfLastRecord: z.string().check(z.minLength(1)),
    batchSize: z.number().check(z.int(), z.positive()),
    streamArn: z.string().check(z.startsWith('arn:')),
  }),
});

export type FailureRecord = z.infer<typeof failureRecordSchema>;

/** A shard and the first and last sequence numbers of a range of it (both included). */
export interface StreamRange {
  readonly shardId: string;
  readonly start: string;
  readonly end: string;
}

/**
 * What a replay did:
 * - `replayed`: every record of the range was read (`records` of them) and handed to the
 *   projection, which wrote all but the `skipped` ones it cannot read (each also reported to
 *   `onUnreadable`; reading them again cannot change them);
 * - `trimmed`: the stream no longer holds the range (older than its 24 hours, or a shard it does
 *   not have): nothing more of it can be written, and replaying it again cannot help; part of it
 *   may have been written already, by the event source or an earlier replay;
 * - `refused`: the message is not an on-failure record of this stream: nothing was read;
 * - `incomplete`: the shard is open and stopped returning records before the range's end; the
 *   records read were projected (but the `skipped` ones), and replaying the range again is safe.
 * A write that fails is thrown (the range is safe to replay again).
 */
export type ReplayOutcome =
  | { readonly kind: 'replayed'; readonly range: StreamRange; readonly records: number; readonly skipped: number }
  | { readonly kind: 'trimmed'; readonly range: StreamRange; readonly reason: string }
  | { readonly kind: 'refused'; readonly range?: StreamRange; readonly reason: string }
  | { readonly kind: 'incomplete'; readonly range: StreamRange; readonly records: number; readonly skipped: number; readonly reason: string };

/** Raised when the projection could not write a replayed batch (the range is safe to replay again). */
export class ReplayWriteError extends Error {
  override readonly name = 'ReplayWriteError';
}

/** A failure record read from its JSON (an SQS message body), or why it is refused. */
export function parseFailureRecord(body: string, streamArn: string): { record: FailureRecord; range: StreamRange } | { refused: string; range?: StreamRange } {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return { refused: 'not JSON' };
  }
  const parsed = failureRecordSchema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.slice(0, 6).map((issue) => `${issue.path.join('.') || 'record'}: ${issue.message}`);
    return { refused: `not a Lambda on-failure record of a DynamoDB stream (${issues.join('; ')})` };
  }
  const info = parsed.data.DDBStreamBatchInfo;
  const range = { shardId: info.shardId, start: info.startSequenceNumber, end: info.endSequenceNumber };
  if (info.streamArn !== streamArn) return { refused: 'its stream is not the Challenges table\'s stream', range };
  if (BigInt(range.start) > BigInt(range.end)) return { refused: 'its first sequence number is after its last', range };
  return { record: parsed.data, range };
}

/** The error names with which DynamoDB Streams says a shard or a position in it is gone. */
function isGone(error: unknown): string | undefined {
  const name = (error as { name?: string } | undefined)?.name;
  if (name === 'TrimmedDataAccessException') return 'the stream no longer holds the range (trimmed)';
  if (name === 'ResourceNotFoundException') return 'the stream has no such shard';
  return undefined;
}

const seqOf = (record: _Record) => BigInt(record.dynamodb?.SequenceNumber ?? '-1');

/**
 * Issue 18: projects again a range of the Challenges table's stream that the projection's event
 * source gave up on (its on-failure record, `DDBStreamBatchInfo`). Reads the shard from the first
 * sequence number (GetShardIterator AT_SEQUENCE_NUMBER) until a record past the last one or the
 * shard's end, and hands the records to the same `projectStreamBatch` the event source calls, in
 * batches of up to REPLAY_BATCH_SIZE. Writing a record again changes nothing, so a range replayed
 * twice, or one the event source partly wrote, ends with each line and count once.
 */
export class ProjectionReplay {
  constructor(
    private readonly streams: DynamoDBStreamsClient,
    private readonly streamArn: string,
    private readonly projection: ChallengeProjection,
    private readonly onUnreadable?: (sequenceNumber: string, error: unknown) => void,
    private readonly pause: Sleep = sleep,
  ) {}

  /** Replays the range an on-failure record (the JSON of a failure queue message) names. */
  async replayMessage(body: string): Promise<ReplayOutcome> {
    const parsed = parseFailureRecord(body, this.streamArn);
    if ('refused' in parsed) return { kind: 'refused', reason: parsed.refused, ...(parsed.range ? { range: parsed.range } : {}) };
    return this.replay(parsed.range);
  }

  /** Replays one range of one shard of the stream. */
  async replay(range: StreamRange): Promise<ReplayOutcome> {
    const start = BigInt(range.start);
    const end = BigInt(range.end);
    let iterator: string | undefined;
    try {
      const out = await this.streams.send(
        new GetShardIteratorCommand({ StreamArn: this.streamArn, ShardId: range.shardId, ShardIteratorType: 'AT_SEQUENCE_NUMBER', SequenceNumber: range.start }),
      );
      iterator = out.ShardIterator;
    } catch (error) {
      const gone = isGone(error);
      if (gone) return { kind: 'trimmed', range, reason: gone };
      throw error;
    }
    let records = 0;
    let skipped = 0;
    // The records of the range the projection could not read (and so skipped), counted here whatever it returns.
    const onUnreadable = (sequenceNumber: string, error: unknown) => {
      skipped++;
      this.onUnreadable?.(sequenceNumber, error);
    };
    let first = true;
    let empty = 0;
    while (iterator) {
      let out;
      try {
        out = await this.streams.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: REPLAY_BATCH_SIZE }));
      } catch (error) {
        const gone = isGone(error);
        // Trimmed before this run wrote anything: nothing more of the range can be written. Later, this run wrote part of it: retry it.
        if (gone && records === 0) return { kind: 'trimmed', range, reason: gone };
        throw error;
      }
      const read = out.Records ?? [];
      if (read.length > 0) {
        empty = 0;
        // The first record is the range's first one, unless the stream trimmed it (and everything up to what it now starts with).
        if (first && seqOf(read[0] as _Record) > start) return { kind: 'trimmed', range, reason: 'the stream no longer holds the range\'s first record (trimmed)' };
        first = false;
        const inRange = read.filter((r) => seqOf(r) >= start && seqOf(r) <= end);
        if (inRange.length > 0) {
          const result = await projectStreamBatch(this.projection, inRange as StreamRecord[], undefined, onUnreadable);
          if (result.batchItemFailures.length > 0) throw new ReplayWriteError(`the projection could not write the batch from sequence number ${result.batchItemFailures[0]?.itemIdentifier}`);
          records += inRange.length;
        }
        if (seqOf(read.at(-1) as _Record) >= end) return { kind: 'replayed', range, records, skipped };
      } else if (out.NextShardIterator) {
        if (++empty >= REPLAY_MAX_EMPTY_READS) {
          return { kind: 'incomplete', range, records, skipped, reason: `the shard returned no record for ${REPLAY_MAX_EMPTY_READS} reads before the range's last sequence number` };
        }
        // Not back to back on a shard the event source reads too.
        await this.pause(Math.min(REPLAY_EMPTY_READ_PAUSE_MS.first * 2 ** (empty - 1), REPLAY_EMPTY_READ_PAUSE_MS.last));
      }
      iterator = out.NextShardIterator;
    }
    // The shard is closed and read to its end.
    if (first) return { kind: 'trimmed', range, reason: 'the shard holds no record from the range\'s first sequence number on' };
    return { kind: 'replayed', range, records, skipped };
  }
}
