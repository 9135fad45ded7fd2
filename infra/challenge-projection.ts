import { Duration, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Construct } from 'constructs';
import type { TesseraFunction } from './function';

/** Records per batch: one transaction holds a batch's lines and counts up to DynamoDB's 100 items (more are split). */
export const PROJECTION_BATCH_SIZE = 100;

/**
 * How long the event source gathers a shard's records before it invokes the projection: the
 * counters' writes are shared by a batch, so batches of one (what a shard's ordinary rate gives
 * without a window) cost the most. Well inside PROJECTION_BOUND_SECONDS.
 */
export const PROJECTION_BATCHING_WINDOW_SECONDS = 10;

/**
 * Only records whose new image carries audits invoke the projection: a deletion (TTL) and an
 * item without `au` (an idempotency record) bring none. Lambda's Exists operator matches leaf
 * values only, so the pattern names a string leaf of every stored audit (`au` is a list of maps,
 * each with its line `l` and the line's `logId`); a list matches when any of its elements does.
 */
export const PROJECTION_FILTER = { dynamodb: { NewImage: { au: { L: { M: { l: { M: { logId: { S: lambda.FilterRule.exists() } } } } } } } } };

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
 * (bisect) and retried, either way until its records expire after the stream's 24 hours: never
 * discarded, since each record is an auth-log line and usage the tenant is owed. Writing a record
 * again changes nothing (see `ChallengeProjection`), so retries in any grouping are safe.
 */
export class ChallengeProjectionSource extends Construct {
  readonly source: DynamoEventSource;

  constructor(scope: Construct, id: string, props: ChallengeProjectionSourceProps) {
    super(scope, id);
    this.source = new DynamoEventSource(props.challenges, {
      startingPosition: lambda.StartingPosition.TRIM_HORIZON,
      batchSize: PROJECTION_BATCH_SIZE,
      maxBatchingWindow: Duration.seconds(PROJECTION_BATCHING_WINDOW_SECONDS),
      filters: [lambda.FilterCriteria.filter(PROJECTION_FILTER)],
      parallelizationFactor: 1,
      bisectBatchOnError: true,
      reportBatchItemFailures: true,
      // Infinite retries and no maximum record age (the default): a record leaves only by expiring.
      retryAttempts: -1,
    });
    props.projection.function.addEventSource(this.source);
    Validations.of(props.projection.function).acknowledge({
      id: 'Serverless-LambdaEventSourceMappingDestination',
      reason:
        'A failed batch is retried until its records expire (24 hours) and never discarded before; the IteratorAge alarm fires after a minute. ' +
        'An on-failure destination receives only the position of records the stream has already dropped, which cannot be read back from it.',
    });
  }
}
