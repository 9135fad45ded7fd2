import { DescribeStreamCommand, GetRecordsCommand, GetShardIteratorCommand, type DynamoDBStreamsClient, type Shard } from '@aws-sdk/client-dynamodb-streams';
import type { ChallengeChange, ChallengeProjection } from '../../shared/adapters/dynamo/challenge-projection';
import { ServiceUnavailableError } from '../../shared/domain/errors';
import { LocalProjection } from '../../infra/local/projection';

/**
 * The local stand-in for Lambda's event source on the Challenges stream, over a scripted stream
 * (shards, records, and the errors the DynamoDB Streams API documents), so the cases DynamoDB
 * Local cannot be made to show on demand are seen: a child shard listed before its parent, a
 * position the stream has trimmed, a pass slower than the poll, a drain past its deadline.
 */
const STREAM = 'arn:aws:dynamodb:ddblocal:000000000000:table/Challenges/stream/2026-12-01T00:00:00.000';

interface ScriptedShard {
  readonly shard: Shard;
  /** Records in order; `closed` ends the shard after them. */
  readonly records: string[];
  readonly closed: boolean;
}

const named = (name: string, message = name) => Object.assign(new Error(message), { name });

/** A stream whose iterators are positions in each shard's record list. */
class ScriptedStream {
  readonly calls: string[] = [];
  /** While set, GetRecords waits for it before it answers. */
  hold?: Promise<void>;
  /** The next GetRecords on a cached iterator fails as expired (iterators last 15 minutes). */
  expireNext = false;
  /** Records before this index are trimmed: an iterator after one of them is refused. */
  trimmedBefore = 0;
  /** The next reads refused as trimmed, however the iterator was taken (as DynamoDB Local may). */
  readsTrimmed = 0;

  constructor(readonly shards: ScriptedShard[]) {}

  client(): DynamoDBStreamsClient {
    return { send: (command: unknown) => this.send(command), destroy: () => undefined } as unknown as DynamoDBStreamsClient;
  }

  private async send(command: unknown): Promise<unknown> {
    if (command instanceof DescribeStreamCommand) {
      this.calls.push('DescribeStream');
      return { StreamDescription: { Shards: this.shards.map((s) => s.shard) } };
    }
    if (command instanceof GetShardIteratorCommand) {
      const { ShardId, ShardIteratorType, SequenceNumber } = command.input;
      this.calls.push(`GetShardIterator ${ShardId} ${ShardIteratorType}${SequenceNumber ? ` ${SequenceNumber}` : ''}`);
      const shard = this.shard(ShardId as string);
      if (ShardIteratorType === 'TRIM_HORIZON') return { ShardIterator: `${ShardId}@${this.trimmedBefore}` };
      const at = shard.records.indexOf(SequenceNumber as string);
      if (at < this.trimmedBefore) throw named('TrimmedDataAccessException', 'The operation attempted to read past the oldest stream record in a shard.');
      return { ShardIterator: `${ShardId}@${at + 1}` };
    }
    if (command instanceof GetRecordsCommand) {
      const [shardId, position] = (command.input.ShardIterator as string).split('@') as [string, string];
      this.calls.push(`GetRecords ${shardId}@${position}`);
      if (this.readsTrimmed > 0) {
        this.readsTrimmed--;
        throw named('TrimmedDataAccessException', 'The operation attempted to read past the oldest stream record in a shard.');
      }
      if (this.expireNext) {
        this.expireNext = false;
        throw named('ExpiredIteratorException', 'Iterator expired');
      }
      const shard = this.shard(shardId);
      const from = Number(position);
      const records = shard.records.slice(from, from + 100).map((SequenceNumber) => ({ dynamodb: { SequenceNumber } }));
      const next = from + records.length;
      const ended = shard.closed && next >= shard.records.length;
      // Held after the read: what it returns is what the shard held when it was asked.
      await this.hold;
      return { Records: records, ...(ended ? {} : { NextShardIterator: `${shardId}@${next}` }) };
    }
    throw new Error(`unexpected command ${String(command)}`);
  }

