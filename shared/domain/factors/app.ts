/** R5: a TOTP code from the user's authenticator app, checked against the app's sealed secret. */
import type { OtpChecker } from '../otp/checker';
import type { FactorModule } from './factor';
import { readCodeFactor } from './otp';

export function appFactor(deps: { readonly otp: Pick<OtpChecker, 'check'> }): FactorModule<'app'> {
  return readCodeFactor('app', deps.otp, () => 'authenticator app');
}
