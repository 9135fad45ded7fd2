/** R5: a TOTP code from the user's authenticator app, checked against the app's sealed secret. */
import type { FactorDefinition } from './factor';
import { readCodeFactor, type ReadCodeFactorDeps } from './read-code';

export const app: FactorDefinition<'app', ReadCodeFactorDeps> = {
  method: 'app',
  // R5: a confirmed authenticator app.
  registered: (user) => !!user.authenticator,
  build: (deps) => readCodeFactor('app', deps.otp, () => 'authenticator app'),
};
