/**
 * Remembered devices (issue 16) through RememberedDeviceService with in-memory fakes: issue after
 * an approved challenge, checks, expiry at its edge, the challenge's age, replay and race, every
 * revocation path by its epoch, and what is logged, counted and billed.
 */
import { newCredentialEpoch, newRememberedEpoch } from '../../shared/domain/credentials';
import { sha256Hex } from '../../shared/domain/crypto';
import { DeviceNotRememberedError, NotFoundError, PhishingResistantOnlyError, RememberedDevicesDisabledError, UserBlockedError } from '../../shared/domain/errors';
import { RememberedDeviceService, revokeRememberedDevices } from '../../shared/domain/remembered-devices';
import { DEFAULT_SETTINGS, type Challenge, type Principal, type TenantSettings, type User } from '../../shared/domain/types';
import { REMEMBERED_DEVICE_STEP_UP_SECONDS, REMEMBERED_DEVICES_LISTED } from '../../shared/rules';
import { FakeClock, InMemoryLogStore, InMemoryUserStore, principalOf, SilentLog, tenantFixture } from '../support/fakes';
import { InMemoryRememberedDeviceStore } from '../support/in-memory-remembered-devices';

const TENANT = `tn${'d'.repeat(24)}`;
const OTHER = `tn${'e'.repeat(24)}`;
const DAY = 24 * 3600;
const BINDING = 'device-cookie-hash-0123456789';

/** `null`: the tenant never set remembered devices (off by default). */
function setup(remembered: TenantSettings['rememberedDevices'] | null = { enabled: true, days: 30 }) {
  const clock = new FakeClock();
  const users = new InMemoryUserStore();
  const challenges = new Map<string, Challenge>();
  const challengeStore = { get: async (id: string) => challenges.get(id) };
  const store = new InMemoryRememberedDeviceStore(challengeStore);
  const logs = new InMemoryLogStore();
  const log = new SilentLog();
  const service = new RememberedDeviceService({ store, users, challenges: challengeStore, clock, logs, log });
  let settings: TenantSettings = { ...DEFAULT_SETTINGS, ...(remembered ? { rememberedDevices: remembered } : {}) };
  const principal = (tenantId = TENANT): Principal => principalOf(tenantFixture(tenantId, { settings }), 'auth');
  const scope = { tenantId: TENANT, space: `prov:pv_${TENANT}` };
  let n = 0;
  const addUser = async (userId = 'ada', extra: Partial<User> = {}): Promise<User> => {
    const now = new Date(clock.now()).toISOString();
    const user: User = { tenantId: TENANT, userId, phones: { backup: [] }, mfaEnabled: true, licensed: false, credentialEpoch: newCredentialEpoch(), createdAt: now, updatedAt: now, ...extra };
    await users.putUser(scope, user);
    return (await users.getUser(scope, userId)) as User;
  };
  const approvedChallenge = (user: User, overrides: Partial<Challenge> = {}): string => {
    const challengeId = `ch_${String(n++).padStart(22, '0')}`;
    const now = clock.now();
    challenges.set(challengeId, {
      challengeId,
      tenantId: TENANT,
      userId: user.userId,
      method: 'sms',
      status: 'approved',
      wrongAttempts: 0,
      sends: 1,
      createdAt: now,
      lastSentAt: now,
      expiresAt: now + 180_000,
      approvedAt: now,
      destination: '+1******0100',
      destinationE164: '+14155550100',
      audit: {},
      owner: { space: scope.space, ...(user.credentialEpoch ? { epoch: user.credentialEpoch } : {}) },
      ...overrides,
    });
    return challengeId;
  };
  const setSettings = (next: Partial<TenantSettings>) => {
    settings = { ...settings, ...next };
  };
  const editUser = async (userId: string, change: (u: User) => User) => {
    const user = (await users.getUser(scope, userId)) as User;
    expect((await users.putUser(scope, change(user), user.version ?? 0)).kind).toBe('written');
  };
  return { clock, users, store, logs, log, service, principal, scope, addUser, approvedChallenge, setSettings, editUser };
}

async function refusal(promise: Promise<unknown>): Promise<DeviceNotRememberedError> {
  const error = await promise.catch((e: unknown) => e);
  if (!(error instanceof DeviceNotRememberedError)) throw new Error(`expected DeviceNotRememberedError, got ${String(error)}`);
  return error;
}

