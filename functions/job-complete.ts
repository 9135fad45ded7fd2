import * as z from '../shared/zod';
import { jobCompleter, log } from '../shared/composition';
import { jobCompleteEvent } from '../shared/schemas/job-events';
import { lambdaHandler } from '../shared/observability';

const completer = jobCompleter();
const logger = log();

/** The last step of a bulk job (R19, R22): the report or the export, and the job's final state. */
export const handler = lambdaHandler(async (input: unknown): Promise<{ jobId: string }> => {
  const parsed = jobCompleteEvent.safeParse(input);
  if (!parsed.success) throw new Error(`Invalid job complete event: ${z.prettifyError(parsed.error)}`);
  await completer.complete(parsed.data.run);
  logger.info('job completed', { jobId: parsed.data.run.jobId });
  return { jobId: parsed.data.run.jobId };
});
