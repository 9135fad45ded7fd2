/** R22: a code from the OATH hardware token assigned to the user, checked against the token's sealed secret and drift. */
import type { FactorDefinition } from './factor';
import { readCodeFactor, type ReadCodeFactorDeps } from './read-code';

export const oath: FactorDefinition<'oath', ReadCodeFactorDeps> = {
  method: 'oath',
  // R22: a hardware token assigned by serial.
  registered: (user) => !!user.oathToken,
  // The status names the token by its serial.
  build: (deps) => readCodeFactor('oath', deps.otp, (user) => `token ${user.oathToken?.serial ?? ''}`),
};
