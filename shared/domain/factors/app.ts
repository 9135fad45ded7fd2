/** R5: a TOTP code from the user's authenticator app, checked against the app's sealed secret. */
import type { FactorDefinition, FactorModule, FactorStatus } from './factor';
import { readCodeFactor, readCodeStatus, type ReadCodeFactorDeps } from './read-code';

export const app: FactorDefinition<'app'> = {
  method: 'app',
  // R5: a confirmed authenticator app.
  registered: (user) => !!user.authenticator,
};

export const appStatus: FactorStatus = readCodeStatus;

export const appFactor = (deps: ReadCodeFactorDeps): FactorModule<'app'> => readCodeFactor('app', deps.otp, () => 'authenticator app');
