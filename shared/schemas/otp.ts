import * as z from '../zod';
import { pageQuery, userIdSchema } from './common';

export { oathSerialSchema } from './oath-serial';

// Code factors (R5, R22)

export const otpCodeSchema = z.string().check(z.regex(/^(\d{6}|\d{8})$/, 'must be 6 or 8 digits'));

export const confirmAuthenticatorBody = z.strictObject({
  code: otpCodeSchema,
  enrollmentId: z.optional(z.string().check(z.regex(/^en_[A-Za-z0-9_-]{22}$/, 'is not an enrollment id'))),
});

export const assignOathTokenBody = z.strictObject({ userId: userIdSchema });

export const resyncOathTokenBody = z.strictObject({ firstCode: otpCodeSchema, secondCode: otpCodeSchema });

export const oathTokensQuery = z.strictObject(pageQuery);

/** R22: the PSKC pre-shared key, 16 bytes as 32 hex digits (header Tessera-PSKC-Key). */
export const pskcKeySchema = z.string().check(z.regex(/^[0-9A-Fa-f]{32}$/, 'must be 32 hex digits (an AES-128 key)'));
