import * as z from 'zod';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../rules';

/**
 * Every request shape, checked at the edge (R29). Objects are strict: unknown fields are refused.
 * One module per area, so that a handler's bundle carries (and its module builds) only the shapes
 * of its own routes; these are the ones several areas share.
 */

export const userIdSchema = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9._@+-]+$/, 'may contain letters, digits and . _ @ + - only');

export const challengeIdSchema = z.string().regex(/^ch_[A-Za-z0-9_-]{22}$/, 'is not a challenge id');

/** Resend takes no fields; an empty body or {} are both fine. */
export const emptyBody = z.strictObject({}).optional();

export const pageQuery = {
  limit: z.coerce.number().int().min(1).max(MAX_PAGE_SIZE).default(DEFAULT_PAGE_SIZE),
  cursor: z.string().min(1).max(2048).optional(),
};
