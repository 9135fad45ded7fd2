/**
 * Passkeys (issue 15) through Tessera's own code, with @simplewebauthn/server making every
 * WebAuthn check: registration (PasskeyService) and sign-in (the passkey factor in the challenge
 * lifecycle), answered by a software authenticator, with each check shown to refuse.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { LocalSecretBox } from '../../shared/adapters/secrets/local-secret-box';
import { simpleWebAuthnAssertions, simpleWebAuthnRegistrations } from '../../shared/adapters/webauthn/simplewebauthn';
import { AssertionSigner } from '../../shared/domain/assertions';
import { challengeLifecycle } from '../support/challenge-lifecycle';
import { DomainError } from '../../shared/domain/errors';
import { buildFactors } from '../../shared/domain/factors';
import { passkeyRequestOptions } from '../../shared/domain/factors/passkey';
import type { PasskeyRecord } from '../../shared/ports';
import { PasskeyService } from '../../shared/domain/passkeys';
import { registrationRequired, usableMethods } from '../../shared/domain/registration';
import { CodeKey } from '../../shared/domain/service-secrets';
import { DEFAULT_SETTINGS, type PasskeyPolicy, type Principal, type Tenant } from '../../shared/domain/types';
import { userScope } from '../../shared/domain/users';
import { PASSKEY_CHALLENGE_TTL_SECONDS, PASSKEYS_PER_USER } from '../../shared/rules';
import { passkeyPolicySchema } from '../../shared/schemas/passkeys';
import { attestationCA } from '../support/attestation-certs';
import { SoftwareAuthenticator, type AuthenticatorModel } from '../support/authenticator';
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
  principalOf,
  tenantFixture,
} from '../support/fakes';
import { InMemoryPasskeyStore } from '../support/in-memory-passkeys';
import { ISSUER, TENANT_A, TENANT_B, user } from './challenge-world';

const ORIGIN = 'https://login.example.com';
const POLICY: PasskeyPolicy = {
  rpId: 'example.com',
  rpName: 'Example',
  origins: [ORIGIN],
  userVerification: 'required',
  attestation: 'none',
  allowSynced: true,
  phishingResistantOnly: false,
};
const YUBIKEY = 'cb69481e-8ff7-4039-93ec-0a2729a154a8';
/** A vendor whose root the allow-list policies trust, and another whose root they don't. */
const VENDOR = attestationCA('Trusted Vendor');
const STRANGER = attestationCA('Other Vendor');
const ATTESTED = { attestation: 'packed', certificate: { der: VENDOR.leafDer, key: VENDOR.leafKey } } as const;
const ALLOW_LIST: PasskeyPolicy = { ...POLICY, attestation: 'direct', aaguids: [YUBIKEY], attestationRoots: [VENDOR.rootPem] };

function tenantWith(tenantId: string, policy: PasskeyPolicy | null): Tenant {
  return tenantFixture(tenantId, { settings: { ...DEFAULT_SETTINGS, ...(policy ? { passkeys: policy } : {}) } });
}

async function world(policy: PasskeyPolicy | null = POLICY) {
  const clock = new FakeClock();
  const throttle = new InMemoryThrottleStore();
  const logs = new InMemoryLogStore(throttle);
  const challenges = new InMemoryChallengeStore(logs);
  const users = new InMemoryUserStore();
  const store = new InMemoryPasskeyStore(users, challenges);
  const box = new LocalSecretBox(randomBytes(32).toString('base64'));
  const signer = new AssertionSigner({ keys: new InMemorySigningKeyStore(), box, clock, issuer: ISSUER });
  const sms = new RecordingSmsSender();
  const alerts: { tenantId: string; userId: string; message: string }[] = [];
  const alerting = { fails: false };
  const never = async (): Promise<never> => {
    throw new Error('not part of this world');
  };
  const challengeService = challengeLifecycle({
    challenges,
    users,
    logs,
    throttle,
    clock,
    signer,
    log: new SilentLog(),
    factors: buildFactors({
      sms: { sender: sms, codeKey: new CodeKey({ secrets: new InMemoryServiceSecretStore(), box }) },
      voice: { rollover: { start: never } },
      push: {
        push: {
          deviceFor: () => {
            throw new Error('not part of this world');
          },
          notify: never,
          settleTimeout: async (c) => c,
        },
      },
      app: { otp: { check: never } },
      oath: { otp: { check: never } },
      passkey: {
        passkeys: store,
        alert: async (tenant, userId, message) => {
          if (alerting.fails) throw new Error('the notification store is down');
          alerts.push({ tenantId: tenant.tenantId, userId, message });
        },
        webauthn: simpleWebAuthnAssertions,
      },
      recovery: { codes: { getSet: never }, users: { getUser: never }, alert: never },
      tap: { passes: { listPasses: never }, users: { getUser: never }, clock },
    }),
  });
  const passkeyLog = new SilentLog();
  const passkeys = new PasskeyService({ store, users, challenges, clock, log: passkeyLog, webauthn: simpleWebAuthnRegistrations });
  const a = principalOf(tenantWith(TENANT_A, policy));
  const admin = principalOf(tenantWith(TENANT_A, policy), 'admin');
  const b = principalOf(tenantWith(TENANT_B, policy));
  // alice has nothing registered; bob and dan have a phone; carol, in tenant B, too.
  await users.putUser(userScope(a), user(TENANT_A, 'alice', { phones: { backup: [] }, credentialEpoch: 'ep_alice' }));
  await users.putUser(userScope(a), user(TENANT_A, 'bob', { credentialEpoch: 'ep_bob' }));
  await users.putUser(userScope(a), user(TENANT_A, 'dan', { credentialEpoch: 'ep_dan' }));
  await users.putUser(userScope(b), user(TENANT_B, 'carol', { credentialEpoch: 'ep_carol' }));
  return { clock, challenges, users, store, signer, sms, alerts, alerting, logs, challengeService, passkeys, passkeyLog, a, admin, b };
}

