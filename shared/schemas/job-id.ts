import * as z from '../zod';

/**
 * `job_` and 16 random bytes, base64url: the job routes' parameter and the job steps' events. A
 * module of its own, so that neither reader builds the other's schemas.
 */
export const jobIdSchema = z.string().check(z.regex(/^job_[A-Za-z0-9_-]{22}$/, 'is not a job id'));
