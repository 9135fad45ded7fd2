import { ChangeMessageVisibilityCommand, DeleteMessageCommand, ReceiveMessageCommand, type Message, type SQSClient } from '@aws-sdk/client-sqs';
import type { ReplayOutcome, StreamRange } from '../dynamo/projection-replay';

/** How long the replay may run (the function's timeout): it stops taking messages REPLAY_STOP_MARGIN_MS before. */
export const REPLAY_TIMEOUT_SECONDS = 300;
/**
 * Time left at which the replay takes no further message: far more than one replay needs (a range
 * is one batch of the event source, at most 100 records: a few reads and transactions).
 */
export const REPLAY_STOP_MARGIN_MS = 30_000;
/**
 * How long a received message stays hidden: as long as the whole run, so no other run takes a
 * message this one may still be replaying, and a message left on the queue is not received again
 * in the same run. Messages received but not replayed are made visible again at once.
 */
export const REPLAY_VISIBILITY_SECONDS = REPLAY_TIMEOUT_SECONDS;
/** Short polls in a row that find no message before the run ends (a short poll samples some of SQS's servers). */
export const REPLAY_EMPTY_POLLS = 3;

/** A message left on the failure queue, and why. */
export interface LeftMessage {
  readonly messageId: string;
  readonly shardId?: string;
  readonly start?: string;
  readonly end?: string;
  /** `trimmed`, `refused`, `incomplete` or `failed`, then the detail. */
  readonly reason: string;
}

/** What a run did: ranges replayed (their messages deleted), the records they held, the messages left on the queue. */
export interface ReplaySummary {
  readonly replayed: number;
  readonly records: number;
  readonly left: LeftMessage[];
  /** Messages received but not tried, for want of time: visible again for the next run. */
  readonly released: number;
}

export interface FailureQueueDrain {
  readonly sqs: SQSClient;
  readonly queueUrl: string;
  /** Replays the range a message names (its body, an on-failure record). */
  readonly replay: (body: string) => Promise<ReplayOutcome>;
  /** The invocation's time left (Lambda's `getRemainingTimeInMillis`). */
  readonly remainingMs: () => number;
}

function describe(error: unknown): string {
  const name = (error as { name?: string } | undefined)?.name ?? 'Error';
  const message = error instanceof Error ? error.message : String(error);
  return `${name}: ${message}`.slice(0, 300);
}

/**
 * Issue 18: drains the challenge projection's failure queue. Receives up to 10 messages at a time
 * (short polls), replays the range each names, and deletes a message only once its range is
 * replayed; a message whose range is trimmed, that is refused, or whose replay failed or stopped
 * short stays on the queue (visible again after REPLAY_VISIBILITY_SECONDS) and is reported. Stops
 * taking messages when the invocation has REPLAY_STOP_MARGIN_MS left, and hands back those it
 * received but did not try.
 */
export async function drainFailureQueue(drain: FailureQueueDrain): Promise<ReplaySummary> {
  const left: LeftMessage[] = [];
  let replayed = 0;
  let records = 0;
  let released = 0;
  let emptyPolls = 0;
  const timeLeft = () => drain.remainingMs() > REPLAY_STOP_MARGIN_MS;
  while (timeLeft() && emptyPolls < REPLAY_EMPTY_POLLS) {
    const out = await drain.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: drain.queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0, VisibilityTimeout: REPLAY_VISIBILITY_SECONDS }),
    );
    const messages = out.Messages ?? [];
    if (messages.length === 0) {
      emptyPolls++;
      continue;
    }
    emptyPolls = 0;
    for (const [i, message] of messages.entries()) {
      if (!timeLeft()) {
        released += await release(drain, messages.slice(i));
        return { replayed, records, left, released };
      }
      const outcome = await replayOne(drain, message);
      if (outcome.kind === 'replayed') {
        await drain.sqs.send(new DeleteMessageCommand({ QueueUrl: drain.queueUrl, ReceiptHandle: message.ReceiptHandle }));
        replayed++;
        records += outcome.records;
      } else {
        const range = 'range' in outcome && outcome.range ? { shardId: outcome.range.shardId, start: outcome.range.start, end: outcome.range.end } : {};
        left.push({ messageId: message.MessageId ?? '', ...range, reason: `${outcome.kind}: ${outcome.reason}` });
      }
    }
  }
  return { replayed, records, left, released };
}

async function replayOne(drain: FailureQueueDrain, message: Message): Promise<ReplayOutcome | { kind: 'failed'; reason: string; range?: StreamRange }> {
  try {
    return await drain.replay(message.Body ?? '');
  } catch (error) {
    const range = rangeOf(message.Body);
    return { kind: 'failed', reason: describe(error), ...(range ? { range } : {}) };
  }
}

/** The range a message names, as far as it can be read (for the report of a replay that failed). */
function rangeOf(body: string | undefined): StreamRange | undefined {
  try {
    const info = (JSON.parse(body ?? '') as { DDBStreamBatchInfo?: Record<string, unknown> }).DDBStreamBatchInfo;
    const { shardId, startSequenceNumber: start, endSequenceNumber: end } = info ?? {};
    return typeof shardId === 'string' && typeof start === 'string' && typeof end === 'string' ? { shardId, start, end } : undefined;
  } catch {
    return undefined;
  }
}

/** Makes messages received but not tried visible again at once. */
async function release(drain: FailureQueueDrain, messages: readonly Message[]): Promise<number> {
  for (const message of messages) {
    await drain.sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: drain.queueUrl, ReceiptHandle: message.ReceiptHandle, VisibilityTimeout: 0 }));
  }
  return messages.length;
}
