import * as z from '../zod';
import { JOB_KINDS, JOB_STATES } from '../domain/jobs/records';
import { JOB_LIMITS } from '../rules';

/** `job_` and 16 random bytes, base64url. */
export const jobIdSchema = z.string().check(z.regex(/^job_[A-Za-z0-9_-]{22}$/, 'is not a job id'));

/** R19/R22: an import says how big its file is (the upload URL is signed for that size); an export needs nothing. */
export const createJobBody = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.enum(['user-import', 'token-import']),
    // The kind's own limit is checked by the service: a larger file is a 413, not a 400.
    bytes: z
      .number()
      .check(z.int(), z.gte(1), z.describe(`Size of the CSV file in bytes: user imports up to ${JOB_LIMITS['user-import'].maxBytes}, token imports up to ${JOB_LIMITS['token-import'].maxBytes}`)),
  }),
  z.strictObject({ kind: z.literal('user-export') }),
]);

// --- The events of the job's state machine (its batch and complete steps). ---

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

// --- Answers. ---

const time = z.iso.datetime();

export const objectUrl = z.looseObject({
  url: z.string().check(z.url()),
  method: z.enum(['PUT', 'GET']),
  headers: z.record(z.string(), z.string()).check(z.describe('Headers to send exactly as given (they are signed)')),
  expiresAt: time,
});

export const jobView = z.looseObject({
  jobId: z.string(),
  kind: z.enum(JOB_KINDS),
  state: z.enum(JOB_STATES),
  bytes: z.optional(z.number().check(z.int())),
  batches: z.looseObject({ total: z.number().check(z.int()), done: z.number().check(z.int()) }),
  counts: z.looseObject({
    rows: z.number().check(z.int()),
    created: z.number().check(z.int()),
    updated: z.number().check(z.int()),
    unchanged: z.number().check(z.int()),
    failed: z.number().check(z.int()),
  }),
  createdAt: time,
  updatedAt: time,
  finishedAt: z.optional(time),
  error: z.optional(z.string()),
});

export const createdJob = z.looseObject({ job: jobView, upload: z.optional(objectUrl).check(z.describe('Imports: PUT the CSV file here, then start the job')) });