type World = Awaited<ReturnType<typeof world>>;

/** Registers a passkey for `userId` the way the console does (no step-up), answered by `authenticator`. */
async function register(w: World, principal: Principal, userId: string, authenticator: SoftwareAuthenticator, origin = ORIGIN) {
  const started = await w.passkeys.startRegistration(principal, userId, 'admin');
  return w.passkeys.finishRegistration(principal, started.registrationId, { response: authenticator.create(started.options, origin) }, 'admin', userId);
}

/** The domain error a promise is refused with: its problem slug and details. */
async function refusal(promise: Promise<unknown>): Promise<{ code: string; message: string; details: Record<string, unknown> }> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof DomainError) return { code: error.code, message: error.message, details: error.details };
    throw error;
  }
  throw new Error('expected a refusal');
}

/** The code of the last text sent. */
const lastCode = (w: World): string => /^(\d{6})/.exec(w.sms.sent.at(-1)?.body ?? '')?.[1] ?? '';

async function claimsOf(w: World, assertion: string) {
  const { payload } = await jwtVerify(assertion, createLocalJWKSet(await w.signer.jwks()), { issuer: ISSUER, audience: TENANT_A });
  return payload;
}

describe('passkey policy (settings)', () => {
  const parse = (policy: Record<string, unknown>) => passkeyPolicySchema.safeParse({ rpId: 'example.com', rpName: 'Example', origins: [ORIGIN], ...policy });

  it('takes https origins under the rpId, and http only on localhost; defaults as the issue says', () => {
    const ok = parse({ origins: ['https://example.com', 'https://login.example.com:8443'] });
    expect(ok.success && ok.data).toMatchObject({ userVerification: 'required', attestation: 'none', allowSynced: true, phishingResistantOnly: false });
    expect(parse({ rpId: 'localhost', origins: ['http://localhost:3000'] }).success).toBe(true);
    expect(parse({ attestation: 'direct', aaguids: [YUBIKEY], attestationRoots: [VENDOR.rootPem] }).success).toBe(true);
  });

  it.each([
    ['http on a public host', { origins: ['http://login.example.com'] }],
    ['an origin of another domain', { origins: ['https://login.example.org'] }],
    ['a suffix that is not at a label boundary', { origins: ['https://badexample.com'] }],
    ['an origin with a path', { origins: ['https://login.example.com/sign-in'] }],
    ['a top-level domain as rpId', { rpId: 'com', origins: ['https://example.com'] }],
    ['an IP address as rpId', { rpId: '127.0.0.1', origins: ['https://127.0.0.1'] }],
    ['no origins', { origins: [] }],
    ['an AAGUID allow-list without attestation', { aaguids: [YUBIKEY] }],
    ['an upper-case AAGUID', { attestation: 'direct', aaguids: [YUBIKEY.toUpperCase()] }],
    ['attestation roots without attestation', { attestationRoots: [VENDOR.rootPem] }],
    ['an attestation root that is not PEM', { attestation: 'direct', attestationRoots: ['MIIB+TCCAZ'] }],
  ])('refuses %s', (_name, policy) => {
    expect(parse(policy).success).toBe(false);
  });
});

