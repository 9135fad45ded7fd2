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
import { localClient } from './dynamo';

/** How often the poller reads the stream when nobody waits for it (Lambda polls a shard about four times a second). */
const POLL_EVERY_MS = 250;
/** Records per GetRecords, as a Lambda event source's batch size. */
const BATCH_SIZE = 100;
/** Passes a drain makes before it gives up on a projection that keeps failing. */
const DRAIN_PASSES = 5;

interface ShardState {
  readonly shardId: string;
  readonly parent?: string;
  iterator?: string;
  /** The last sequence number projected. */
  last?: string;
  /** Closed and read to its end. */
  done: boolean;
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
  private timer?: NodeJS.Timeout;
  private drainOn = true;

  /** Starts polling the stream of `challengesTable`, writing to the logs and usage tables. */
  async start(options: { endpoint: string; challengesTable: string; logsTable: string; usageTable: string }): Promise<void> {
    await this.stop();
    const client = localClient(options.endpoint);
    try {
      const table = await client.send(new DescribeTableCommand({ TableName: options.challengesTable }));
      this.streamArn = table.Table?.LatestStreamArn;
    } finally {
      client.destroy();
    }
    if (!this.streamArn) throw new Error(`The table ${options.challengesTable} has no stream`);
    this.streams = new DynamoDBStreamsClient({ endpoint: options.endpoint, region: 'local', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    this.db = createDocumentClient({ endpoint: options.endpoint, counter: projectionRequests });
    this.projection = new ChallengeProjection(this.db, options);
    this.shards.clear();
    this.drainOn = true;
    this.timer = setInterval(() => void this.enqueue(), POLL_EVERY_MS);
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

  /** Whether `drain()` waits (on by default). */
  setDrain(on: boolean): void {
    this.drainOn = on;
  }

  /** Waits until every change made before the call is projected; nothing to wait for when not running or turned off. */
  async drain(): Promise<void> {
    if (!this.drainOn || !this.streams) return;
    for (let pass = 0; pass < DRAIN_PASSES; pass++) {
      if (await this.enqueue()) return;
    }
    throw new Error('The challenge projection keeps failing: auth logs and usage are behind');
  }

  /** One pass over every shard after the passes already asked for; true when every record read was projected. */
  private enqueue(): Promise<boolean> {
    this.chain = this.chain.then(
      () => this.pass(),
      () => this.pass(),
    );
    return this.chain;
  }

  private async pass(): Promise<boolean> {
    const streams = this.streams;
    if (!streams || !this.streamArn) return true;
    try {
      for (const shard of await this.describe(streams)) {
        if (!this.shards.has(shard.ShardId as string)) {
          this.shards.set(shard.ShardId as string, { shardId: shard.ShardId as string, ...(shard.ParentShardId ? { parent: shard.ParentShardId } : {}), done: false });
        }
      }
      let clean = true;
      // Parents before children: a child waits for a pass after its parent is read to its end.
      for (const state of this.shards.values()) {
        if (state.done) continue;
        const parent = state.parent ? this.shards.get(state.parent) : undefined;
        if (parent && !parent.done) continue;
        clean = (await this.readShard(streams, state)) && clean;
      }
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

  /** Reads a shard up to now; false when a batch could not be projected (read again from there next pass). */
  private async readShard(streams: DynamoDBStreamsClient, state: ShardState): Promise<boolean> {
    let renewed = false;
    for (;;) {
      let iterator = state.iterator;
      if (!iterator) {
        const out = await streams.send(
          new GetShardIteratorCommand({
            StreamArn: this.streamArn,
            ShardId: state.shardId,
            ...(state.last ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: state.last } : { ShardIteratorType: 'TRIM_HORIZON' }),
          }),
        );
        iterator = out.ShardIterator;
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
        // trimmed: take a new one from the last record projected (once a pass).
        const name = (error as { name?: string }).name;
        if (!renewed && (name === 'ExpiredIteratorException' || name === 'TrimmedDataAccessException')) {
          renewed = true;
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
