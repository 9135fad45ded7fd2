import * as z from '../zod';
import { OTP_MAX_DIGITS } from '../domain/otp/rules';
import { CODE_DIGITS } from '../rules';
import { authenticationResponseSchema } from './passkeys';
import { accessPassSchema, recoveryCodeSchema } from './recovery';

/** A code (text, call, app, token, a recovery code, an access pass), or a passkey's assertion (the browser's AuthenticationResponseJSON). */
export const verifyChallengeBody = z.union([
  z.strictObject({
    // Text codes have CODE_DIGITS digits; hardware tokens may show OTP_MAX_DIGITS (R22).
    code: z.string().check(z.regex(new RegExp(`^(\\d{${CODE_DIGITS}}|\\d{${OTP_MAX_DIGITS}})$`), `must be ${CODE_DIGITS} or ${OTP_MAX_DIGITS} digits`)),
  }),
  z.strictObject({ credential: authenticationResponseSchema }),
  // A recovery code or a Temporary Access Pass (issue 16).
  z.strictObject({ code: recoveryCodeSchema }),
  z.strictObject({ code: accessPassSchema }),
]);