describe('passkey registration', () => {
  it('stores a passkey (none attestation, ES256) with its flags, model and a default name', async () => {
    const w = await world();
    const authenticator = new SoftwareAuthenticator({ transports: ['internal', 'hybrid'] });
    const started = await w.passkeys.startRegistration(w.admin, 'alice', 'admin');
    expect(started.options).toMatchObject({
      rp: { id: 'example.com', name: 'Example' },
      user: { name: 'alice' },
      attestation: 'none',
      timeout: 300_000,
      authenticatorSelection: { residentKey: 'preferred', userVerification: 'required' },
      excludeCredentials: [],
    });
    expect(started.options.pubKeyCredParams.map((p) => p.alg)).toEqual([-7, -257]);
    // The user handle is opaque: not the user id.
    expect(Buffer.from(started.options.user.id, 'base64url').toString('utf8')).not.toContain('alice');
    const { passkey } = await w.passkeys.finishRegistration(w.admin, started.registrationId, { response: authenticator.create(started.options, ORIGIN) }, 'admin', 'alice');
    expect(passkey).toMatchObject({ name: 'Passkey 1', aaguid: '00000000-0000-0000-0000-000000000000', deviceType: 'singleDevice', backedUp: false, transports: ['internal', 'hybrid'] });
    expect(await w.passkeys.list(w.admin, 'alice')).toEqual([passkey]);
    expect((await w.users.getUser(userScope(w.a), 'alice'))?.passkeyCount).toBe(1);
  });

  it('stores a packed self-attested RS256 passkey, and a synced one as multiDevice', async () => {
    const w = await world();
    const rsa = await register(w, w.admin, 'alice', new SoftwareAuthenticator({ alg: 'RS256', attestation: 'packed', aaguid: YUBIKEY }));
    expect(rsa.passkey).toMatchObject({ aaguid: YUBIKEY, deviceType: 'singleDevice' });
    const synced = await register(w, w.admin, 'alice', new SoftwareAuthenticator({ synced: true }));
    expect(synced.passkey).toMatchObject({ deviceType: 'multiDevice', backedUp: true, name: 'Passkey 2' });
    // The second ceremony excluded the first passkey.
    const third = await w.passkeys.startRegistration(w.admin, 'alice', 'admin');
    expect(third.options.excludeCredentials?.map((c) => c.id).sort()).toEqual([rsa.passkey.passkeyId, synced.passkey.passkeyId].sort());
  });

  const negatives: [string, AuthenticatorModel, PasskeyPolicy, { origin?: string; rpId?: string; userVerified?: boolean; challenge?: string; crossOrigin?: boolean }][] = [
    ['a wrong origin', {}, POLICY, { origin: 'https://login.example.com.evil.test' }],
    ['a wrong RP id', {}, POLICY, { rpId: 'evil.test' }],
    ['another challenge', {}, POLICY, { challenge: Buffer.from('not the ceremony').toString('base64url') }],
    ['user verification missing when required', { verifiesUser: false }, POLICY, {}],
    ['an AAGUID outside the allow-list', { ...ATTESTED, aaguid: '11111111-2222-3333-4444-555555555555' }, ALLOW_LIST, {}],
    ['no attestation when an allow-list needs one', { aaguid: YUBIKEY }, ALLOW_LIST, {}],
    ['a self-attested claim of a listed AAGUID', { attestation: 'packed', aaguid: YUBIKEY }, ALLOW_LIST, {}],
    ['a chain not under a root of the tenant', { attestation: 'packed', certificate: { der: STRANGER.leafDer, key: STRANGER.leafKey }, aaguid: YUBIKEY }, ALLOW_LIST, {}],
    ['a listed AAGUID while the tenant trusts no root', { ...ATTESTED, aaguid: YUBIKEY }, { ...ALLOW_LIST, attestationRoots: undefined }, {}],
    ['a synced passkey when only device-bound ones are allowed', { synced: true }, { ...POLICY, allowSynced: false }, {}],
    ['a ceremony in a cross-origin frame', {}, POLICY, { crossOrigin: true }],
  ];
  it.each(negatives)('refuses %s, and the ceremony is used up', async (_name, model, policy, tamper) => {
    const w = await world(policy);
    const started = await w.passkeys.startRegistration(w.admin, 'alice', 'admin');
    const response = new SoftwareAuthenticator(model).create(started.options, ORIGIN, tamper);
    expect((await refusal(w.passkeys.finishRegistration(w.admin, started.registrationId, { response }, 'admin', 'alice'))).code).toBe('passkey-rejected');
    expect((await refusal(w.passkeys.finishRegistration(w.admin, started.registrationId, { response }, 'admin', 'alice'))).code).toBe('not-found');
    expect(await w.passkeys.list(w.admin, 'alice')).toEqual([]);
    // The log says why with a fixed reason, never the library's text (expected challenge, what was sent).
    const refused = w.passkeyLog.entries.find((e) => e.message === 'passkey registration refused');
    expect(refused?.extra[0]?.reason).toMatch(/^[a-z_-]+$/);
    const logged = JSON.stringify(w.passkeyLog.entries);
    expect(logged).not.toContain(started.options.challenge);
    if (tamper.origin) expect(logged).not.toContain(tamper.origin);
  });

  it('refuses a response whose id is not the credential id in the authenticator data', async () => {
    const w = await world();
    const started = await w.passkeys.startRegistration(w.admin, 'alice', 'admin');
    const other = Buffer.from(randomBytes(32)).toString('base64url');
    const response = { ...new SoftwareAuthenticator().create(started.options, ORIGIN), id: other, rawId: other };
    expect((await refusal(w.passkeys.finishRegistration(w.admin, started.registrationId, { response }, 'admin', 'alice'))).code).toBe('passkey-rejected');
    expect(await w.passkeys.list(w.admin, 'alice')).toEqual([]);
  });

  it('accepts what the policy allows: no user verification when preferred, an allowed model, a device-bound key', async () => {
    const w = await world({ ...ALLOW_LIST, userVerification: 'preferred', allowSynced: false });
    const { passkey } = await register(w, w.admin, 'alice', new SoftwareAuthenticator({ ...ATTESTED, verifiesUser: false, aaguid: YUBIKEY }));
    expect(passkey.aaguid).toBe(YUBIKEY);
    expect(await w.store.getPasskey(userScope(w.a), 'alice', passkey.passkeyId)).toMatchObject({ fmt: 'packed', attested: true });
  });

  it('uses a ceremony once, and not after five minutes (R1’s rule)', async () => {
    const w = await world();
    const authenticator = new SoftwareAuthenticator();
    const started = await w.passkeys.startRegistration(w.admin, 'alice', 'admin');
    const response = authenticator.create(started.options, ORIGIN);
    await w.passkeys.finishRegistration(w.admin, started.registrationId, { response }, 'admin', 'alice');
    expect((await refusal(w.passkeys.finishRegistration(w.admin, started.registrationId, { response }, 'admin', 'alice'))).code).toBe('not-found');

    const late = await w.passkeys.startRegistration(w.admin, 'alice', 'admin');
    w.clock.advance(300);
    const lateResponse = new SoftwareAuthenticator().create(late.options, ORIGIN);
    expect((await refusal(w.passkeys.finishRegistration(w.admin, late.registrationId, { response: lateResponse }, 'admin', 'alice'))).code).toBe('not-found');
  });

  it('refuses a credential already registered, to this user or another of the tenant; another tenant may register it', async () => {
    const w = await world();
    const authenticator = new SoftwareAuthenticator();
    const { passkey } = await register(w, w.admin, 'alice', authenticator);
    for (const userId of ['alice', 'bob']) {
      const started = await w.passkeys.startRegistration(w.admin, userId, 'admin');
      const again = authenticator.create(started.options, ORIGIN, { credentialId: passkey.passkeyId });
      expect((await refusal(w.passkeys.finishRegistration(w.admin, started.registrationId, { response: again }, 'admin', userId))).code).toBe('conflict');
    }
    expect(await w.passkeys.list(w.admin, 'bob')).toEqual([]);
    const carol = principalOf(tenantWith(TENANT_B, POLICY), 'admin');
    const started = await w.passkeys.startRegistration(carol, 'carol', 'admin');
    const there = await w.passkeys.finishRegistration(carol, started.registrationId, { response: authenticator.create(started.options, ORIGIN, { credentialId: passkey.passkeyId }) }, 'admin', 'carol');
    expect(there.passkey.passkeyId).toBe(passkey.passkeyId);
  });

  it('keeps ceremonies to their tenant, their user and the kind of key that started them (R27)', async () => {
    const w = await world();
    const started = await w.passkeys.startRegistration(w.admin, 'alice', 'admin');
    const response = new SoftwareAuthenticator().create(started.options, ORIGIN);
    expect((await refusal(w.passkeys.finishRegistration(w.b, started.registrationId, { response }, 'admin', 'alice'))).code).toBe('not-found');
    expect((await refusal(w.passkeys.finishRegistration(w.admin, started.registrationId, { response }, 'admin', 'bob'))).code).toBe('not-found');
    expect((await refusal(w.passkeys.finishRegistration(w.a, started.registrationId, { response }, 'auth'))).code).toBe('not-found');
    expect((await refusal(w.passkeys.list(w.b, 'alice'))).code).toBe('not-found');
  });

  it(`allows at most ${PASSKEYS_PER_USER} passkeys per user`, async () => {
    const w = await world();
    for (let i = 0; i < PASSKEYS_PER_USER; i++) await register(w, w.admin, 'alice', new SoftwareAuthenticator());
    expect((await refusal(w.passkeys.startRegistration(w.admin, 'alice', 'admin'))).code).toBe('passkey-limit');
    const [first] = await w.passkeys.list(w.admin, 'alice');
    await w.passkeys.delete(w.admin, 'alice', first?.passkeyId ?? '');
    await register(w, w.admin, 'alice', new SoftwareAuthenticator());
    expect(await w.passkeys.list(w.admin, 'alice')).toHaveLength(PASSKEYS_PER_USER);
  });

  it('needs a policy', async () => {
    const w = await world(null);
    expect((await refusal(w.passkeys.startRegistration(w.admin, 'alice', 'admin'))).code).toBe('passkeys-not-configured');
  });

  it('renames and deletes a passkey; an unknown one is 404', async () => {
    const w = await world();
    const { passkey } = await register(w, w.admin, 'alice', new SoftwareAuthenticator());
    expect((await w.passkeys.rename(w.admin, 'alice', passkey.passkeyId, 'Work laptop')).name).toBe('Work laptop');
    expect((await refusal(w.passkeys.rename(w.admin, 'bob', passkey.passkeyId, 'x'))).code).toBe('not-found');
    await w.passkeys.delete(w.admin, 'alice', passkey.passkeyId);
    expect((await refusal(w.passkeys.delete(w.admin, 'alice', passkey.passkeyId))).code).toBe('not-found');
    expect((await w.users.getUser(userScope(w.a), 'alice'))?.passkeyCount).toBe(0);
  });

  it('removes a passkey of an earlier epoch without lowering the count of the user as they are now', async () => {
    const w = await world();
    const { passkey: old } = await register(w, w.admin, 'alice', new SoftwareAuthenticator());
    // A reset draws a new epoch; the old passkey's record lingers (its deletion raced).
    const before = await w.users.getUser(userScope(w.a), 'alice');
    if (!before) throw new Error('no alice');
    await w.users.putUser(userScope(w.a), { ...before, credentialEpoch: 'ep_alice_2', passkeyCount: 0 }, before.version ?? 0);
    await register(w, w.admin, 'alice', new SoftwareAuthenticator());
    expect((await refusal(w.passkeys.delete(w.admin, 'alice', old.passkeyId))).code).toBe('not-found');
    expect((await w.users.getUser(userScope(w.a), 'alice'))?.passkeyCount).toBe(1);
    expect(await w.store.getPasskey(userScope(w.a), 'alice', old.passkeyId)).toBeUndefined();
  });
});

