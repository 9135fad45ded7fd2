/** R22: a code from the OATH hardware token assigned to the user, checked against the token's sealed secret and drift. */
import type { OtpChecker } from '../otp/checker';
import type { FactorModule } from './factor';
import { readCodeFactor } from './otp';

export function oathFactor(deps: { readonly otp: Pick<OtpChecker, 'check'> }): FactorModule<'oath'> {
  // The status names the token by its serial.
  return readCodeFactor('oath', deps.otp, (user) => `token ${user.oathToken?.serial ?? ''}`);
}
