import { Duration, Validations } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { METRICS_NAMESPACE } from '../shared/adapters/metrics/emf-metrics';
import { PROJECTION_FAILED, PROJECTION_SKIPPED } from '../shared/adapters/dynamo/challenge-projection';
import { FACTORS, type DenialReason } from '../shared/domain/types';
import type { MetricName } from '../shared/ports';
import type { FunctionName } from '../shared/routes';
import { PROJECTION_BOUND_SECONDS } from '../shared/rules';
import type { TesseraFunction } from './function';

/** Names the SMS senders publish under (`SmsSender.name` of the AWS adapters). */
export const AWS_SMS_PROVIDERS = ['sns', 'end-user-messaging'] as const;

/** Alarm thresholds, in one place for the docs (docs/deploying.md) and the tests. */
export const ALARMS = {
  /** API Gateway 5xx answers in 5 minutes: a handler failed (the domain never answers 5xx on purpose but for 503s). */
  api5xx: { threshold: 5, periodMinutes: 5 },
  /** Lambda throttles across the handlers in 5 minutes: concurrency is exhausted. */
  lambdaThrottles: { threshold: 1, periodMinutes: 5 },
  /** Percent of texts no provider took, over 15 minutes, once at least 20 were tried (R16). */
  smsFailureRate: { thresholdPercent: 5, periodMinutes: 15, minimumAttempts: 20 },
  /** Voice rollovers that failed, timed out or were aborted (not denials: those end the machine normally). */
  stateMachineFailures: { threshold: 1, periodMinutes: 5 },
  /** Handler errors of the billing run (R26) or anything left in its dead-letter queue. */
  billingFailures: { threshold: 1, periodMinutes: 60 },
  /**
   * Age of the oldest Challenges stream record the projection has not written (R23/R24): the
   * bound on how late an auth-log line or usage count may appear (docs/architecture.md).
   */
  projectionIteratorAge: { thresholdSeconds: PROJECTION_BOUND_SECONDS, periodMinutes: 1 },
  /** The Challenges table written in two such periods running while the projection never ran. */
  projectionSilent: { periodMinutes: 15 },
} as const;

export interface MonitoringProps {
  readonly stage: string;
  readonly serviceName: string;
  readonly httpApi: apigw.HttpApi;
  readonly functions: ReadonlyMap<FunctionName, TesseraFunction>;
  readonly stateMachine: sfn.StateMachine;
  readonly billingDeadLetters: sqs.IQueue;
  /** The stream ranges the challenge projection gave up on (its event source's on-failure destination). */
  readonly projectionFailures?: sqs.IQueue;
  /** The Challenges table, whose writes the projection must keep up with. */
  readonly challengesTable?: dynamodb.ITable;
  /** Who hears of an alarm, besides the topic's other subscribers (context `alarmEmail`). */
  readonly alarmEmail?: string;
}

/**
 * Alarms on what would hurt users or the bill, all notifying one encrypted SNS topic, and one
 * dashboard: the API, the handlers, the business metrics the handlers publish (namespace
 * `Tessera`, dimension `service` = tessera-<stage>), SMS delivery and the voice rollover.
 */
