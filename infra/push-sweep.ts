import { Duration, Validations } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import { Construct } from 'constructs';
import { PUSH_SWEEP_INTERVAL_SECONDS } from '../shared/rules';
import type { TesseraFunction } from './function';

export interface PushSweepProps {
  /** The `push-sweep` handler, granted the challenge, log, usage and throttle tables (HANDLER_ACCESS). */
  readonly sweep: TesseraFunction;
}

/**
 * R7: the EventBridge rule that runs the push deadline sweep every minute, so a push nobody
 * answers or reads is denied as `timeout` and counted for fatigue within a minute of its deadline.
 * EventBridge does not retry a delivery: the next event, a minute later, sweeps the same deadlines
 * (settling is idempotent), so an old event would only arrive after it. Lambda's own retries of a
 * failed run are harmless for the same reason.
 */
export class PushSweep extends Construct {
  readonly schedule: events.Rule;

  constructor(scope: Construct, id: string, props: PushSweepProps) {
    super(scope, id);
    const maxEventAge = Duration.seconds(PUSH_SWEEP_INTERVAL_SECONDS);
    this.schedule = new events.Rule(this, 'Schedule', {
      description: 'Tessera: settle push prompts past their deadline (R7)',
      schedule: events.Schedule.rate(Duration.seconds(PUSH_SWEEP_INTERVAL_SECONDS)),
      targets: [new targets.LambdaFunction(props.sweep.function, { event: events.RuleTargetInput.fromObject({}), retryAttempts: 0, maxEventAge })],
    });
    Validations.of(this.schedule).acknowledge({
      id: 'Serverless-EventBusDLQ',
      reason:
        'The sweep event carries nothing: an event EventBridge cannot deliver is superseded by the next one a minute ' +
        'later, which sweeps the same deadlines (settling a timeout is idempotent), so a dead-letter queue would only hold stale events.',
    });
  }
}
