/**
 * The world the challenge lifecycle's tests run in: two tenants with a provider each, their users,
 * and the service and verifier (test/support/challenge-lifecycle.ts) wired to in-memory fakes. Not a test file; the *.test.ts files share it.
 */
import { randomBytes } from 'node:crypto';
import { LocalSecretBox } from '../../shared/adapters/secrets/local-secret-box';
import { AssertionSigner } from '../../shared/domain/assertions';
import { challengeLifecycle } from '../support/challenge-lifecycle';
import { buildFactors, type FactorDeps } from '../../shared/domain/factors';
import { CodeKey } from '../../shared/domain/service-secrets';
import type { Principal, User } from '../../shared/domain/types';
import { userScope } from '../../shared/domain/users';
import type { SmsSender } from '../../shared/ports';
import {
  FakeClock,
  InMemoryChallengeStore,
  InMemoryLogStore,
  InMemoryServiceSecretStore,
  InMemorySigningKeyStore,
  InMemoryThrottleStore,
  InMemoryUserStore,
  RecordingSmsSender,
  SilentLog,
  T0,
  principalOf,
  tenantFixture,
} from '../support/fakes';
import { InMemoryRecoveryStore } from '../support/in-memory-recovery';

export const ISSUER = 'https://tessera.test';
export const PHONE = '+14155550100';
export const TENANT_A = `tn${'a'.repeat(24)}`;
export const TENANT_B = `tn${'b'.repeat(24)}`;
export const tenantA: Principal = principalOf(tenantFixture(TENANT_A));
export const tenantB: Principal = principalOf(tenantFixture(TENANT_B));

export function user(tenantId: string, userId: string, overrides: Partial<User> = {}): User {
  return {
    tenantId,
    userId,
    mfaEnabled: true,
    licensed: false,
    phones: { primary: { e164: PHONE, country: 'US', type: 'mobile' }, backup: [] },
    createdAt: new Date(T0).toISOString(),
    updatedAt: new Date(T0).toISOString(),
    ...overrides,
  };
}

export async function world(options: { sms?: SmsSender } = {}) {
  const clock = new FakeClock();
  const throttle = new InMemoryThrottleStore();
  const logs = new InMemoryLogStore(throttle);
  const challenges = new InMemoryChallengeStore(logs);
  const users = new InMemoryUserStore();
  const recorder = new RecordingSmsSender();
  const box = new LocalSecretBox(randomBytes(32).toString('base64'));
  const codeKey = new CodeKey({ secrets: new InMemoryServiceSecretStore(), box });
  const signer = new AssertionSigner({ keys: new InMemorySigningKeyStore(), box, clock, issuer: ISSUER });
  const log = new SilentLog();
  // The ways back (recovery codes, access passes) need no phone: they are wired to fakes here too.
  const recovery = new InMemoryRecoveryStore(challenges);
  const alerts: { tenantId: string; userId: string; message: string }[] = [];
  const ways = {
    recovery: { codes: recovery, users, alert: async (tenant: Principal['tenant'], userId: string, message: string) => alerts.push({ tenantId: tenant.tenantId, userId, message }) },
    tap: { passes: recovery, users, clock },
  };
  const service = challengeLifecycle({ challenges, users, logs, throttle, clock, signer, log, factors: textOnlyFactors(options.sms ?? recorder, codeKey, ways) });
  await users.putUser(userScope(tenantA), user(TENANT_A, 'alice'));
  await users.putUser(userScope(tenantA), user(TENANT_A, 'no-mfa', { mfaEnabled: false }));
  await users.putUser(userScope(tenantA), user(TENANT_A, 'no-phone', { phones: { backup: [] } }));
  await users.putUser(
    userScope(tenantB),
    user(TENANT_B, 'alice', { phones: { primary: { e164: '+33612345678', country: 'FR', type: 'mobile' }, backup: [] } }),
  );
  return { clock, challenges, logs, throttle, users, sms: recorder, codeKey, signer, log, service, recovery, alerts };
}

/**
 * The factors of this world: its users have a phone and nothing else, so only SMS is wired to
 * fakes. The others fail loudly if a test ever reaches them (it would need its own world).
 */
function textOnlyFactors(sender: SmsSender, codeKey: CodeKey, ways: Pick<FactorDeps, 'recovery' | 'tap'>) {
  const absent = (what: string) => async (): Promise<never> => {
    throw new Error(`${what} is not part of the challenge world`);
  };
  const otp = { check: absent('an authenticator app or token') };
  return buildFactors({
    sms: { sender, codeKey },
    voice: { rollover: { start: absent('a voice rollover') } },
    push: {
      push: {
        deviceFor: () => {
          throw new Error('a push device is not part of the challenge world');
        },
        notify: absent('a push device'),
        settleTimeout: async (challenge) => challenge,
      },
    },
    app: { otp },
    oath: { otp },
    passkey: { passkeys: { listPasskeys: absent('a passkey'), getPasskey: absent('a passkey') }, alert: absent('an admin alert'), webauthn: { verifyAuthentication: absent('WebAuthn') } },
    ...ways,
  });
}

/** A six-digit code that is certainly not `code`. */
export const otherThan = (code: string): string => String((Number(code) + 1) % 1_000_000).padStart(6, '0');
