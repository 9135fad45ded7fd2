/**
 * The factor registry: one definition per member of the closed `Factor` union. Adding a factor
 * is adding its module and registering it here (in the map and in `buildFactors`); a factor
 * missing from either does not compile.
 */
import type { Factor, User } from '../types';
import { app } from './app';
import type { FactorDefinition, FactorRegistry } from './factor';
import { oath } from './oath';
import { passkey } from './passkey';
import { push } from './push';
import { recovery } from './recovery';
import { sms } from './sms';
import { tap } from './tap';
import { voice } from './voice';

/**
 * Every factor, in the order a challenge picks one when neither the request nor the user's
 * default names it (R20: the first usable one).
 */
export const FACTOR_DEFINITIONS = { sms, voice, app, oath, push, passkey, recovery, tap } as const satisfies {
  readonly [M in Factor]: FactorDefinition<M, never>;
};

/** What each factor is built from: exactly its own dependencies. */
export type FactorDeps = { readonly [M in Factor]: Parameters<(typeof FACTOR_DEFINITIONS)[M]['build']>[0] };

export function buildFactors(deps: FactorDeps): FactorRegistry {
  return {
    sms: sms.build(deps.sms),
    voice: voice.build(deps.voice),
    push: push.build(deps.push),
    app: app.build(deps.app),
    oath: oath.build(deps.oath),
    passkey: passkey.build(deps.passkey),
    recovery: recovery.build(deps.recovery),
    tap: tap.build(deps.tap),
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

export type { FactorModule, FactorRegistry } from './factor';
