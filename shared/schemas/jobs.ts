import * as z from 'zod';
import { JOB_KINDS, JOB_STATES } from '../domain/jobs/records';
import { JOB_LIMITS } from '../rules';

/** `job_` and 16 random bytes, base64url. */
export const jobIdSchema = z.string().regex(/^job_[A-Za-z0-9_-]{22}$/, 'is not a job id');

/** R19/R22: an import says how big its file is (the upload URL is signed for that size); an export needs nothing. */
export const createJobBody = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.enum(['user-import', 'token-import']),
    // The kind's own limit is checked by the service: a larger file is a 413, not a 400.
    bytes: z.number().int().min(1).describe(`Size of the CSV file in bytes: user imports up to ${JOB_LIMITS['user-import'].maxBytes}, token imports up to ${JOB_LIMITS['token-import'].maxBytes}`),
  }),
  z.strictObject({ kind: z.literal('user-export') }),
]);

// --- The events of the job's state machine (its batch and complete steps). ---

const jobRun = z.strictObject({
  tenantId: z.string().min(1).max(128),
  jobId: jobIdSchema,
  header: z.array(z.string().max(4096)).max(256),
});

const batchRange = z.strictObject({
  batch: z.number().int().min(0),
  firstLine: z.number().int().min(2),
  start: z.number().int().min(0),
  end: z.number().int().min(0),
});

export const jobBatchEvent = z.object({ BatchInput: z.object({ run: jobRun }), Items: z.array(batchRange).min(1).max(100) });
const jsonText = z.string().transform((text, ctx) => {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    ctx.addIssue({ code: 'custom', message: 'is not JSON' });
    return z.NEVER;
  }
});

/**
 * The complete step's input: from the state machine after the Map, or, for a job whose
 * execution was stopped (cancelled), the execution's ABORTED status event from EventBridge,
 * whose `detail.input` is the execution's input as JSON text.
 */
export const jobCompleteEvent = z.union([
  z.object({ run: jobRun }),
  z
    .object({
      source: z.literal('aws.states'),
      'detail-type': z.literal('Step Functions Execution Status Change'),
      detail: z.object({ status: z.literal('ABORTED'), input: jsonText.pipe(z.object({ run: jobRun })) }),
    })
    .transform((event) => ({ run: event.detail.input.run })),
]);

// --- Answers. ---

const time = z.iso.datetime();

export const objectUrl = z.looseObject({
  url: z.string().url(),
  method: z.enum(['PUT', 'GET']),
  headers: z.record(z.string(), z.string()).describe('Headers to send exactly as given (they are signed)'),
  expiresAt: time,
});

export const jobView = z.looseObject({
  jobId: z.string(),
  kind: z.enum(JOB_KINDS),
  state: z.enum(JOB_STATES),
  bytes: z.number().int().optional(),
  batches: z.looseObject({ total: z.number().int(), done: z.number().int() }),
  counts: z.looseObject({ rows: z.number().int(), created: z.number().int(), updated: z.number().int(), unchanged: z.number().int(), failed: z.number().int() }),
  createdAt: time,
  updatedAt: time,
  finishedAt: time.optional(),
  error: z.string().optional(),
});

export const createdJob = z.looseObject({ job: jobView, upload: objectUrl.optional().describe('Imports: PUT the CSV file here, then start the job') });
