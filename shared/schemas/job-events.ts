import * as z from '../zod';
import { jobIdSchema } from './job-id';

/**
 * The events of a bulk job's state machine: what its batch and complete steps are given. In a
 * module of their own, so that only those two handlers' bundles build them.
 */

const jobRun = z.strictObject({
  tenantId: z.string().check(z.minLength(1), z.maxLength(128)),
  jobId: jobIdSchema,
  header: z.array(z.string().check(z.maxLength(4096))).check(z.maxLength(256)),
});

const batchRange = z.strictObject({
  batch: z.number().check(z.int(), z.gte(0)),
  firstLine: z.number().check(z.int(), z.gte(2)),
  start: z.number().check(z.int(), z.gte(0)),
  end: z.number().check(z.int(), z.gte(0)),
});

export const jobBatchEvent = z.object({ BatchInput: z.object({ run: jobRun }), Items: z.array(batchRange).check(z.minLength(1), z.maxLength(100)) });
const jsonText = z.pipe(
  z.string(),
  z.transform((text: string, ctx) => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      ctx.issues.push({ code: 'custom', message: 'is not JSON', input: text });
      return z.NEVER;
    }
  }),
);

/**
 * The complete step's input: from the state machine after the Map, or, for a job whose
 * execution was stopped (cancelled), the execution's ABORTED status event from EventBridge,
 * whose `detail.input` is the execution's input as JSON text.
 */
export const jobCompleteEvent = z.union([
  z.object({ run: jobRun }),
  z.pipe(
    z.object({
      source: z.literal('aws.states'),
      'detail-type': z.literal('Step Functions Execution Status Change'),
      detail: z.object({ status: z.literal('ABORTED'), input: z.pipe(jsonText, z.object({ run: jobRun })) }),
    }),
    z.transform((event) => ({ run: event.detail.input.run })),
  ),
]);
