import { GetEventSourceMappingCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { Clock, ProjectionCatchUp, ProjectionProgress } from '../../ports';
import { BILLING_AFTER_MONTH_END_HOURS } from '../../rules';

/** The failure queue's messages, of every state: any of them names a range the projection skipped. */
const WAITING = ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'] as const;

/**
 * R24 on AWS: whether the challenge projection has written every change made before an instant.
 * The event source retries a record for at most PROJECTION_MAX_RECORD_AGE_HOURS, then sends its
 * range to the failure queue, and it reads each shard in order; so once that age (and an hour for
 * the event source to act) has passed since the instant, every earlier change is projected or
 * named in the failure queue, provided the event source was reading. Hence three checks: the
 * time, an enabled event source, and an empty failure queue (a range in it must be replayed, or
 * judged by an operator, before the month is billed).
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
    const ready = Date.parse(instant) + BILLING_AFTER_MONTH_END_HOURS * 3600_000;
    if (this.deps.clock.now() < ready) {
      return { caughtUp: false, reason: `changes made before ${instant} may still be retried until ${new Date(ready).toISOString()}` };
    }
    const mapping = await this.deps.lambda.send(new GetEventSourceMappingCommand({ UUID: this.deps.eventSourceId }));
    if (mapping.State !== 'Enabled') {
      return { caughtUp: false, reason: `the projection's event source is ${mapping.State ?? 'in an unknown state'}, not Enabled` };
    }
    const queue = await this.deps.sqs.send(new GetQueueAttributesCommand({ QueueUrl: this.deps.failureQueueUrl, AttributeNames: [...WAITING] }));
    const waiting = WAITING.reduce((sum, name) => sum + Number(queue.Attributes?.[name] ?? '0'), 0);
    if (!Number.isFinite(waiting) || waiting > 0) {
      return { caughtUp: false, reason: `the projection's failure queue holds ${waiting} stream range(s) it gave up on: replay them first (docs/architecture.md)` };
    }
    return { caughtUp: true };
  }
}
