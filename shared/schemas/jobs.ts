import * as z from '../zod';
import { JOB_LIMITS } from '../rules';

export { jobIdSchema } from './job-id';

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
