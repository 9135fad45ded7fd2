import { GetEventSourceMappingCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { Clock, ProjectionCatchUp, ProjectionProgress } from '../../ports';
import { BILLING_AFTER_MONTH_END_HOURS } from '../../rules';

/** The failure queue's messages, of every state: any of them names a range the projection skipped. */
const WAITING = ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'] as const;

const HOUR_MS = 3600_000;
/** How soon to look again when the event source is not reading or its last batch failed (Lambda retries an asynchronous run after about 1 and 3 minutes). */
const LOOK_AGAIN_SECONDS = 15 * 60;

/**
 * R24 on AWS: whether the challenge projection has written every change made before an instant.
 * The event source reads each shard in order and retries a record for at most
 * PROJECTION_MAX_RECORD_AGE_HOURS, then sends its range to the failure queue. So every change made
 * before the instant is projected or named in that queue once, for BILLING_AFTER_MONTH_END_HOURS
 * (that age and an hour for the event source to act), the event source has been reading. The
 * checks: that long has passed since the instant; the event source is `Enabled` and has not been
 * changed (disabled, re-enabled, re-configured) for that long either, since a mapping enabled
 * again resumes from where it stopped and may not yet have reached the records it will give up on;
 * its last invocation did not fail (`LastProcessingResult`); and the failure queue is empty (a
 * range in it must be replayed, or judged by an operator, first). What no check can see: an event
 * source stopped for longer than the stream's 24 hours lost those changes silently; the alarm on
 * challenges written while the projection is silent reports that (docs/billing.md).
 */
export class AwsProjectionProgress implements ProjectionProgress {
  constructor(
    private readonly deps: {
      lambda: Pick<LambdaClient, 'send'>;
      sqs: Pick<SQSClient, 'send'>;
      clock: Clock;
      eventSourceId: string;
      failureQueueUrl: string;
    },
  ) {}

  async caughtUpTo(instant: string): Promise<ProjectionCatchUp> {
    const now = this.deps.clock.now();
    const settle = BILLING_AFTER_MONTH_END_HOURS * HOUR_MS;
    const ready = Date.parse(instant) + settle;
    if (now < ready) {
      return { caughtUp: false, reason: `changes made before ${instant} may still be retried until ${new Date(ready).toISOString()}`, retryAfterSeconds: Math.ceil((ready - now) / 1000) };
    }
    const mapping = await this.deps.lambda.send(new GetEventSourceMappingCommand({ UUID: this.deps.eventSourceId }));
    if (mapping.State !== 'Enabled') {
      return { caughtUp: false, reason: `the projection's event source is ${mapping.State ?? 'in an unknown state'}, not Enabled`, retryAfterSeconds: LOOK_AGAIN_SECONDS };
    }
    const changed = mapping.LastModified?.getTime();
    if (changed === undefined || !Number.isFinite(changed) || now < changed + settle) {
      const steady = changed === undefined || !Number.isFinite(changed) ? undefined : changed + settle;
      return {
        caughtUp: false,
        reason: `the projection's event source was changed ${steady === undefined ? 'at an unknown time' : `at ${new Date(changed as number).toISOString()}`}: it may not yet have reached every change it will project or give up on`,
        retryAfterSeconds: steady === undefined ? LOOK_AGAIN_SECONDS : Math.ceil((steady - now) / 1000),
      };
    }
    if (mapping.LastProcessingResult?.startsWith('PROBLEM')) {
      return { caughtUp: false, reason: `the projection's last invocation failed (${mapping.LastProcessingResult})`, retryAfterSeconds: LOOK_AGAIN_SECONDS };
    }
    const queue = await this.deps.sqs.send(new GetQueueAttributesCommand({ QueueUrl: this.deps.failureQueueUrl, AttributeNames: [...WAITING] }));
    const waiting = WAITING.reduce((sum, name) => sum + Number(queue.Attributes?.[name] ?? '0'), 0);
    if (!Number.isFinite(waiting) || waiting > 0) {
      return {
        caughtUp: false,
        reason: `the projection's failure queue holds ${waiting} stream range(s) it gave up on: replay them first (docs/architecture.md)`,
        retryAfterSeconds: LOOK_AGAIN_SECONDS,
      };
    }
    return { caughtUp: true };
  }
}
