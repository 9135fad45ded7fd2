import * as z from '../zod';
import { JOB_KINDS, JOB_STATES } from '../domain/jobs/records';

/**
 * What the bulk-job routes answer, for the OpenAPI document (shared/api/docs.ts): no handler
 * parses its own answer, so no bundle builds these.
 */

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
