import { ChangeMessageVisibilityCommand, DeleteMessageCommand, GetQueueAttributesCommand, ReceiveMessageCommand, type Message, type SQSClient } from '@aws-sdk/client-sqs';
import type { ReplayOutcome, StreamRange } from '../dynamo/projection-replay';

/** How long the replay may run (the function's timeout): it stops taking messages REPLAY_STOP_MARGIN_MS before. */
export const REPLAY_TIMEOUT_SECONDS = 300;
/**
 * Time left at which the replay takes no further message: far more than one replay needs (a range
 * is one batch of the event source, at most 100 records: a few reads and transactions), and
 * enough to make the messages it leaves visible again and count the queue.
 */
export const REPLAY_STOP_MARGIN_MS = 30_000;
/**
 * How long a received message stays hidden: as long as the whole run, so no other run takes a
 * message this one may still be replaying, and a message left on the queue is not received again
 * in the same run. At the end of the run every message received and not deleted is made visible
 * again at once; only a run that is cut short leaves them hidden this long.
 */
export const REPLAY_VISIBILITY_SECONDS = REPLAY_TIMEOUT_SECONDS;
/**
 * How long a receive waits for a message (long polling: SQS asks all its servers, where a short
 * poll samples some and may answer a small queue with nothing while messages wait). The loop
 * receives only with more than REPLAY_STOP_MARGIN_MS left, so the wait always fits the time left.
 */
export const REPLAY_POLL_WAIT_SECONDS = 1;
/** Long polls in a row that find no message before the run ends. */
export const REPLAY_EMPTY_POLLS = 2;

/** A message left on the failure queue, and why. */
export interface LeftMessage {
  readonly messageId: string;
  readonly shardId?: string;
  readonly start?: string;
  readonly end?: string;
  /**
   * `trimmed`, `refused`, `incomplete` or `failed`, then the detail (`failed: delete …` when its
   * range was replayed but the message could not be deleted, `failed: release …` when a message
   * not tried could not be made visible again); `; still hidden …` when it could not be made
   * visible again at the end of the run.
   */
  readonly reason: string;
}

/**
 * The failure queue at the end of a run, by SQS's approximate counts (GetQueueAttributes): the
 * messages visible, and those received by someone and not visible yet (in flight); or why it
 * could not be counted.
 */
export type QueueCount =
  | { readonly kind: 'counted'; readonly visible: number; readonly inFlight: number }
  | { readonly kind: 'unknown'; readonly reason: string };

/**
 * What a run did: ranges replayed (their messages deleted), the records they held and how many of
 * those the projection skipped (it cannot read them), the messages left on the queue, and what the
 * queue holds at the end.
 */