export class Monitoring extends Construct {
  readonly topic: sns.Topic;
  readonly alarms: cloudwatch.Alarm[] = [];
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const key = new kms.Key(this, 'TopicKey', {
      description: `Tessera ${props.stage}: encryption of the alarm topic`,
      enableKeyRotation: true,
    });
    // CloudWatch publishes alarms to the encrypted topic with this key.
    key.grant(new iam.ServicePrincipal('cloudwatch.amazonaws.com'), 'kms:Decrypt', 'kms:GenerateDataKey*');
    this.topic = new sns.Topic(this, 'AlarmTopic', {
      displayName: `Tessera ${props.stage} alarms`,
      masterKey: key,
      enforceSSL: true,
    });
    if (props.alarmEmail) {
      const subscription = this.topic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));
      Validations.of(subscription).acknowledge({
        id: 'Serverless-SNSRedrivePolicy',
        reason:
          'An alarm e-mail that cannot be delivered loses nothing: the alarm keeps its state in CloudWatch and on the dashboard, ' +
          'and notifies again on its next change; a dead-letter queue of undelivered alarm e-mails would have no reader.',
      });
    }
    const notify = new actions.SnsAction(this.topic);

    const business = (name: MetricName, dimensions: Record<string, string> = {}, label?: string) =>
      new cloudwatch.Metric({
        namespace: METRICS_NAMESPACE,
        metricName: name,
        dimensionsMap: { service: props.serviceName, ...dimensions },
        statistic: cloudwatch.Stats.SUM,
        period: Duration.minutes(5),
        ...(label ? { label } : {}),
      });
    const fns = [...props.functions.entries()];
    const alarm = (id: string, metric: cloudwatch.IMetric, threshold: number, description: string) => {
      const created = new cloudwatch.Alarm(this, id, {
        alarmDescription: `Tessera ${props.stage}: ${description}`,
        metric,
        threshold,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      created.addAlarmAction(notify);
      created.addOkAction(notify);
      this.alarms.push(created);
      return created;
    };

    alarm(
      'Api5xx',
      props.httpApi.metricServerError({ period: Duration.minutes(ALARMS.api5xx.periodMinutes), statistic: cloudwatch.Stats.SUM }),
      ALARMS.api5xx.threshold,
      `${ALARMS.api5xx.threshold} or more 5xx answers from the API in ${ALARMS.api5xx.periodMinutes} minutes`,
    );

    // Metric math takes at most 10 metrics in an alarm: the handlers' throttles in groups of ten.
    const throttles = fns.map(([, fn]) => fn.function.metricThrottles({ period: Duration.minutes(ALARMS.lambdaThrottles.periodMinutes), statistic: cloudwatch.Stats.SUM }));
    for (let group = 0; group * 10 < throttles.length; group++) {
      const part = throttles.slice(group * 10, group * 10 + 10);
      const usingMetrics = Object.fromEntries(part.map((m, i) => [`t${i}`, m]));
      alarm(
        `LambdaThrottles${group + 1}`,
        new cloudwatch.MathExpression({ expression: Object.keys(usingMetrics).join(' + '), usingMetrics, label: 'Lambda throttles', period: Duration.minutes(ALARMS.lambdaThrottles.periodMinutes) }),
        ALARMS.lambdaThrottles.threshold,
        `handlers ${fns.slice(group * 10, group * 10 + 10).map(([n]) => n).join(', ')} were throttled (concurrency exhausted)`,
      );
    }

    const smsPeriod = Duration.minutes(ALARMS.smsFailureRate.periodMinutes);
    const sent = Object.fromEntries(AWS_SMS_PROVIDERS.map((p, i) => [`s${i}`, business('SmsSent', { provider: p }).with({ period: smsPeriod })]));
    const undelivered = business('SmsUndelivered').with({ period: smsPeriod });
    const attempts = `(${[...Object.keys(sent), 'u'].join(' + ')})`;
    alarm(
      'SmsFailureRate',
      new cloudwatch.MathExpression({
        expression: `IF(${attempts} >= ${ALARMS.smsFailureRate.minimumAttempts}, 100 * u / ${attempts}, 0)`,
        usingMetrics: { ...sent, u: undelivered },
        label: 'SMS no provider took (%)',
        period: smsPeriod,
      }),
      ALARMS.smsFailureRate.thresholdPercent,
      `${ALARMS.smsFailureRate.thresholdPercent}% or more of texts reached no provider in ${ALARMS.smsFailureRate.periodMinutes} minutes (R16: both SNS and End User Messaging refused)`,
    );

    const sfnPeriod = { period: Duration.minutes(ALARMS.stateMachineFailures.periodMinutes), statistic: cloudwatch.Stats.SUM };
    alarm(
      'VoiceRolloverFailures',
      new cloudwatch.MathExpression({
        expression: 'f + t + a',
        usingMetrics: {
          f: props.stateMachine.metricFailed(sfnPeriod),
          t: props.stateMachine.metricTimedOut(sfnPeriod),
          a: props.stateMachine.metricAborted(sfnPeriod),
        },
        label: 'Voice rollovers failed, timed out or aborted',
        period: sfnPeriod.period,
      }),
      ALARMS.stateMachineFailures.threshold,
      'a voice rollover execution failed, timed out or was aborted (R13): its challenge stays pending until it expires',
    );

    const billingRun = props.functions.get('billing-run');
    if (billingRun) {
      const period = Duration.minutes(ALARMS.billingFailures.periodMinutes);
      alarm(
        'BillingRunFailures',
        new cloudwatch.MathExpression({
          expression: 'e + d',
          usingMetrics: {
            e: billingRun.function.metricErrors({ period, statistic: cloudwatch.Stats.SUM }),
            d: props.billingDeadLetters.metricApproximateNumberOfMessagesVisible({ period, statistic: cloudwatch.Stats.MAXIMUM }),
          },
          label: 'Billing run errors and dead letters',
          period,
        }),
        ALARMS.billingFailures.threshold,
        'the monthly billing run (R26) failed or its event reached the dead-letter queue: finance gets no export until it is re-run',
      );
    }

    const projection = props.functions.get('challenge-projection');
    if (projection) {
      alarm(
        'ChallengeProjectionIteratorAge',
        projection.function.metric('IteratorAge', { period: Duration.minutes(ALARMS.projectionIteratorAge.periodMinutes), statistic: cloudwatch.Stats.MAXIMUM }),
        ALARMS.projectionIteratorAge.thresholdSeconds * 1000,
        `the challenge projection is ${ALARMS.projectionIteratorAge.thresholdSeconds} s or more behind the Challenges stream: auth-log lines, usage and the billing meter are late (R23, R24); records are retried for 6 hours, then their range goes to the projection's failure queue`,
      );
    }
    if (projection) {
      // Its error lines: a failed write (the batch retried) or a record it cannot read (skipped).
      const errorLines = new logs.MetricFilter(this, 'ChallengeProjectionErrorLines', {
        logGroup: projection.logGroup,
        metricNamespace: METRICS_NAMESPACE,
        metricName: 'ChallengeProjectionErrorLines',
        dimensions: { service: '$.service' },
        filterPattern: logs.FilterPattern.any(logs.FilterPattern.stringValue('$.message', '=', PROJECTION_FAILED), logs.FilterPattern.stringValue('$.message', '=', PROJECTION_SKIPPED)),
        metricValue: '1',
      });
      alarm(
        'ChallengeProjectionErrors',
        errorLines.metric({ dimensionsMap: { service: props.serviceName }, period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM }),
        1,
        'the challenge projection logged a failed write (its batch is retried) or skipped a stream record it cannot read (R23, R24): see its log group',
      );
    }
    if (projection && props.challengesTable) {
      // IteratorAge is published only when the projection runs: the Challenges table written for
      // two periods running while the projection never ran (no IteratorAge at all) is an outage
      // the age alarm cannot see (a mapping disabled or deleted).
      const period = Duration.minutes(ALARMS.projectionSilent.periodMinutes);
      const silent = new cloudwatch.Alarm(this, 'ChallengeProjectionSilent', {
        alarmDescription: `Tessera ${props.stage}: the Challenges table is written but the challenge projection has not run for ${ALARMS.projectionSilent.periodMinutes} minutes (no IteratorAge): auth-log lines, usage and the billing meter are not being written (R23, R24)`,
        metric: new cloudwatch.MathExpression({
          expression: 'IF(FILL(w, 0) > 0 AND FILL(n, 0) == 0, 1, 0)',
          usingMetrics: {
            w: props.challengesTable.metricConsumedWriteCapacityUnits({ period, statistic: cloudwatch.Stats.SUM }),
            n: projection.function.metric('IteratorAge', { period, statistic: cloudwatch.Stats.SAMPLE_COUNT }),
          },
          label: 'Challenges written, projection silent',
          period,
        }),
        threshold: 1,
        evaluationPeriods: 2,
        datapointsToAlarm: 2,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      silent.addAlarmAction(notify);
      silent.addOkAction(notify);
      this.alarms.push(silent);
    }
    if (props.projectionFailures) {
      // Visible and in flight: a message a replay run holds, or one a run cut short left hidden,
      // still names a range; counting visible ones alone would clear the alarm while it is hidden.
      const period = Duration.minutes(5);
      alarm(
        'ChallengeProjectionGaveUp',
        new cloudwatch.MathExpression({
          expression: 'FILL(v, 0) + FILL(n, 0)',
          usingMetrics: {
            v: props.projectionFailures.metricApproximateNumberOfMessagesVisible({ period, statistic: cloudwatch.Stats.MAXIMUM }),
            n: props.projectionFailures.metricApproximateNumberOfMessagesNotVisible({ period, statistic: cloudwatch.Stats.MAXIMUM }),
          },
          label: 'Ranges on the projection\'s failure queue (visible and in flight)',
          period,
        }),
        1,
        'the challenge projection gave up on a range of the Challenges stream after 6 hours of retries (R23, R24): auth-log lines, usage and billed units of that range are missing until an operator runs the projection-replay function (stack output ProjectionReplayFunctionName), while the stream still keeps it, for the rest of its 24 hours (docs/architecture.md)',
      );
    }

    const reasons: readonly DenialReason[] = ['denied', 'fraud_reported', 'timeout', 'delivery_failed', 'unreachable', 'wrong_number'];
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: `tessera-${props.stage}`,
      defaultInterval: Duration.hours(6),
      widgets: [
        [
          new cloudwatch.TextWidget({
            markdown: `# Tessera ${props.stage}\nAPI, handlers, sign-ins by factor, SMS delivery (R16) and voice rollovers (R13). Alarms notify the topic \`${this.topic.node.id}\`.`,
            width: 24,
            height: 2,
          }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'API requests and errors',
            left: [props.httpApi.metricCount({ statistic: cloudwatch.Stats.SUM }), props.httpApi.metricClientError({ statistic: cloudwatch.Stats.SUM }), props.httpApi.metricServerError({ statistic: cloudwatch.Stats.SUM })],
            width: 8,
          }),
          new cloudwatch.GraphWidget({
            title: 'API latency (ms)',
            left: [props.httpApi.metricLatency({ statistic: cloudwatch.Stats.p(50) }), props.httpApi.metricLatency({ statistic: cloudwatch.Stats.p(99) })],
            width: 8,
          }),
          new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 8 }),
        ],
        [
          new cloudwatch.GraphWidget({ title: 'Challenges by factor', left: FACTORS.map((m) => business('Challenges', { method: m }, m)), stacked: true, width: 8 }),
          new cloudwatch.GraphWidget({ title: 'Approvals by factor', left: FACTORS.map((m) => business('Approvals', { method: m }, m)), stacked: true, width: 8 }),
          new cloudwatch.GraphWidget({
            title: 'Denials by reason',
            left: [...reasons, 'wrong_code', 'replayed', 'locked', 'expired', 'already_used', 'already_denied'].map((r) => business('Denials', { reason: r }, r)),
            stacked: true,
            width: 8,
          }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'SMS (R16)',
            left: [...AWS_SMS_PROVIDERS.map((p) => business('SmsSent', { provider: p }, `sent via ${p}`)), business('SmsFailovers', {}, 'failovers'), business('SmsUndelivered', {}, 'undelivered')],
            width: 8,
          }),
          new cloudwatch.GraphWidget({
            title: 'Voice (R13)',
            left: [business('VoiceRollovers', {}, 'rollovers'), props.stateMachine.metricStarted({ statistic: cloudwatch.Stats.SUM }), props.stateMachine.metricFailed({ statistic: cloudwatch.Stats.SUM })],
            width: 8,
          }),
          new cloudwatch.GraphWidget({
            title: 'Throttled requests (R6, R8)',
            left: ['user_rate', 'number_rate', 'tenant_rate', 'fatigue_pause', 'wrong_code_cooldown'].map((r) => business('Throttled', { reason: r }, r)),
            stacked: true,
            width: 8,
          }),
        ],
        [
          new cloudwatch.GraphWidget({ title: 'Handler errors', left: fns.map(([n, fn]) => fn.function.metricErrors({ statistic: cloudwatch.Stats.SUM, label: n })), width: 8 }),
          new cloudwatch.GraphWidget({ title: 'Handler duration p99 (ms)', left: fns.map(([n, fn]) => fn.function.metricDuration({ statistic: cloudwatch.Stats.p(99), label: n })), width: 8 }),
          new cloudwatch.GraphWidget({ title: 'Handler throttles', left: throttles, width: 8 }),
        ],
      ],
    });
  }
}
