import type { DynamoDBStreamEvent } from 'aws-lambda';
import { challengeProjection, log } from '../shared/composition';
import { PROJECTION_FAILED, PROJECTION_SKIPPED, projectStreamBatch, type StreamBatchResult } from '../shared/adapters/dynamo/challenge-projection';
import { lambdaHandler } from '../shared/observability';

const projection = challengeProjection();
const logger = log();

/**
 * R23/R24: the Challenges table's stream (NEW_AND_OLD_IMAGES) to auth-log lines, usage counts and
 * the billing meter. A batch that fails part-way is reported from its first record not written
 * (ReportBatchItemFailures) and delivered again; writing a record twice changes nothing.
 */
export const handler = lambdaHandler(
  (event: DynamoDBStreamEvent): Promise<StreamBatchResult> =>
    projectStreamBatch(
      projection,
      event.Records,
      (error) => logger.error(PROJECTION_FAILED, { error: error instanceof Error ? error.name : 'unknown' }),
      (sequenceNumber, error) => logger.error(PROJECTION_SKIPPED, { sequenceNumber, error: error instanceof Error ? error.name : 'unknown' }),
    ),
);
