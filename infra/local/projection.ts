import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type Shard,
  type _Record,
} from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient, RequestCounter } from '../../shared/adapters/dynamo/client';
import { ChallengeProjection, projectStreamBatch, type StreamRecord } from '../../shared/adapters/dynamo/challenge-projection';
import { ServiceUnavailableError } from '../../shared/domain/errors';
import { localClient } from './dynamo';

/** How often the poller reads the stream when nobody waits for it (Lambda polls a shard about four times a second). */
const POLL_EVERY_MS = 250;
/** Records per GetRecords, as a Lambda event source's batch size. */
const BATCH_SIZE = 100;
/** Passes a drain makes before it gives up on a projection that keeps failing. */
const DRAIN_PASSES = 5;
/** How long a drain waits at most: a request behind it is answered 503 rather than left hanging. */
const DRAIN_DEADLINE_MS = 20_000;

interface ShardState {
  readonly shardId: string;
  readonly parent?: string;
  iterator?: string;
  /** The last sequence number projected. */
  last?: string;
  /** Closed and read to its end. */
  done: boolean;
  /** Read in the current pass. */
  read?: boolean;
}

/** DynamoDB requests of the projection, apart from the handlers' (the benchmark counts those per authentication). */
export const projectionRequests = new RequestCounter();

/**
 * The local stand-in for the Lambda event source on the Challenges table's stream (R23, R24): a
 * poller over DynamoDB Local's stream (DescribeStream, GetShardIterator, GetRecords) that hands each
 * batch to the same projection the deployed function runs (`projectStreamBatch`). A child shard is
 * read only once its parent is read to its end, as Lambda does. Records that fail are read again
 * from the first one not projected.
 *
 * `drain()` waits until every change made before the call is projected: the local runtime drains
 * before the routes and the billing run that read what the projection writes (auth logs, usage,
 * billing), so the local service reads its own writes; on AWS those appear within the bound that
 * docs/architecture.md states. `setDrain(false)` turns that off, to see the bound itself.
 */
export class LocalProjection {
  private streams?: DynamoDBStreamsClient;
  private projection?: ChallengeProjection;
  private db?: DynamoDBDocumentClient;
  private streamArn?: string;
  private readonly shards = new Map<string, ShardState>();
  private chain: Promise<boolean> = Promise.resolve(true);
  /** Passes asked for and not yet finished (the timer adds none while one is waiting). */
  private queued = 0;
  private timer?: NodeJS.Timeout;
  private drainOn = true;
  private drainDeadlineMs = DRAIN_DEADLINE_MS;

  /** Starts polling the stream of `challengesTable`, writing to the logs and usage tables. */
  async start(options: { endpoint: string; challengesTable: string; logsTable: string; usageTable: string }): Promise<void> {
    await this.stop();
    const client = localClient(options.endpoint);
    let streamArn: string | undefined;
    try {
      const table = await client.send(new DescribeTableCommand({ TableName: options.challengesTable }));
      streamArn = table.Table?.LatestStreamArn;
    } finally {
      client.destroy();
    }
    if (!streamArn) throw new Error(`The table ${options.challengesTable} has no stream`);
    const db = createDocumentClient({ endpoint: options.endpoint, counter: projectionRequests });
    this.attach({
      streamArn,
      streams: new DynamoDBStreamsClient({ endpoint: options.endpoint, region: 'local', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }),
      db,
      projection: new ChallengeProjection(db, options),
    });
  }

  /** Polls `streamArn` through these clients (`start` builds them; a unit test passes its own). */
  attach(parts: { streamArn: string; streams: DynamoDBStreamsClient; projection: ChallengeProjection; db?: DynamoDBDocumentClient; pollEveryMs?: number }): void {
    clearInterval(this.timer);
    this.streamArn = parts.streamArn;
    this.streams = parts.streams;
    this.db = parts.db;
    this.projection = parts.projection;
    this.shards.clear();
    this.drainOn = true;
    this.drainDeadlineMs = DRAIN_DEADLINE_MS;
    this.timer = setInterval(() => {
      // A slow pass is not queued behind by the timer: the next tick looks again.
      if (this.queued === 0) void this.enqueue();
    }, parts.pollEveryMs ?? POLL_EVERY_MS);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.chain;
    this.streams?.destroy();
    this.streams = undefined;
    this.db?.destroy();
    this.db = undefined;
    this.projection = undefined;
  }