export interface ReplaySummary {
  readonly replayed: number;
  readonly records: number;
  readonly skipped: number;
  readonly left: LeftMessage[];
  /** Messages received but not tried, for want of time: visible again for the next run. */
  readonly released: number;
  readonly queue: QueueCount;
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

/** A message received and not deleted: hidden until the end of the run. */
interface Held {
  readonly message: Message;
  /** Why it stays on the queue; none for a message not tried, for want of time. */
  readonly left?: LeftMessage;
}

/**
 * Issue 18: drains the challenge projection's failure queue. Receives up to 10 messages at a time
 * (long polls of REPLAY_POLL_WAIT_SECONDS), replays the range each names, and deletes a message
 * only once its range is replayed; a message whose range is trimmed, that is refused, whose replay
 * failed or stopped short, or that could not be deleted stays on the queue and is reported. Stops
 * taking messages when the invocation has REPLAY_STOP_MARGIN_MS left. At the end, makes every
 * message it received and did not delete visible again (the loop is over, so none is received
 * twice in a run; a re-run sees them at once), then counts the queue. A failed SQS call on one
 * message is reported with it and ends nothing.
 */
export async function drainFailureQueue(drain: FailureQueueDrain): Promise<ReplaySummary> {
  const held: Held[] = [];
  const done = { replayed: 0, records: 0, skipped: 0 };
  let ended: { left: LeftMessage[]; released: number };
  try {
    await replayMessages(drain, held, done);
  } finally {
    // Also when a receive failed: what this run hid is not left hidden for REPLAY_VISIBILITY_SECONDS.
    ended = await makeVisible(drain, held);
  }
  return { ...done, ...ended, queue: await countQueue(drain) };
}

/** The loop: receives and replays while there is time and the queue answers; what stays on the queue goes to `held`. */
async function replayMessages(drain: FailureQueueDrain, held: Held[], done: { replayed: number; records: number; skipped: number }): Promise<void> {
  let emptyPolls = 0;
  const timeLeft = () => drain.remainingMs() > REPLAY_STOP_MARGIN_MS;
  while (timeLeft() && emptyPolls < REPLAY_EMPTY_POLLS) {
    const out = await drain.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: drain.queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: REPLAY_POLL_WAIT_SECONDS,
        VisibilityTimeout: REPLAY_VISIBILITY_SECONDS,
      }),
    );
    const messages = out.Messages ?? [];
    if (messages.length === 0) {
      emptyPolls++;
      continue;
    }
    emptyPolls = 0;
    for (const [i, message] of messages.entries()) {
      if (!timeLeft()) {
        held.push(...messages.slice(i).map((m) => ({ message: m })));
        return;
      }
      const outcome = await replayOne(drain, message);
      if (outcome.kind !== 'replayed') {
        held.push({ message, left: leftMessage(message, outcome.range, `${outcome.kind}: ${outcome.reason}`) });
        continue;
      }
      try {
        await drain.sqs.send(new DeleteMessageCommand({ QueueUrl: drain.queueUrl, ReceiptHandle: message.ReceiptHandle }));
        done.replayed++;
        done.records += outcome.records;
        done.skipped += outcome.skipped;
      } catch (error) {
        // Its range is replayed, but the message stays: a re-run replays it again (safe) and deletes it.
        held.push({ message, left: leftMessage(message, outcome.range, `failed: delete: ${describe(error)}`) });
      }
    }
  }
}

function leftMessage(message: Message, range: StreamRange | undefined, reason: string): LeftMessage {
  return { messageId: message.MessageId ?? '', ...(range ? { shardId: range.shardId, start: range.start, end: range.end } : {}), reason };
}

/** Makes the messages this run holds visible again, each on its own (one failing stops no other). */
async function makeVisible(drain: FailureQueueDrain, held: readonly Held[]): Promise<{ left: LeftMessage[]; released: number }> {
  const left: LeftMessage[] = [];
  let released = 0;
  for (const { message, left: entry } of held) {
    let failure: string | undefined;
    try {
      await drain.sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: drain.queueUrl, ReceiptHandle: message.ReceiptHandle, VisibilityTimeout: 0 }));
    } catch (error) {
      failure = describe(error);
    }
    if (entry) left.push(failure ? { ...entry, reason: `${entry.reason}; still hidden for up to ${REPLAY_VISIBILITY_SECONDS} s: ${failure}` } : entry);
    else if (failure) left.push(leftMessage(message, rangeOf(message.Body), `failed: release: ${failure}`));
    else released++;
  }
  return { left, released };
}

/** The queue's approximate counts; a failure to read them is reported, not thrown (the run's work is done). */
async function countQueue(drain: FailureQueueDrain): Promise<QueueCount> {
  try {
    const out = await drain.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: drain.queueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
    );
    const visible = Number(out.Attributes?.ApproximateNumberOfMessages);
    const inFlight = Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible);
    if (!Number.isInteger(visible) || !Number.isInteger(inFlight)) return { kind: 'unknown', reason: 'GetQueueAttributes returned no message counts' };
    return { kind: 'counted', visible, inFlight };
  } catch (error) {
    return { kind: 'unknown', reason: describe(error) };
  }
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