  private shard(id: string): ScriptedShard {
    const found = this.shards.find((s) => s.shard.ShardId === id);
    if (!found) throw named('ResourceNotFoundException', `Shard ${id} not found`);
    return found;
  }
}

/** What the projection was handed, in order. */
function recordingProjection(): { projected: string[]; projection: ChallengeProjection } {
  const projected: string[] = [];
  const projection = {
    project: async (changes: readonly ChallengeChange[]) => {
      projected.push(...changes.map((c) => c.sequenceNumber));
      return {};
    },
  } as unknown as ChallengeProjection;
  return { projected, projection };
}

describe('LocalProjection (the local event source on the Challenges stream)', () => {
  let local: LocalProjection;
  afterEach(async () => {
    await local.stop();
    jest.restoreAllMocks();
  });

  it('a child shard listed before its parent is read in the same drain, once the parent is read to its end', async () => {
    const stream = new ScriptedStream([
      { shard: { ShardId: 'child', ParentShardId: 'parent' }, records: ['300'], closed: false },
      { shard: { ShardId: 'parent' }, records: ['100', '200'], closed: true },
    ]);
    const { projected, projection } = recordingProjection();
    local = new LocalProjection();
    local.attach({ streamArn: STREAM, streams: stream.client(), projection, pollEveryMs: 60_000 });
    await local.drain();
    expect(projected).toEqual(['100', '200', '300']);
    expect(stream.calls.indexOf('GetRecords parent@0')).toBeLessThan(stream.calls.indexOf('GetRecords child@0'));
  });

  it('a position the stream has trimmed (a machine asleep past 24 hours) is read again from the oldest record, and the loss is said', async () => {
    const stream = new ScriptedStream([{ shard: { ShardId: 'only' }, records: ['100', '200', '300', '400'], closed: false }]);
    const { projected, projection } = recordingProjection();
    local = new LocalProjection();
    local.attach({ streamArn: STREAM, streams: stream.client(), projection, pollEveryMs: 60_000 });
    stream.shards[0]!.records.splice(1);
    await local.drain();
    expect(projected).toEqual(['100']);
    // The stream moves on and drops what the poller has not read; its cached iterator expires.
    stream.shards[0]!.records.push('200', '300', '400');
    stream.trimmedBefore = 2;
    stream.expireNext = true;
    const said = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    await local.drain();
    expect(stream.calls).toContain('GetShardIterator only AFTER_SEQUENCE_NUMBER 100');
    expect(stream.calls).toContain('GetShardIterator only TRIM_HORIZON');
    expect(projected).toEqual(['100', '300', '400']);
    expect(said.mock.calls.map((c) => String(c[0]))).toEqual([expect.stringContaining('no longer holds the records after 100')]);
  });

  it('a read refused as trimmed again from the last record projected is read from the oldest record left, not failed for ever', async () => {
    const stream = new ScriptedStream([{ shard: { ShardId: 'only' }, records: ['100'], closed: false }]);
    const { projected, projection } = recordingProjection();
    local = new LocalProjection();
    local.attach({ streamArn: STREAM, streams: stream.client(), projection, pollEveryMs: 60_000 });
    await local.drain();
    stream.shards[0]!.records.push('200', '300');
    stream.readsTrimmed = 2;
    const said = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    await local.drain();
    expect(stream.calls.filter((c) => c.startsWith('GetShardIterator')).slice(-2)).toEqual(['GetShardIterator only AFTER_SEQUENCE_NUMBER 100', 'GetShardIterator only TRIM_HORIZON']);
    // From the oldest record the stream says it holds (here all of them: the first is projected again, which changes nothing).
    expect(projected).toEqual(['100', '100', '200', '300']);
    expect(said.mock.calls.map((c) => String(c[0]))).toEqual([expect.stringContaining('no longer holds the records after 100')]);
  });

  it('a drain that must finish, caught by stop(), fails rather than say a change it never projected is projected', async () => {
    const stream = new ScriptedStream([{ shard: { ShardId: 'only' }, records: ['100'], closed: false }]);
    const { projected, projection } = recordingProjection();
    let release!: () => void;
    stream.hold = new Promise((resolve) => (release = resolve));
    local = new LocalProjection();
    local.attach({ streamArn: STREAM, streams: stream.client(), projection, pollEveryMs: 60_000 });
    const first = local.drain();
    const stopped = local.stop();
    // Asked while the projection stops: its pass runs after stop() has let go of the stream.
    const second = local.drain({ always: true }).catch((error: unknown) => error);
    release();
    await Promise.all([first, stopped]);
    expect(projected).toEqual(['100']);
    expect(await second).toBeInstanceOf(ServiceUnavailableError);
    expect((await second) as Error).toHaveProperty('message', 'The local challenge projection stopped before it caught up');
  });

  it('a pass that failed part-way leaves no shard counted as read: the next drain reads them all', async () => {
    const stream = new ScriptedStream([
      { shard: { ShardId: 'first' }, records: ['100'], closed: false },
      { shard: { ShardId: 'second' }, records: ['200'], closed: false },
    ]);
    const { projected, projection } = recordingProjection();
    local = new LocalProjection();
    // The second shard's iterator is refused in the first two passes, then given.
    let failures = 2;
    const send = stream.client().send;
    const flaky = {
      send: (command: unknown) => {
        if (command instanceof GetShardIteratorCommand && command.input.ShardId === 'second' && failures-- > 0) return Promise.reject(named('InternalServerError'));
        return send(command as never);
      },
      destroy: () => undefined,
    } as unknown as DynamoDBStreamsClient;
    local.attach({ streamArn: STREAM, streams: flaky, projection, pollEveryMs: 60_000 });
    jest.spyOn(console, 'error').mockImplementation(() => undefined);
    await local.drain();
    expect(projected.sort()).toEqual(['100', '200']);
  });

  it('the poll adds no pass while one is running: a slow pass is not followed by a queue of them', async () => {
    const stream = new ScriptedStream([{ shard: { ShardId: 'only' }, records: ['100'], closed: false }]);
    const { projected, projection } = recordingProjection();
    let release!: () => void;
    stream.hold = new Promise((resolve) => (release = resolve));
    local = new LocalProjection();
    local.attach({ streamArn: STREAM, streams: stream.client(), projection, pollEveryMs: 5 });
    // Forty polls' worth of time while the first pass waits on GetRecords.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(stream.calls.filter((c) => c === 'DescribeStream')).toHaveLength(1);
    release();
    await local.drain();
    expect(projected).toEqual(['100']);
    // The pass that waited, the drain's own, and at most one poll between them.
    expect(stream.calls.filter((c) => c === 'DescribeStream').length).toBeLessThanOrEqual(3);
  });

  it('a drain past its deadline gives up with a 503 (service-unavailable, Retry-After) instead of hanging its request', async () => {
    const stream = new ScriptedStream([{ shard: { ShardId: 'only' }, records: ['100'], closed: false }]);
    const { projected, projection } = recordingProjection();
    let release!: () => void;
    stream.hold = new Promise((resolve) => (release = resolve));
    local = new LocalProjection();
    local.attach({ streamArn: STREAM, streams: stream.client(), projection, pollEveryMs: 60_000 });
    const late = await local.drain({ deadlineMs: 50 }).catch((error: unknown) => error);
    expect(late).toBeInstanceOf(ServiceUnavailableError);
    expect((late as ServiceUnavailableError).retryAfterSeconds).toBeGreaterThan(0);
    expect(projected).toEqual([]);
    release();
    await local.drain();
    expect(projected).toEqual(['100']);
  });

  it('turned off, a drain returns at once unless it must (the billing run); not running, a drain that must fails', async () => {
    const stream = new ScriptedStream([{ shard: { ShardId: 'only' }, records: ['100'], closed: false }]);
    const { projected, projection } = recordingProjection();
    local = new LocalProjection();
    await expect(local.drain({ always: true })).rejects.toBeInstanceOf(ServiceUnavailableError);
    await expect(local.drain()).resolves.toBeUndefined();
    local.attach({ streamArn: STREAM, streams: stream.client(), projection, pollEveryMs: 60_000 });
    local.setDrain(false);
    await local.drain();
    expect(projected).toEqual([]);
    await local.drain({ always: true });
    expect(projected).toEqual(['100']);
  });
});
