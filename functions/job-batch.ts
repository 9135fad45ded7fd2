import * as z from '../shared/zod';
import { jobWorker, log } from '../shared/composition';
import { jobBatchEvent } from '../shared/schemas/job-events';
import { lambdaHandler } from '../shared/observability';

const worker = jobWorker();
const logger = log();

/**
 * One batch of a bulk job (R19, R22), invoked by the Distributed Map's child executions (locally
 * by the local driver): `{ BatchInput: { run }, Items: [byte ranges] }`. Idempotent: a retry
 * after a crash writes nothing more and counts nothing twice.
 */
export const handler = lambdaHandler(async (input: unknown): Promise<{ batches: number; skipped: number }> => {
  const parsed = jobBatchEvent.safeParse(input);
  if (!parsed.success) throw new Error(`Invalid job batch event: ${z.prettifyError(parsed.error)}`);
  const { BatchInput, Items } = parsed.data;
  let skipped = 0;
  for (const range of Items) {
    const outcome = await worker.runBatch(BatchInput.run, range);
    if (outcome.kind === 'skipped') skipped++;
    else logger.info('job batch done', { jobId: BatchInput.run.jobId, batch: range.batch, ...outcome.counts, recorded: outcome.recorded });
  }
  return { batches: Items.length, skipped };
});