describe('step-up for a relying app', () => {
  it('lets a user with nothing registered enrol a first passkey without one', async () => {
    const w = await world();
    const started = await w.passkeys.startRegistration(w.a, 'alice', 'auth');
    const { passkey } = await w.passkeys.finishRegistration(w.a, started.registrationId, { response: new SoftwareAuthenticator().create(started.options, ORIGIN) }, 'auth');
    expect(passkey.passkeyId).toBeTruthy();
    // Now alice has a method: the next one needs a step-up.
    expect((await refusal(w.passkeys.startRegistration(w.a, 'alice', 'auth'))).code).toBe('step-up-required');
  });

  it('needs a fresh approved challenge of that user, used once', async () => {
    const w = await world();
    expect((await refusal(w.passkeys.startRegistration(w.a, 'bob', 'auth'))).code).toBe('step-up-required');
    const { view } = await w.challengeService.create(w.a, { userId: 'bob', method: 'sms' });
    const pending = await refusal(w.passkeys.startRegistration(w.a, 'bob', 'auth', view.challengeId));
    expect(pending.code).toBe('step-up-required');
    await w.challengeService.verify(w.a, view.challengeId, lastCode(w));
    // Not for another user, nor another tenant's key.
    expect((await refusal(w.passkeys.startRegistration(w.a, 'dan', 'auth', view.challengeId))).code).toBe('step-up-required');
    expect((await refusal(w.passkeys.startRegistration(w.b, 'carol', 'auth', view.challengeId))).code).toBe('step-up-required');
    await w.passkeys.startRegistration(w.a, 'bob', 'auth', view.challengeId);
    expect((await refusal(w.passkeys.startRegistration(w.a, 'bob', 'auth', view.challengeId))).code).toBe('step-up-required');
  });

  it('refuses a step-up of the same user id in another user space of the tenant', async () => {
    const w = await world();
    const { view } = await w.challengeService.create(w.a, { userId: 'bob', method: 'sms' });
    await w.challengeService.verify(w.a, view.challengeId, lastCode(w));
    const base = tenantWith(TENANT_A, POLICY);
    if (!base.provider) throw new Error('no provider');
    const otherSpace = principalOf({ ...base, provider: { ...base.provider, userSpace: 'prov:another' } });
    await w.users.putUser(userScope(otherSpace), user(TENANT_A, 'bob', { credentialEpoch: 'ep_bob' }));
    expect((await refusal(w.passkeys.startRegistration(otherSpace, 'bob', 'auth', view.challengeId))).code).toBe('step-up-required');
    await w.passkeys.startRegistration(w.a, 'bob', 'auth', view.challengeId);
  });

  it('refuses a step-up approved more than ten minutes ago', async () => {
    const w = await world();
    const { view } = await w.challengeService.create(w.a, { userId: 'bob', method: 'sms' });
    await w.challengeService.verify(w.a, view.challengeId, lastCode(w));
    w.clock.advance(601);
    expect((await refusal(w.passkeys.startRegistration(w.a, 'bob', 'auth', view.challengeId))).code).toBe('step-up-required');
  });
});

