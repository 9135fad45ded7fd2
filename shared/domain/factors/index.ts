/**
 * The factor registry: one definition per member of the closed `Factor` union. Adding a factor
 * is adding its module and registering it here (in the map, in `buildFactors` and in
 * `buildFactorStatuses`); a factor missing from any of them does not compile. The three are
 * apart so that a bundle carries only what its path uses: choosing a method reads the
 * definitions, a status read the statuses, and only starting, resending or verifying a challenge
 * builds the factors' modules.
 */
import type { Factor, User } from '../types';
import { app, appFactor, appStatus } from './app';
import type { FactorDefinition, FactorRegistry, FactorStatusRegistry } from './factor';
import { oath, oathFactor, oathStatus } from './oath';
import { passkey, passkeyFactor, passkeyStatus, type PasskeyFactorDeps } from './passkey';
import { push, pushFactor, pushStatus, type PushFactorDeps } from './push';
import type { ReadCodeFactorDeps } from './read-code';
import { recovery, recoveryFactor, recoveryStatus, type RecoveryFactorDeps } from './recovery';
import { sms, smsFactor, smsStatus, type SmsFactorDeps } from './sms';
import { tap, tapFactor, tapStatus, type TapFactorDeps } from './tap';
import { voice, voiceFactor, voiceStatus, type VoiceFactorDeps } from './voice';

/**
 * Every factor, in the order a challenge picks one when neither the request nor the user's
 * default names it (R20: the first usable one).
 */
export const FACTOR_DEFINITIONS = { sms, voice, app, oath, push, passkey, recovery, tap } as const satisfies {
  readonly [M in Factor]: FactorDefinition<M>;
};

/** What each factor is built from: exactly its own dependencies. */
export interface FactorDeps {
  readonly sms: SmsFactorDeps;
  readonly voice: VoiceFactorDeps;
  readonly push: PushFactorDeps;
  readonly app: ReadCodeFactorDeps;
  readonly oath: ReadCodeFactorDeps;
  readonly passkey: PasskeyFactorDeps;
  readonly recovery: RecoveryFactorDeps;
  readonly tap: TapFactorDeps;
}

export function buildFactors(deps: FactorDeps): FactorRegistry {
  return {
    sms: smsFactor(deps.sms),
    voice: voiceFactor(deps.voice),
    push: pushFactor(deps.push),
    app: appFactor(deps.app),
    oath: oathFactor(deps.oath),
    passkey: passkeyFactor(deps.passkey),
    recovery: recoveryFactor(deps.recovery),
    tap: tapFactor(deps.tap),
  };
}

/**
 * What a status read needs of every factor (R1, R9, R13): only the push factor reads with a
 * dependency, the settling of a push past its deadline (R9/R7).
 */
export function buildFactorStatuses(deps: { readonly push: Pick<PushFactorDeps['push'], 'settleTimeout'> }): FactorStatusRegistry {
  return {
    sms: smsStatus,
    voice: voiceStatus,
    push: pushStatus(deps.push),
    app: appStatus,
    oath: oathStatus,
    passkey: passkeyStatus,
    recovery: recoveryStatus,
    tap: tapStatus,
  };
}

/** The factors the user has registered what they need for, whether or not the tenant allows them, in the order of choice. */
export function registeredFactors(user: User): Factor[] {
  return Object.values(FACTOR_DEFINITIONS)
    .filter((factor) => factor.registered(user))
    .map((factor) => factor.method);
}

/** The ways back (recovery codes, access passes): asked for by name only, whatever the user has registered. */
export function isFallback(method: Factor): boolean {
  return FACTOR_DEFINITIONS[method].fallback === true;
}

export type { FactorModule, FactorRegistry, FactorStatus, FactorStatusRegistry } from './factor';
