/** R22: a code from the OATH hardware token assigned to the user, checked against the token's sealed secret and drift. */
import type { FactorDefinition, FactorModule, FactorStatus } from './factor';
import { readCodeFactor, readCodeStatus, type ReadCodeFactorDeps } from './read-code';

export const oath: FactorDefinition<'oath'> = {
  method: 'oath',
  // R22: a hardware token assigned by serial.
  registered: (user) => !!user.oathToken,
};

export const oathStatus: FactorStatus = readCodeStatus;

// The status names the token by its serial.
export const oathFactor = (deps: ReadCodeFactorDeps): FactorModule<'oath'> => readCodeFactor('oath', deps.otp, (user) => `token ${user.oathToken?.serial ?? ''}`);
