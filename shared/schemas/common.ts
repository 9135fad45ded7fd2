import * as z from '../zod';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../rules';

/**
 * Every request shape, checked at the edge (R29). Objects are strict: unknown fields are refused.
 * One module per area, so that a handler's bundle carries (and its module builds) only the shapes
 * of its own routes; these are the ones several areas share.
 */

export const userIdSchema = z
  .string()
  .check(z.minLength(1), z.maxLength(128), z.regex(/^[A-Za-z0-9._@+-]+$/, 'may contain letters, digits and . _ @ + - only'));

export const challengeIdSchema = z.string().check(z.regex(/^ch_[A-Za-z0-9_-]{22}$/, 'is not a challenge id'));

/** Resend takes no fields; an empty body or {} are both fine. */
export const emptyBody = z.optional(z.strictObject({}));

export const pageQuery = {
  limit: z._default(z.coerce.number().check(z.int(), z.gte(1), z.lte(MAX_PAGE_SIZE)), DEFAULT_PAGE_SIZE),
  cursor: z.optional(z.string().check(z.minLength(1), z.maxLength(2048))),
};
