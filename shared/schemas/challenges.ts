import * as z from 'zod';
import { FACTORS } from '../domain/types';
import { OTP_MAX_DIGITS } from '../domain/otp/rules';
import { CODE_DIGITS } from '../rules';
import { userIdSchema } from './common';
import { authenticationResponseSchema } from './passkeys';
import { accessPassSchema, recoveryCodeSchema } from './recovery';

export const idempotencyKeySchema = z
  .string()
  .min(1)
  .max(255)
  .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces');

export const createChallengeBody = z.strictObject({
  userId: userIdSchema,
  method: z.enum(FACTORS).optional(),
  context: z
    .strictObject({
      clientIp: z.union([z.ipv4(), z.ipv6()]).optional(),
      appName: z.string().min(1).max(64).optional(),
      location: z.string().min(1).max(128).optional(),
      // R23: a relay (the RADIUS front end) names the gateway that asked, for the auth log.
      gateway: z.strictObject({ name: z.string().min(1).max(64), ip: z.union([z.ipv4(), z.ipv6()]).optional() }).optional(),
    })
    .optional(),
});

/** A code (text, call, app, token, a recovery code, an access pass), or a passkey's assertion (the browser's AuthenticationResponseJSON). */
export const verifyChallengeBody = z.union([
  z.strictObject({
    // Text codes have CODE_DIGITS digits; hardware tokens may show OTP_MAX_DIGITS (R22).
    code: z.string().regex(new RegExp(`^(\\d{${CODE_DIGITS}}|\\d{${OTP_MAX_DIGITS}})$`), `must be ${CODE_DIGITS} or ${OTP_MAX_DIGITS} digits`),
  }),
  z.strictObject({ credential: authenticationResponseSchema }),
  // A recovery code or a Temporary Access Pass (issue 16).
  z.strictObject({ code: recoveryCodeSchema }),
  z.strictObject({ code: accessPassSchema }),
]);
