import * as z from '../zod';

/**
 * R22: a hardware token's serial, in the token routes and in the files that import tokens. A module
 * of its own, so that the import check (in admin-jobs too) builds no other token schema.
 */
export const oathSerialSchema = z
  .string()
  .check(z.minLength(1), z.maxLength(64), z.regex(/^[A-Za-z0-9._:-]+$/, 'may contain letters, digits and . _ : - only'));
