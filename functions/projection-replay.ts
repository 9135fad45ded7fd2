import type { Context } from 'aws-lambda';
import { log, projectionReplay } from '../shared/composition';
import { drainFailureQueue, type ReplaySummary } from '../shared/adapters/sqs/projection-failures';
import { lambdaHandler } from '../shared/observability';

const { replay, sqs, queueUrl } = projectionReplay();
const logger = log();

/**
 * Issue 18: run by an operator by hand (`aws lambda invoke` with `{}`) after the
 * ChallengeProjectionGaveUp alarm. Drains the projection's failure queue: replays from the
 * Challenges stream each range the event source gave up on (R23/R24: its auth-log lines, usage
 * and billing meter, each once), deletes the messages replayed, leaves and reports the others
 * (a range the stream no longer holds, a message that is not an on-failure record of this stream,
 * a replay that failed), visible again at once. Stops with time to spare, and counts the queue.
 */
export const handler = lambdaHandler(async (_event: unknown, context: Context): Promise<ReplaySummary> => {
  const summary = await drainFailureQueue({
    sqs,
    queueUrl,
    replay: (body) => replay.replayMessage(body),
    remainingMs: () => context.getRemainingTimeInMillis(),
  });
  // Left ranges, records the projection could not read, or a queue not counted: an operator looks.
  if (summary.left.length > 0 || summary.skipped > 0 || summary.queue.kind === 'unknown') logger.warn('projection replay left ranges on the failure queue or skipped records', { ...summary });
  else logger.info('projection replay finished', { ...summary });
  return summary;
});