  /** Whether `drain()` waits (on by default), and how long at most (DRAIN_DEADLINE_MS by default). */
  setDrain(on: boolean, deadlineMs = DRAIN_DEADLINE_MS): void {
    this.drainOn = on;
    this.drainDeadlineMs = deadlineMs;
  }

  /**
   * Waits until every change made before the call is projected; nothing to wait for when turned
   * off (`setDrain(false)`) unless `always`. Gives up with `ServiceUnavailableError` (a 503 with
   * Retry-After) when the projection keeps failing or takes longer than DRAIN_DEADLINE_MS.
   */
  async drain(options: { always?: boolean; deadlineMs?: number } = {}): Promise<void> {
    if (!this.streams) {
      if (options.always) throw new ServiceUnavailableError('The local challenge projection is not running', 1);
      return;
    }
    if (!this.drainOn && !options.always) return;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), options.deadlineMs ?? this.drainDeadlineMs);
    });
    try {
      for (let pass = 0; pass < DRAIN_PASSES; pass++) {
        const outcome = await Promise.race([this.enqueue(), deadline]);
        if (outcome === 'late') throw new ServiceUnavailableError('The challenge projection is behind: auth logs, usage and billing are not up to date yet', 5);
        if (outcome) return;
        if (!this.streams) throw new ServiceUnavailableError('The local challenge projection stopped before it caught up', 1);
      }
    } finally {
      clearTimeout(timer);
    }
    throw new ServiceUnavailableError('The challenge projection keeps failing: auth logs, usage and billing are behind', 5);
  }

  /** One pass over every shard after the passes already asked for; true when every record read was projected. */
  private enqueue(): Promise<boolean> {
    this.queued++;
    const run = () => this.pass().finally(() => this.queued--);
    this.chain = this.chain.then(run, run);
    return this.chain;
  }

  private async pass(): Promise<boolean> {
    const streams = this.streams;
    // Stopped (perhaps while a drain waited): nothing was projected.
    if (!streams || !this.streamArn) return false;
    try {
      for (const shard of await this.describe(streams)) {
        if (!this.shards.has(shard.ShardId as string)) {
          this.shards.set(shard.ShardId as string, { shardId: shard.ShardId as string, ...(shard.ParentShardId ? { parent: shard.ParentShardId } : {}), done: false });
        }
      }
      let clean = true;
      // Each pass reads every shard afresh (a pass that failed part-way left some marked read).
      for (const state of this.shards.values()) state.read = false;
      // Parents before children, as Lambda reads them: a child is read once its parent is read
      // to its end, in the same pass when the parent ends in it.
      for (let progressed = true; progressed; ) {
        progressed = false;
        for (const state of this.shards.values()) {
          if (state.done || (state.parent && this.shards.get(state.parent)?.done === false)) continue;
          if (state.read) continue;
          state.read = true;
          clean = (await this.readShard(streams, state)) && clean;
          if (state.done) progressed = true;
        }
      }
      // A child whose parent is not read to its end yet has records this pass did not project.
      for (const state of this.shards.values()) if (!state.done && !state.read) clean = false;
      return clean;
    } catch (error) {
      if (this.streams) console.error('local challenge projection failed', error);
      return false;
    }
  }

  private async describe(streams: DynamoDBStreamsClient): Promise<Shard[]> {
    const shards: Shard[] = [];
    let start: string | undefined;
    do {
      const out = await streams.send(new DescribeStreamCommand({ StreamArn: this.streamArn, ...(start ? { ExclusiveStartShardId: start } : {}) }));
      shards.push(...(out.StreamDescription?.Shards ?? []));
      start = out.StreamDescription?.LastEvaluatedShardId;
    } while (start);
    return shards;
  }

  /**
   * Where to read a shard from: after its last record projected, or from its oldest record. A
   * position the stream no longer holds (the machine slept past the stream's 24 hours) is read
   * from the oldest record still there, and the loss is said: those changes' lines and counts are
   * gone, as they would be on AWS. A shard the stream no longer has is done.
   */
  private async iteratorOf(streams: DynamoDBStreamsClient, state: ShardState): Promise<string | undefined> {
    const from = (position: { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER'; SequenceNumber: string } | { ShardIteratorType: 'TRIM_HORIZON' }) =>
      streams.send(new GetShardIteratorCommand({ StreamArn: this.streamArn, ShardId: state.shardId, ...position }));
    try {
      return (await from(state.last ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: state.last } : { ShardIteratorType: 'TRIM_HORIZON' })).ShardIterator;
    } catch (error) {
      const name = (error as { name?: string }).name;
      if (name === 'ResourceNotFoundException') return undefined;
      if (name !== 'TrimmedDataAccessException' || !state.last) throw error;
      this.sayLost(state);
      return (await from({ ShardIteratorType: 'TRIM_HORIZON' })).ShardIterator;
    }
  }

  /** The shard's position is gone from the stream: read it from its oldest record, and say what is lost. */
  private sayLost(state: ShardState): void {
    console.error(`local challenge projection: shard ${state.shardId} no longer holds the records after ${state.last}; reading from its oldest record (the changes in between have no log lines or counts)`);
    state.last = undefined;
  }

  /** Reads a shard up to now; false when a batch could not be projected (read again from there next pass). */
  private async readShard(streams: DynamoDBStreamsClient, state: ShardState): Promise<boolean> {
    let renewed = false;
    for (;;) {
      let iterator = state.iterator;
      if (!iterator) {
        iterator = await this.iteratorOf(streams, state);
        if (!iterator) {
          state.done = true;
          return true;
        }
      }
      let out;
      try {
        out = await streams.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: BATCH_SIZE }));
      } catch (error) {
        // An iterator lasts 15 minutes, and DynamoDB Local may refuse a shard's first read as
        // trimmed: take a new one from the last record projected (once a pass). Trimmed again from
        // there: that position is gone, read from the oldest record left (and say so).
        const name = (error as { name?: string }).name;
        if (!renewed && (name === 'ExpiredIteratorException' || name === 'TrimmedDataAccessException')) {
          renewed = true;
          state.iterator = undefined;
          continue;
        }
        if (name === 'TrimmedDataAccessException' && state.last) {
          this.sayLost(state);
          state.iterator = undefined;
          continue;
        }
        throw error;
      }
      const records = out.Records ?? [];
      if (records.length > 0) {
        const result = await projectStreamBatch(
          this.projection as ChallengeProjection,
          records as StreamRecord[],
          (error) => console.error('local challenge projection failed; reading the batch again', error),
          (sequenceNumber, error) => console.error(`local challenge projection skipped record ${sequenceNumber} it cannot read`, error),
        );
        const failed = result.batchItemFailures[0]?.itemIdentifier;
        if (failed !== undefined) {
          const at = records.findIndex((r: _Record) => r.dynamodb?.SequenceNumber === failed);
          const before = at > 0 ? records[at - 1]?.dynamodb?.SequenceNumber : undefined;
          if (before) state.last = before;
          state.iterator = undefined;
          return false;
        }
        state.last = records.at(-1)?.dynamodb?.SequenceNumber ?? state.last;
      }
      state.iterator = out.NextShardIterator;
      if (!out.NextShardIterator) {
        state.done = true;
        return true;
      }
      if (records.length === 0) return true;
    }
  }
}

/** The local runtime's one projection (one runtime per process, as its handlers). */
export const localProjection = new LocalProjection();
