/**
 * Adding a factor is adding one module: the registry holds a module for every member of the
 * closed factor union, each in its own file, and the challenge lifecycle names none of them.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildFactors, buildFactorStatuses, FACTOR_DEFINITIONS, type FactorDeps } from '../../shared/domain/factors';
import { FACTORS, type Challenge, type Factor } from '../../shared/domain/types';

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

  it.each(['challenges.ts', 'challenge-verifier.ts', 'challenge-status.ts'])('leaves the challenge lifecycle (%s) free of any factor: it imports only the interface and branches on no factor name', (file) => {
    const lifecycle = code(join(DOMAIN, file));
    const imports = [...lifecycle.matchAll(/(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)].map((m) => m[1] as string);
    expect(imports.filter((path) => path.includes('factors'))).toEqual(['./factors/factor']);
    // No factor module, and none of the services only one factor uses.
    for (const path of imports) expect(path).not.toMatch(/\/(sms|voice|push|push-devices|push-settlement|otp)(\/|$)/);
    for (const method of FACTORS) expect(lifecycle).not.toMatch(new RegExp(`['"\`]${method}['"\`]`));
  });

  it("gives a status read exactly what each factor's module shows: the same answer kind, lapse, reading and view", async () => {
    const settled: Challenge[] = [];
    const settleTimeout = async (challenge: Challenge) => {
      settled.push(challenge);
      return { ...challenge, status: 'denied' as const, denialReason: 'timeout' as const };
    };
    const modules = buildFactors({ ...deps, push: { push: { ...deps.push.push, settleTimeout } } });
    const statuses = buildFactorStatuses({ push: { settleTimeout } });
    expect(Object.keys(statuses).sort()).toEqual([...FACTORS].sort());
    const now = 1_700_000_000_000;
    for (const method of FACTORS) {
      const module = modules[method];
      const status = statuses[method];
      expect({ method, kind: status.answer.kind, lapse: status.lapse }).toEqual({ method, kind: module.answer.kind, lapse: module.lapse });
      // A challenge carrying every factor's own state, open and closed, shows the same either way.
      const challenge = {
        challengeId: 'ch1',
        tenantId: 't',
        userId: 'u',
        method,
        status: 'pending',
        wrongAttempts: 0,
        sends: 1,
        createdAt: now - 1000,
        lastSentAt: now - 1000,
        expiresAt: now - 1,
        destination: 'x',
        destinationE164: '',
        audit: {},
        push: { deviceId: 'd', number: 42 },
        voice: { numbers: ['+1•••0100', '+1•••0101'], attempts: [{ number: '+1•••0100', outcome: 'no_answer', at: now - 500, callId: 'c' }] },
        passkey: { options: { challenge: 'abc', rpId: 'example.com', timeout: 1, userVerification: 'preferred', allowCredentials: [] }, origins: [], allowSynced: true },
      } as unknown as Challenge;
      for (const pending of [true, false]) expect({ method, pending, view: status.view(challenge, pending) }).toEqual({ method, pending, view: module.view(challenge, pending) });
      settled.length = 0;
      const read = await status.current(challenge, now);
      const readBefore = [...settled];
      settled.length = 0;
      expect({ method, read, settled: readBefore }).toEqual({ method, read: await module.current(challenge, now), settled });
    }
  });
});