describe('issue 16: remembering a device', () => {
  it('answers a token once, stores only hashes, and the check says remembered with the expiry', async () => {
    const w = setup();
    const user = await w.addUser();
    const issued = await w.service.remember(w.principal(), w.approvedChallenge(user), BINDING);
    expect(issued.token).toMatch(/^rdt_[A-Za-z0-9_-]{43}$/);
    expect(issued.expiresAt).toBe(new Date(w.clock.now() + 30 * DAY * 1000).toISOString());
    const stored = JSON.stringify([...w.store.records.values()].map((m) => [...m.values()]));
    expect(stored).toContain(sha256Hex(issued.token));
    expect(stored).not.toContain(issued.token);
    expect(stored).not.toContain(BINDING);
    expect(await w.service.check(w.principal(), 'ada', issued.token, BINDING)).toEqual({ status: 'remembered', expiresAt: issued.expiresAt });
    expect(JSON.stringify(w.log.entries)).not.toContain(issued.token);
  });

  it('is refused while the tenant has remembered devices off (the default), and checks too', async () => {
    const w = setup(null);
    const user = await w.addUser();
    await expect(w.service.remember(w.principal(), w.approvedChallenge(user), BINDING)).rejects.toBeInstanceOf(RememberedDevicesDisabledError);
    await expect(w.service.check(w.principal(), 'ada', `rdt_${'A'.repeat(43)}`, BINDING)).rejects.toBeInstanceOf(RememberedDevicesDisabledError);
    expect(w.logs.audits.map((a) => [a.log.method, a.log.result, a.log.reason])).toEqual([['remembered_device', 'denied', 'remembered_devices_disabled']]);
  });

  it('R27: a challenge of another tenant is not found', async () => {
    const w = setup();
    const user = await w.addUser();
    const challengeId = w.approvedChallenge(user, { tenantId: OTHER });
    await expect(w.service.remember(w.principal(), challengeId, BINDING)).rejects.toBeInstanceOf(NotFoundError);
    await expect(w.service.remember(w.principal(), 'ch_nonexistent0000000000000', BINDING)).rejects.toBeInstanceOf(NotFoundError);
  });

  it.each([
    ['pending', { status: 'pending' as const, approvedAt: undefined }],
    ['denied', { status: 'denied' as const, approvedAt: undefined, denialReason: 'denied' as const }],
  ])('a %s challenge is refused as not_approved', async (_name, overrides) => {
    const w = setup();
    const user = await w.addUser();
    expect((await refusal(w.service.remember(w.principal(), w.approvedChallenge(user, overrides), BINDING))).details.reason).toBe('not_approved');
  });

  it.each(['recovery', 'tap'] as const)('a %s sign-in cannot remember a device (a way back must not outlive itself)', async (method) => {
    const w = setup();
    const user = await w.addUser();
    expect((await refusal(w.service.remember(w.principal(), w.approvedChallenge(user, { method }), BINDING))).details.reason).toBe('method_not_rememberable');
    // The same user on an ordinary factor's approved challenge is remembered.
    await expect(w.service.remember(w.principal(), w.approvedChallenge(user), BINDING)).resolves.toMatchObject({ token: expect.any(String) });
  });

  it(`the challenge must have been approved less than ${REMEMBERED_DEVICE_STEP_UP_SECONDS} s ago (edge)`, async () => {
    const w = setup();
    const user = await w.addUser();
    const first = w.approvedChallenge(user);
    const second = w.approvedChallenge(user);
    w.clock.advance(REMEMBERED_DEVICE_STEP_UP_SECONDS - 1);
    await w.service.remember(w.principal(), first, BINDING);
    w.clock.advance(1);
    expect((await refusal(w.service.remember(w.principal(), second, BINDING))).details.reason).toBe('too_old');
  });

  it('a challenge remembers one device: a replay and a race get one token', async () => {
    const w = setup();
    const user = await w.addUser();
    const challengeId = w.approvedChallenge(user);
    const results = await Promise.allSettled([1, 2, 3].map(() => w.service.remember(w.principal(), challengeId, BINDING)));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect((await refusal(w.service.remember(w.principal(), challengeId, BINDING))).details.reason).toBe('already_used');
  });

  it('refuses a challenge of another user space of the tenant (the step-up’s rule)', async () => {
    const w = setup();
    const user = await w.addUser();
    const challengeId = w.approvedChallenge(user, { owner: { space: 'prov:pv_an_earlier_provider', ...(user.credentialEpoch ? { epoch: user.credentialEpoch } : {}) } });
    expect((await refusal(w.service.remember(w.principal(), challengeId, BINDING))).details.reason).toBe('user_changed');
  });

  it('refuses a challenge approved before the user’s last unblock (the step-up’s rule)', async () => {
    const w = setup();
    const user = await w.addUser();
    const beforeBlock = w.approvedChallenge(user);
    w.clock.advance(1);
    await w.editUser('ada', (u) => ({ ...u, unblockedAt: new Date(w.clock.now()).toISOString() }));
    expect((await refusal(w.service.remember(w.principal(), beforeBlock, BINDING))).details.reason).toBe('too_old');
    w.clock.advance(1);
    await expect(w.service.remember(w.principal(), w.approvedChallenge(user), BINDING)).resolves.toMatchObject({ token: expect.any(String) });
  });

  it('refuses a user reset since the approval, a blocked user and a phishing-resistant-only one', async () => {
    const w = setup();
    const ada = await w.addUser('ada');
    const reset = w.approvedChallenge(ada);
    await w.editUser('ada', (u) => ({ ...u, credentialEpoch: newCredentialEpoch() }));
    expect((await refusal(w.service.remember(w.principal(), reset, BINDING))).details.reason).toBe('user_changed');
    const bob = await w.addUser('bob', { blocked: { at: new Date(w.clock.now()).toISOString(), reason: 'lost phone' } });
    await expect(w.service.remember(w.principal(), w.approvedChallenge(bob), BINDING)).rejects.toBeInstanceOf(UserBlockedError);
    const cy = await w.addUser('cy', { phishingResistantOnly: true });
    await expect(w.service.remember(w.principal(), w.approvedChallenge(cy), BINDING)).rejects.toBeInstanceOf(PhishingResistantOnlyError);
  });
});

