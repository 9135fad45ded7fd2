/**
 * Adding a factor is adding one module: the registry holds a module for every member of the
 * closed factor union, each in its own file, and the challenge lifecycle names none of them.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildFactors, FACTOR_DEFINITIONS, type FactorDeps } from '../../shared/domain/factors';
import { FACTORS, type Factor } from '../../shared/domain/types';

const DOMAIN = join(__dirname, '../../shared/domain');
const FACTORS_DIR = join(DOMAIN, 'factors');
/** Files of the factors folder that are not a factor: the interface, the registry, the app/token helper. */
const NOT_A_FACTOR = ['factor.ts', 'index.ts', 'read-code.ts'];

const never = async (): Promise<never> => {
  throw new Error('not called here');
};
const otp = { check: never };
const deps: FactorDeps = {
  sms: { sender: { name: 'none', send: never }, codeKey: { get: never } },
  voice: { rollover: { start: never } },
  push: {
    push: {
      deviceFor: () => {
        throw new Error('not called here');
      },
      notify: never,
      settleTimeout: never,
    },
  },
  app: { otp },
  oath: { otp },
  passkey: { passkeys: { listPasskeys: never, getPasskey: never }, alert: never, webauthn: { verifyAuthentication: never } },
  recovery: { codes: { getSet: never }, users: { getUser: never }, alert: never },
  tap: { passes: { listPasses: never }, users: { getUser: never }, clock: { now: () => 0 } },
};

/** The source without comments, so that prose may name a factor while code may not. */
const code = (file: string): string =>
  readFileSync(file, 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/(^|[^:])\/\/.*$/gm, '$1');

describe('factor registry', () => {
  it('has one module for every member of the factor union, each answering to its own name', () => {
    const registry = buildFactors(deps);
    expect(Object.keys(registry).sort()).toEqual([...FACTORS].sort());
    for (const method of FACTORS) expect(registry[method].method).toBe(method);
  });

  it('keeps each factor in a module of its own name, which exports its definition under that name, and nothing else there', async () => {
    const modules = readdirSync(FACTORS_DIR).filter((f) => f.endsWith('.ts') && !NOT_A_FACTOR.includes(f));
    const names = modules.map((f) => f.replace(/\.ts$/, ''));
    expect(names.sort()).toEqual([...FACTORS].sort());
    for (const name of names) {
      const exported = ((await import(join(FACTORS_DIR, name))) as Record<string, unknown>)[name];
      expect(exported).toBe(FACTOR_DEFINITIONS[name as Factor]);
      expect(FACTOR_DEFINITIONS[name as Factor].method).toBe(name);
    }
  });

  it('leaves the challenge lifecycle free of any factor: it imports only the interface and branches on no factor name', () => {
    const lifecycle = code(join(DOMAIN, 'challenges.ts'));
    const imports = [...lifecycle.matchAll(/(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)].map((m) => m[1] as string);
    expect(imports.filter((path) => path.includes('factors'))).toEqual(['./factors/factor']);
    // No factor module, and none of the services only one factor uses.
    for (const path of imports) expect(path).not.toMatch(/\/(sms|voice|push|push-devices|otp)(\/|$)/);
    for (const method of FACTORS) expect(lifecycle).not.toMatch(new RegExp(`['"\`]${method}['"\`]`));
  });
});
