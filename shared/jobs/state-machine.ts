import { JOB_MAX_CONCURRENCY } from '../rules';

/** Retries of a batch that failed (a crash, a throttle): the batch is idempotent, so running it again is safe. */
export const JOB_BATCH_RETRY = { ErrorEquals: ['States.ALL'], IntervalSeconds: 2, MaxAttempts: 3, BackoffRate: 2 } as const;

/** Map items per batch invocation: one manifest item is already a batch of JOB_BATCH_ROWS rows. */
export const JOB_ITEMS_PER_BATCH = 1;

/** Seconds one batch may take (500 rows; seconds in practice) and the complete step (a 1,000,000-user export). */
export const JOB_BATCH_TIMEOUT_SECONDS = 300;
export const JOB_COMPLETE_TIMEOUT_SECONDS = 900;

export interface JobStateMachineTargets {
  readonly bucket: string;
  readonly batchFunctionArn: string;
  readonly completeFunctionArn: string;
}

/**
 * The bulk job's Standard state machine (R19, R22), defined once: a Distributed Map whose
 * ItemReader reads the job's batch manifest from the jobs bucket (a JSON array of byte ranges,
 * written by the start route after one streamed pass over the upload), an ItemBatcher whose
 * BatchInput carries the job to every batch, Express child executions that invoke the batch
 * handler (retried: it is idempotent), and then the complete step, which writes the report (or
 * the export) and the job's final state. Failed batches are tolerated here: the complete step
 * names their rows in the report and fails the job.
 *
 * Locally `aws-local-stepfunctions` has no Distributed Map, so the local runtime drives the same
 * handlers over the same manifest with the concurrency, batching and retries written here
 * (`infra/local/jobs.ts`).
 */
export function jobStateMachineDefinition(targets: JobStateMachineTargets): Record<string, unknown> {
  const invoke = (functionArn: string, payload: Record<string, unknown>, timeout: number) => ({
    Type: 'Task',
    Resource: 'arn:aws:states:::lambda:invoke',
    Parameters: { FunctionName: functionArn, Payload: payload },
    OutputPath: '$.Payload',
    TimeoutSeconds: timeout,
    Retry: [JOB_BATCH_RETRY],
  });
  return {
    Comment: 'Tessera bulk job: batches of the uploaded file, then the report',
    StartAt: 'Batches',
    States: {
      Batches: {
        Type: 'Map',
        ItemReader: {
          Resource: 'arn:aws:states:::s3:getObject',
          ReaderConfig: { InputType: 'JSON' },
          Parameters: { Bucket: targets.bucket, 'Key.$': '$.manifestKey' },
        },
        ItemBatcher: { MaxItemsPerBatch: JOB_ITEMS_PER_BATCH, BatchInput: { 'run.$': '$.run' } },
        MaxConcurrency: JOB_MAX_CONCURRENCY,
        ToleratedFailurePercentage: 100,
        ItemProcessor: {
          ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'EXPRESS' },
          StartAt: 'Batch',
          States: { Batch: { ...invoke(targets.batchFunctionArn, { 'BatchInput.$': '$.BatchInput', 'Items.$': '$.Items' }, JOB_BATCH_TIMEOUT_SECONDS), End: true } },
        },
        ResultPath: null,
        Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: null, Next: 'Complete' }],
        Next: 'Complete',
      },
      Complete: { ...invoke(targets.completeFunctionArn, { 'run.$': '$.run' }, JOB_COMPLETE_TIMEOUT_SECONDS), End: true },
    },
  };
}