describe('passkey sign-in', () => {
  async function signedUp(model: AuthenticatorModel = {}, policy: PasskeyPolicy = POLICY) {
    const w = await world(policy);
    const authenticator = new SoftwareAuthenticator(model);
    const { passkey } = await register(w, w.admin, 'alice', authenticator);
    const start = async () => {
      const { view } = await w.challengeService.create(w.a, { userId: 'alice', method: 'passkey' });
      if (!view.publicKey) throw new Error('no request options');
      return { challengeId: view.challengeId, options: view.publicKey, view };
    };
    return { ...w, authenticator, passkey, start };
  }

  it('answers with request options, approves the assertion and signs amr/acr that say how (device-bound, attested, verified)', async () => {
    const w = await signedUp({ ...ATTESTED, aaguid: YUBIKEY }, { ...POLICY, attestation: 'direct', attestationRoots: [VENDOR.rootPem] });
    const { challengeId, options, view } = await w.start();
    expect(view).toMatchObject({ method: 'passkey', status: 'pending', destination: 'passkey' });
    expect(options).toMatchObject({ rpId: 'example.com', userVerification: 'required', timeout: 300_000, allowCredentials: [{ id: w.passkey.passkeyId, type: 'public-key' }] });
    const { view: approved, assertion } = await w.challengeService.verify(w.a, challengeId, { credential: w.authenticator.get(options, ORIGIN) });
    expect(approved.status).toBe('approved');
    expect(approved.publicKey).toBeUndefined();
    expect(await claimsOf(w, assertion)).toMatchObject({ sub: 'alice', mth: 'passkey', amr: ['hwk', 'user', 'mfa'], acr: 'phrh' });
    // The auth log names the passkey (credential id and model) as the device (R23); the count moved.
    const line = w.logs.audits.map((a) => a.log).find((l) => l.event === 'verify');
    expect(line).toMatchObject({ method: 'passkey', result: 'approved', deviceToken: `${w.passkey.passkeyId} aaguid:${w.passkey.aaguid}` });
    expect((await w.passkeys.list(w.admin, 'alice'))[0]?.lastUsedAt).toBeDefined();
  });

  it('says phr, not phrh, for a device-bound passkey whose hardware is not proven by attestation', async () => {
    for (const model of [{}, { attestation: 'packed', aaguid: YUBIKEY }] as const) {
      const w = await signedUp(model, { ...POLICY, attestation: 'direct', attestationRoots: [VENDOR.rootPem] });
      const { challengeId, options } = await w.start();
      const { assertion } = await w.challengeService.verify(w.a, challengeId, { credential: w.authenticator.get(options, ORIGIN) });
      expect(await claimsOf(w, assertion)).toMatchObject({ amr: ['hwk', 'user', 'mfa'], acr: 'phr' });
    }
  });

  it('offers under an allow-list only passkeys attested then, not those registered before it (none, or self attestation)', async () => {
    const w = await signedUp({ aaguid: YUBIKEY });
    const self = new SoftwareAuthenticator({ attestation: 'packed', aaguid: YUBIKEY });
    await register(w, w.admin, 'alice', self);
    const listed = principalOf(tenantWith(TENANT_A, ALLOW_LIST));
    expect((await refusal(w.challengeService.create(listed, { userId: 'alice', method: 'passkey' }))).details).toMatchObject({ reason: 'passkey_required' });
  });

  it('says swk/phr for a synced passkey that does not count, and no mfa without user verification', async () => {
    const w = await signedUp({ synced: true, counterStep: 0, verifiesUser: false }, { ...POLICY, userVerification: 'preferred' });
    for (let i = 0; i < 2; i++) {
      const { challengeId, options } = await w.start();
      const { assertion } = await w.challengeService.verify(w.a, challengeId, { credential: w.authenticator.get(options, ORIGIN) });
      expect(await claimsOf(w, assertion)).toMatchObject({ amr: ['swk', 'user'], acr: 'phr' });
    }
  });

  it('signs RS256 assertions too', async () => {
    const w = await signedUp({ alg: 'RS256', attestation: 'packed' });
    const { challengeId, options } = await w.start();
    expect((await w.challengeService.verify(w.a, challengeId, { credential: w.authenticator.get(options, ORIGIN) })).view.status).toBe('approved');
  });

  it.each([
    ['a wrong origin', { origin: 'https://evil.test' }],
    ['a wrong RP id', { rpId: 'evil.test' }],
    ['user verification missing when required', { userVerified: false }],
    ['a signature over another challenge', { challenge: Buffer.from('another').toString('base64url') }],
    ['a registration response type', { type: 'webauthn.create' }],
    ['a cross-origin frame', { crossOrigin: true }],
  ])('counts %s as a wrong attempt (R3)', async (_name, tamper) => {
    const w = await signedUp();
    const { challengeId, options } = await w.start();
    const outcome = await refusal(w.challengeService.verify(w.a, challengeId, { credential: w.authenticator.get(options, ORIGIN, tamper) }));
    expect(outcome).toMatchObject({ code: 'passkey-not-accepted', details: { reason: 'credential_rejected', attemptsRemaining: 4 } });
    expect((await w.challengeService.get(w.a, challengeId)).status).toBe('pending');
  });

  it('checks the synced flag of the assertion, not only of the registration', async () => {
    const strict = await signedUp({}, { ...POLICY, allowSynced: false });
    const first = await strict.start();
    const outcome = await refusal(strict.challengeService.verify(strict.a, first.challengeId, { credential: strict.authenticator.get(first.options, ORIGIN, { synced: true }) }));
    expect(outcome).toMatchObject({ code: 'passkey-not-accepted', details: { reason: 'credential_rejected' } });
    // Where synced passkeys are allowed, the assertion's flag decides amr/acr.
    const lax = await signedUp({ ...ATTESTED, aaguid: YUBIKEY }, { ...POLICY, attestation: 'direct', attestationRoots: [VENDOR.rootPem] });
    const second = await lax.start();
    const { assertion } = await lax.challengeService.verify(lax.a, second.challengeId, { credential: lax.authenticator.get(second.options, ORIGIN, { synced: true }) });
    expect(await claimsOf(lax, assertion)).toMatchObject({ amr: ['swk', 'user', 'mfa'], acr: 'phr' });
  });

  it('applies the tenant policy as it is at verify, not as it was when the challenge was issued', async () => {
    const synced = await signedUp({ synced: true });
    const { challengeId, options } = await synced.start();
    const strict = principalOf(tenantWith(TENANT_A, { ...POLICY, allowSynced: false }));
    const outcome = await refusal(synced.challengeService.verify(strict, challengeId, { credential: synced.authenticator.get(options, ORIGIN) }));
    expect(outcome).toMatchObject({ code: 'passkey-not-accepted', details: { reason: 'credential_rejected' } });
    const listed = principalOf(tenantWith(TENANT_A, ALLOW_LIST));
    const again = await synced.start();
    expect((await refusal(synced.challengeService.verify(listed, again.challengeId, { credential: synced.authenticator.get(again.options, ORIGIN) }))).code).toBe('passkey-not-accepted');
    const uv = principalOf(tenantWith(TENANT_A, { ...POLICY, userVerification: 'required' }));
    const lax = await signedUp({ verifiesUser: false }, { ...POLICY, userVerification: 'preferred' });
    const third = await lax.start();
    expect((await refusal(lax.challengeService.verify(uv, third.challengeId, { credential: lax.authenticator.get(third.options, ORIGIN) }))).code).toBe('passkey-not-accepted');
  });

  it('locks the challenge after five rejected assertions', async () => {
    const w = await signedUp();
    const { challengeId, options } = await w.start();
    for (let i = 0; i < 4; i++) await refusal(w.challengeService.verify(w.a, challengeId, { credential: w.authenticator.get(options, 'https://evil.test') }));
    expect((await refusal(w.challengeService.verify(w.a, challengeId, { credential: w.authenticator.get(options, 'https://evil.test') }))).code).toBe('challenge-locked');
  });

  it('accepts an assertion once: a replay on the same challenge or on another is refused', async () => {
    const w = await signedUp();
    const first = await w.start();
    const credential = w.authenticator.get(first.options, ORIGIN);
    await w.challengeService.verify(w.a, first.challengeId, { credential });
    expect((await refusal(w.challengeService.verify(w.a, first.challengeId, { credential }))).code).toBe('challenge-finished');
    const second = await w.start();
    expect((await refusal(w.challengeService.verify(w.a, second.challengeId, { credential }))).details.reason).toBe('credential_rejected');
  });

  it('refuses an assertion after the challenge expired', async () => {
    const w = await signedUp();
    const { challengeId, options } = await w.start();
    w.clock.advance(300);
    expect((await refusal(w.challengeService.verify(w.a, challengeId, { credential: w.authenticator.get(options, ORIGIN) }))).code).toBe('challenge-expired');
  });

  it('denies a sign counter that goes backwards as a possible clone, and tells the admin', async () => {
    const w = await signedUp();
    const clone = w.authenticator.clone();
    const one = await w.start();
    await w.challengeService.verify(w.a, one.challengeId, { credential: w.authenticator.get(one.options, ORIGIN) });
    const two = await w.start();
    await w.challengeService.verify(w.a, two.challengeId, { credential: w.authenticator.get(two.options, ORIGIN) });
    // The clone still counts from where it was copied: 1, not above the stored 2.
    const three = await w.start();
    const outcome = await refusal(w.challengeService.verify(w.a, three.challengeId, { credential: clone.get(three.options, ORIGIN) }));
    expect(outcome).toMatchObject({ code: 'challenge-finished', details: { status: 'denied', reason: 'counter_regressed' } });
    expect(await w.challengeService.get(w.a, three.challengeId)).toMatchObject({ status: 'denied', reason: 'counter_regressed' });
    expect(w.alerts).toEqual([expect.objectContaining({ tenantId: TENANT_A, userId: 'alice', message: expect.stringContaining('cloned') })]);
    const line = w.logs.audits.map((a) => a.log).find((l) => l.challengeId === three.challengeId && l.event === 'verify');
    expect(line).toMatchObject({ result: 'denied', reason: 'counter_regressed' });
  });

  it('denies the clone even when the admins cannot be told', async () => {
    const w = await signedUp();
    const clone = w.authenticator.clone();
    const one = await w.start();
    await w.challengeService.verify(w.a, one.challengeId, { credential: w.authenticator.get(one.options, ORIGIN) });
    w.alerting.fails = true;
    const two = await w.start();
    expect((await refusal(w.challengeService.verify(w.a, two.challengeId, { credential: clone.get(two.options, ORIGIN) }))).details.reason).toBe('counter_regressed');
    expect((await w.challengeService.get(w.a, two.challengeId)).status).toBe('denied');
  });

  it('refuses a passkey of another user, and of another tenant', async () => {
    const w = await signedUp();
    const bobs = new SoftwareAuthenticator();
    await register(w, w.admin, 'bob', bobs);
    const { challengeId, options } = await w.start();
    // Bob's authenticator answers alice's challenge with its own credential.
    const foreign = bobs.get({ ...options, allowCredentials: [] }, ORIGIN);
    expect((await refusal(w.challengeService.verify(w.a, challengeId, { credential: foreign }))).details.reason).toBe('credential_rejected');
    // Tenant B cannot verify tenant A's challenge at all (R27).
    expect((await refusal(w.challengeService.verify(w.b, challengeId, { credential: w.authenticator.get(options, ORIGIN) }))).code).toBe('not-found');
  });

  it('approves exactly one of two verifies of the same assertion (R2)', async () => {
    const w = await signedUp();
    const { challengeId, options } = await w.start();
    const credential = w.authenticator.get(options, ORIGIN);
    const results = await Promise.allSettled([0, 1].map(() => w.challengeService.verify(w.a, challengeId, { credential })));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
  });

  it('approves only one of two challenges answered with the same counter', async () => {
    const w = await signedUp();
    const clone = w.authenticator.clone();
    const [one, two] = [await w.start(), await w.start()];
    const results = await Promise.allSettled([
      w.challengeService.verify(w.a, one.challengeId, { credential: w.authenticator.get(one.options, ORIGIN) }),
      w.challengeService.verify(w.a, two.challengeId, { credential: clone.get(two.options, ORIGIN) }),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
  });

  it('takes a credential, not a code, and a code challenge takes no credential', async () => {
    const w = await signedUp();
    const { challengeId, options } = await w.start();
    expect((await refusal(w.challengeService.verify(w.a, challengeId, '123456'))).code).toBe('method-unavailable');
    const sms = await w.challengeService.create(w.a, { userId: 'bob', method: 'sms' });
    expect((await refusal(w.challengeService.verify(w.a, sms.view.challengeId, { credential: w.authenticator.get(options, ORIGIN) }))).code).toBe('method-unavailable');
  });

  it('needs a policy to start', async () => {
    const w = await signedUp();
    const without = principalOf(tenantWith(TENANT_A, null));
    expect((await refusal(w.challengeService.create(without, { userId: 'alice', method: 'passkey' }))).code).toBe('passkeys-not-configured');
  });

  it('offers no synced passkey once the policy allows only device-bound ones', async () => {
    const w = await signedUp({ synced: true });
    const strict = principalOf(tenantWith(TENANT_A, { ...POLICY, allowSynced: false }));
    expect(await refusal(w.challengeService.create(strict, { userId: 'alice', method: 'passkey' }))).toMatchObject({ code: 'registration-required', details: { reason: 'passkey_required' } });
  });
});

describe('phishing-resistant only', () => {
  it('offers and accepts only passkeys, and says a passkey is required when the user has none (R20)', async () => {
    const w = await world({ ...POLICY, phishingResistantOnly: true });
    const bob = await w.users.getUser(userScope(w.a), 'bob');
    if (!bob) throw new Error('no bob');
    expect(registrationRequired(bob, w.a.tenant.settings)).toBe('passkey_required');
    expect((await refusal(w.challengeService.create(w.a, { userId: 'bob', method: 'sms' }))).code).toBe('phishing-resistant-only');
    expect(await refusal(w.challengeService.create(w.a, { userId: 'bob' }))).toMatchObject({ code: 'registration-required', details: { reason: 'passkey_required' } });
    await register(w, w.admin, 'bob', new SoftwareAuthenticator());
    const withPasskey = await w.users.getUser(userScope(w.a), 'bob');
    expect(usableMethods(withPasskey ?? bob, w.a.tenant.settings)).toEqual(['passkey']);
    expect((await w.challengeService.create(w.a, { userId: 'bob' })).view.method).toBe('passkey');
  });

  it('applies to one user when the user’s flag is set', async () => {
    const w = await world();
    const scope = userScope(w.a);
    const bob = await w.users.getUser(scope, 'bob');
    await w.users.putUser(scope, { ...(bob as NonNullable<typeof bob>), phishingResistantOnly: true }, bob?.version ?? 0);
    expect((await refusal(w.challengeService.create(w.a, { userId: 'bob', method: 'sms' }))).code).toBe('phishing-resistant-only');
    const other = await w.challengeService.create(w.a, { userId: 'alice', method: 'sms' }).catch((e: unknown) => e);
    // alice has no phone: refused for that, not for the policy.
    expect((other as DomainError).code).not.toBe('phishing-resistant-only');
  });
});

describe('a passkey challenge’s request options', () => {
  const stored = (passkeyId: string, transports: string[]): PasskeyRecord => ({
    tenantId: TENANT_A,
    space: '',
    userId: 'bob',
    passkeyId,
    publicKey: '',
    counter: 0,
    transports,
    aaguid: YUBIKEY,
    backupEligible: false,
    backedUp: false,
    name: 'Key',
    createdAt: '2026-11-01T00:00:00.000Z',
  });

  it('are what generateAuthenticationOptions of @simplewebauthn/server makes, without loading it', async () => {
    const usable = [stored('AAECAwQ', ['usb', 'nfc']), stored('BQYHCAk=', [])];
    const ours = passkeyRequestOptions(POLICY, usable);
    const { generateAuthenticationOptions } = await import('@simplewebauthn/server');
    const theirs = await generateAuthenticationOptions({
      rpID: POLICY.rpId,
      allowCredentials: usable.map((p) => ({ id: p.passkeyId, transports: [...p.transports] })),
      userVerification: POLICY.userVerification,
      timeout: PASSKEY_CHALLENGE_TTL_SECONDS * 1000,
    });
    // 32 random bytes, base64url without padding, new for every challenge.
    expect(ours.challenge).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(theirs.challenge).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(passkeyRequestOptions(POLICY, usable).challenge).not.toBe(ours.challenge);
    expect({ ...ours, challenge: '' }).toEqual({
      challenge: '',
      rpId: theirs.rpId,
      timeout: theirs.timeout,
      userVerification: theirs.userVerification,
      allowCredentials: (theirs.allowCredentials ?? []).map((c) => ({ id: c.id, type: c.type, ...(c.transports?.length ? { transports: c.transports } : {}) })),
    });
    expect(ours.allowCredentials.map((c) => c.id)).toEqual(['AAECAwQ', 'BQYHCAk']);
  });

  it('refuse a stored id that is not base64url, as the library does', async () => {
    const { generateAuthenticationOptions } = await import('@simplewebauthn/server');
    const bad = stored('not base64url!', []);
    await expect(generateAuthenticationOptions({ rpID: POLICY.rpId, allowCredentials: [{ id: bad.passkeyId }] })).rejects.toThrow('allowCredential id "not base64url!" is not a valid base64url string');
    expect(() => passkeyRequestOptions(POLICY, [bad])).toThrow('allowCredential id "not base64url!" is not a valid base64url string');
  });
});

describe('cold start', () => {
  it('loads @simplewebauthn/server only when a passkey is used, not with the factor registry, the passkey service or the WebAuthn adapter', () => {
    const root = join(__dirname, '../..');
    const script = `
      require('./shared/domain/factors');
      require('./shared/domain/passkeys');
      require('./shared/adapters/webauthn/simplewebauthn');
      const loaded = () => Object.keys(require.cache).some((path) => path.includes('@simplewebauthn'));
      const before = loaded();
      // The probe sees the library once it is loaded (the passkey tests above show the WebAuthn adapter loads it).
      require('@simplewebauthn/server');
      console.log(JSON.stringify({ before, after: loaded() }));`;
    const run = spawnSync(join(root, 'node_modules/.bin/tsx'), ['-e', script], { cwd: root, encoding: 'utf8' });
    expect(JSON.parse(run.stdout)).toEqual({ before: false, after: true });
  });
});
