import * as z from '../zod';
import { ACCESS_PASS_MAX_MINUTES, ACCESS_PASS_MIN_MINUTES } from '../rules';

/**
 * The ways back (issue 16) at the edge: recovery codes (`xxxxx-xxxxx`) and Temporary Access
 * Passes (`xxxx-xxxx-xxxx-xxxx-xxxx`), both posted to verify as `code`; case and hyphens do not
 * matter. The requests that generate codes and issue, list and revoke passes.
 */

/** Ten characters of Crockford's base 32, with or without the hyphen after the fifth. */
export const recoveryCodeSchema = z.string().check(z.regex(/^[0-9A-Za-z]{5}-?[0-9A-Za-z]{5}$/, 'must be a recovery code such as k7m2q-x9p4d'));

/** Twenty characters of Crockford's base 32, in groups of four with or without hyphens. */
export const accessPassSchema = z.string().check(z.regex(/^[0-9A-Za-z]{4}(-?[0-9A-Za-z]{4}){4}$/, 'must be an access pass such as k7m2-x9p4-d3fh-q8rt-a2bc'));

export const accessPassIdSchema = z.string().check(z.regex(/^tap_[A-Za-z0-9_-]{16}$/, 'is not an access pass id'));

export const issueAccessPassBody = z.strictObject({
  lifetimeMinutes: z.number().check(z.int(), z.gte(ACCESS_PASS_MIN_MINUTES), z.lte(ACCESS_PASS_MAX_MINUTES)),
  oneTime: z.boolean(),
  /** When it starts to work; absent or past: now. At most 30 days ahead. */
  startsAt: z.optional(z.iso.datetime({ offset: true })),
});