describe('issue 16: checking a token', () => {
  async function remembered(days = 30) {
    const w = setup({ enabled: true, days });
    const user = await w.addUser();
    const issued = await w.service.remember(w.principal(), w.approvedChallenge(user), BINDING);
    const status = async () => (await w.service.check(w.principal(), 'ada', issued.token, BINDING)).status;
    return { ...w, issued, status };
  }

  it('another binding, another user, another tenant or a token never issued are unknown', async () => {
    const w = await remembered();
    await w.addUser('bob');
    expect((await w.service.check(w.principal(), 'ada', w.issued.token, `${BINDING}-other`)).status).toBe('unknown');
    expect((await w.service.check(w.principal(), 'bob', w.issued.token, BINDING)).status).toBe('unknown');
    expect((await w.service.check(w.principal(OTHER), 'ada', w.issued.token, BINDING)).status).toBe('unknown');
    expect((await w.service.check(w.principal(), 'ada', `rdt_${'A'.repeat(43)}`, BINDING)).status).toBe('unknown');
    expect(await w.status()).toBe('remembered');
  });

  it.each([1, 365])('a window of %i days: remembered until the last millisecond, expired at its end', async (days) => {
    const w = await remembered(days);
    w.clock.advance(days * DAY - 0.001);
    expect(await w.status()).toBe('remembered');
    w.clock.advance(0.001);
    expect(await w.status()).toBe('expired');
  });

  it('a lower window shortens tokens already issued; a higher one does not lengthen them', async () => {
    const w = await remembered(30);
    w.setSettings({ rememberedDevices: { enabled: true, days: 1 } });
    w.clock.advance(DAY);
    expect(await w.status()).toBe('expired');
    w.setSettings({ rememberedDevices: { enabled: true, days: 365 } });
    expect(await w.status()).toBe('remembered');
    w.clock.advance(29 * DAY);
    expect(await w.status()).toBe('expired');
  });

  it('revoked, at once: an admin revokes all (and the count says how many were live)', async () => {
    const w = await remembered();
    expect((await w.service.list(w.principal(), 'ada')).count).toBe(1);
    expect(await w.service.revokeAll(w.principal(), 'ada')).toEqual({ revoked: 1 });
    expect(await w.status()).toBe('revoked');
    expect(await w.service.list(w.principal(), 'ada')).toEqual({ count: 0, items: [] });
    await expect(w.service.revokeAll(w.principal(), 'nobody')).rejects.toBeInstanceOf(NotFoundError);
  });

  it(`lists every live device however many revoked ones are stored before them (more than ${REMEMBERED_DEVICES_LISTED}: every page is read)`, async () => {
    const w = setup();
    const user = await w.addUser();
    for (let i = 0; i <= REMEMBERED_DEVICES_LISTED; i++) await w.service.remember(w.principal(), w.approvedChallenge(user), BINDING);
    expect(await w.service.revokeAll(w.principal(), 'ada')).toEqual({ revoked: REMEMBERED_DEVICES_LISTED + 1 });
    const fresh = (await w.users.getUser(w.scope, 'ada')) as User;
    const live = await w.service.remember(w.principal(), w.approvedChallenge(fresh), BINDING);
    expect(await w.service.list(w.principal(), 'ada')).toEqual({ count: 1, items: [expect.objectContaining({ deviceId: live.deviceId })] });
    expect(await w.service.revokeAll(w.principal(), 'ada')).toEqual({ revoked: 1 });
  });

  it.each<[string, (u: User) => User]>([
    ['a reset (new credential epoch)', (u) => ({ ...u, credentialEpoch: newCredentialEpoch() })],
    ['a block', (u) => ({ ...u, blocked: { at: u.updatedAt, reason: 'admin' } })],
    ['a new remembered-devices epoch (block, fraud report, phishing-resistant only)', (u) => ({ ...u, rememberedEpoch: newRememberedEpoch() })],
    ['phishing-resistant only for the user', (u) => ({ ...u, phishingResistantOnly: true })],
  ])('revoked by %s', async (_name, change) => {
    const w = await remembered();
    await w.editUser('ada', change);
    expect(await w.status()).toBe('revoked');
  });

  it('revoked by the deletion of the user', async () => {
    const w = await remembered();
    const user = (await w.users.getUser(w.scope, 'ada')) as User;
    await w.users.deleteUser(w.scope, user);
    expect(await w.status()).toBe('revoked');
  });

  it('revoked by revokeRememberedDevices, as a fraud report calls it; false for no user', async () => {
    const w = await remembered();
    expect(await revokeRememberedDevices(w.users, w.scope, 'ada', w.clock.now())).toBe(true);
    expect(await w.status()).toBe('revoked');
    expect(await revokeRememberedDevices(w.users, w.scope, 'nobody', w.clock.now())).toBe(false);
  });

  it('revoked by a new tenant epoch (turned off, or phishing-resistant only for the tenant), and while the tenant is phishing-resistant only', async () => {
    const w = await remembered();
    w.setSettings({ rememberedDevices: { enabled: true, days: 30, epoch: newRememberedEpoch() } });
    expect(await w.status()).toBe('revoked');
    const v = await remembered();
    v.setSettings({ passkeys: { rpId: 'example.com', rpName: 'Example', origins: ['https://example.com'], userVerification: 'required', attestation: 'none', allowSynced: true, phishingResistantOnly: true } });
    expect(await v.status()).toBe('revoked');
  });

  it('every check is one auth-log line, never counted in usage nor billed (R24)', async () => {
    const w = await remembered();
    await w.status();
    await w.service.check(w.principal(), 'ada', w.issued.token, `${BINDING}-x`);
    w.clock.advance(31 * DAY);
    await w.status();
    expect(w.logs.audits.map((a) => [a.log.method, a.log.event, a.log.result, a.log.reason])).toEqual([
      ['remembered_device', 'verify', 'approved', undefined],
      ['remembered_device', 'verify', 'denied', 'unknown'],
      ['remembered_device', 'verify', 'denied', 'expired'],
    ]);
    for (const audit of w.logs.audits) {
      expect(audit.usage).toEqual([]);
      expect(audit.billedTo).toBeUndefined();
      expect(JSON.stringify(audit)).not.toContain(w.issued.token);
    }
  });
});
