import { Duration, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ENV } from '../shared/config';
import { PROJECTION_MAX_RECORD_AGE_HOURS } from '../shared/rules';
import type { TesseraFunction } from './function';

/** Records per batch: one transaction holds a batch's lines and counts up to DynamoDB's 100 items (more are split). */
export const PROJECTION_BATCH_SIZE = 100;

/**
 * How long the event source gathers a shard's records before it invokes the projection: the
 * counters' writes are shared by a batch, so batches of one (what a shard's ordinary rate gives
 * without a window) cost the most. Well inside PROJECTION_BOUND_SECONDS.
 */
export const PROJECTION_BATCHING_WINDOW_SECONDS = 10;

export { PROJECTION_MAX_RECORD_AGE_HOURS };

export interface ChallengeProjectionSourceProps {
  /** The `challenge-projection` handler, granted the logs and usage tables (HANDLER_ACCESS). */
  readonly projection: TesseraFunction;
  /** The Challenges table; its stream (NEW_AND_OLD_IMAGES) is granted to the handler here. */
  readonly challenges: dynamodb.ITable;
}

/**
 * R23/R24: the Challenges table's stream as the projection's event source. Records of one item
 * stay in order (one batch per shard at a time). A batch that fails is reported from its first
 * record not written (ReportBatchItemFailures) or, when the handler itself fails, cut in two
 * (bisect) and retried for up to PROJECTION_MAX_RECORD_AGE_HOURS; then the event source sends the
 * shard and sequence range it skips to the failure queue (an alarm fires on its first message),
 * while the stream still holds those records for the rest of its 24 hours to be projected again.
 * Writing a record again changes nothing (see `ChallengeProjection`), so retries in any grouping
 * and a replay are safe.
 */
export class ChallengeProjectionSource extends Construct {
  readonly source: DynamoEventSource;
  /** Where the event source records the stream ranges it gave up on (shard id, first and last sequence number). */
  readonly failures: sqs.Queue;
  private readonly challenges: dynamodb.ITable;

  constructor(scope: Construct, id: string, props: ChallengeProjectionSourceProps) {
    super(scope, id);
    this.challenges = props.challenges;
    this.failures = new sqs.Queue(this, 'Failures', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    const why =
      'This queue is itself the on-failure destination of the challenge projection: an alarm fires on its first message, and an operator runs the ' +
      'projection-replay function by hand, which replays each range from the stream and deletes only the messages it replayed; a message it cannot ' +
      'replay (a range the stream no longer holds, a malformed record) stays here for the operator to read and delete (docs/architecture.md), so a ' +
      'dead-letter queue of its own would only hold what this queue already keeps for 14 days.';
    Validations.of(this.failures).acknowledge({ id: 'AwsSolutions-SQS3', reason: why }, { id: 'Serverless-SQSRedrivePolicy', reason: why });
    this.source = new DynamoEventSource(props.challenges, {
      startingPosition: lambda.StartingPosition.TRIM_HORIZON,
      batchSize: PROJECTION_BATCH_SIZE,
      maxBatchingWindow: Duration.seconds(PROJECTION_BATCHING_WINDOW_SECONDS),
      parallelizationFactor: 1,
      bisectBatchOnError: true,
      reportBatchItemFailures: true,
      // Retried without a count limit, for at most the maximum record age; then its range goes to the failure queue.
      retryAttempts: -1,
      maxRecordAge: Duration.hours(PROJECTION_MAX_RECORD_AGE_HOURS),
      onFailure: new SqsDlq(this.failures),
    });
    props.projection.function.addEventSource(this.source);
  }

  /**
   * R24: lets the billing run ask whether the projection has caught up with a month's end
   * (`AwsProjectionProgress`): the event source's state and the failure queue's message counts,
   * read-only, on these two resources alone.
   */
  grantProgress(reader: TesseraFunction): void {
    reader.function.addEnvironment(ENV.projectionEventSourceId, this.source.eventSourceMappingId);
    reader.function.addEnvironment(ENV.projectionFailureQueueUrl, this.failures.queueUrl);
    reader.function.addToRolePolicy(new iam.PolicyStatement({ actions: ['lambda:GetEventSourceMapping'], resources: [this.source.eventSourceMappingArn] }));
    this.failures.grant(reader.function, 'sqs:GetQueueAttributes');
  }

  /**
   * Issue 18: what the `projection-replay` handler needs beyond the projection's table grants
   * (HANDLER_ACCESS): to read the Challenges table's stream (GetShardIterator and GetRecords only:
   * the stream is named by its ARN and the shard by the failure record) and to receive, hide,
   * delete and count (GetQueueAttributes, at the end of a run) the messages of this failure queue,
   * and nothing else. Its environment names both.
   */
  grantReplay(replay: TesseraFunction): { streamArn: string; queueUrl: string } {
    const streamArn = this.challenges.tableStreamArn;
    if (!streamArn) throw new Error('The Challenges table has no stream');
    replay.role.addToPrincipalPolicy(
      // Named by the failure record's shard id: no DescribeStream (or ListStreams) is ever called.
      new iam.PolicyStatement({ actions: ['dynamodb:GetShardIterator', 'dynamodb:GetRecords'], resources: [streamArn] }),
    );
    // The stream's records are encrypted with the table's key.
    this.challenges.encryptionKey?.grantDecrypt(replay.role);
    replay.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility', 'sqs:GetQueueAttributes'],
        resources: [this.failures.queueArn],
      }),
    );
    return { streamArn, queueUrl: this.failures.queueUrl };
  }
}
