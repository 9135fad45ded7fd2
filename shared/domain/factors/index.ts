/**
 * The factor registry: one module per member of the closed `Factor` union. Adding a factor is
 * adding its module and one line in each of the two maps below; a factor missing from either
 * does not compile.
 */
import type { Factor } from '../types';
import { appFactor } from './app';
import type { FactorModule, FactorRegistry } from './factor';
import { oathFactor } from './oath';
import { pushFactor } from './push';
import { smsFactor } from './sms';
import { voiceFactor } from './voice';

const MODULES = {
  sms: smsFactor,
  voice: voiceFactor,
  push: pushFactor,
  app: appFactor,
  oath: oathFactor,
} as const satisfies { readonly [M in Factor]: (deps: never) => FactorModule<M> };

/** What each factor is built from: exactly its own dependencies. */
export type FactorDeps = { readonly [M in Factor]: Parameters<(typeof MODULES)[M]>[0] };

export function buildFactors(deps: FactorDeps): FactorRegistry {
  return {
    sms: MODULES.sms(deps.sms),
    voice: MODULES.voice(deps.voice),
    push: MODULES.push(deps.push),
    app: MODULES.app(deps.app),
    oath: MODULES.oath(deps.oath),
  };
}

export type { FactorModule, FactorRegistry } from './factor';
