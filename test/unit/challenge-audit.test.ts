import { FailoverSmsSender } from '../../shared/adapters/sms/failover-sms-sender';
import {
  ChallengeExpiredError,
  ChallengeFinishedError,
  ChallengeLockedError,
  CountryNotAllowedError,
  DeliveryFailedError,
  NotFoundError,
  ProviderRequiredError,
  RetryLaterError,
  UserBlockedError,
  WrongCodeError,
} from '../../shared/domain/errors';
import { DEFAULT_SETTINGS, type Principal, type TenantSettings } from '../../shared/domain/types';
import { userScope } from '../../shared/domain/users';
import { CODE_TTL_SECONDS, MAX_WRONG_CODES, RESEND_COOLDOWN_SECONDS } from '../../shared/rules';
import { RecordingSmsSender, SilentLog, T0, principalOf, tenantFixture } from '../support/fakes';
import { TENANT_A, otherThan, tenantA, tenantB, user, world } from './challenge-world';

const DAY = new Date(T0).toISOString().slice(0, 10);

/** Tenant A as its key would load it with other settings (same provider, so the same users). */
function tenantAWith(settings: Partial<TenantSettings>, extra: Partial<Principal> = {}): Principal {
  return principalOf(tenantFixture(TENANT_A, { settings: { ...DEFAULT_SETTINGS, ...settings } }), 'auth', extra);
}

describe('R19 a blocked user gets no challenge', () => {
  it('R23: refuses with UserBlockedError and the reason, sends nothing, stores nothing, counts nothing, logs the refusal', async () => {
    const { service, users, sms, challenges, logs } = await world();
    await users.putUser(userScope(tenantA), user(TENANT_A, 'mallory', { blocked: { at: new Date(T0).toISOString(), reason: 'reported fraud' } }));
    const error = await service.create(tenantA, { userId: 'mallory' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserBlockedError);
    expect((error as UserBlockedError).details).toEqual({ reason: 'reported fraud' });
    expect(sms.sent).toEqual([]);
    expect(challenges.all()).toEqual([]);
    expect(logs.audits).toEqual([
      { log: expect.objectContaining({ userId: 'mallory', event: 'challenge', result: 'denied', reason: 'user_blocked' }), usage: [] },
    ]);
  });
});

describe('Allowed countries: codes go only where the tenant allows', () => {
  it('R23: refuses a number in another country with CountryNotAllowedError, sends nothing, logs the refusal', async () => {
    const { service, sms, challenges, logs } = await world();
    const error = await service.create(tenantAWith({ allowedCountries: ['FR', 'DE'] }), { userId: 'alice' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CountryNotAllowedError);
    expect((error as CountryNotAllowedError).details).toEqual({ country: 'US' });
    expect(sms.sent).toEqual([]);
    expect(challenges.all()).toEqual([]);
    expect(logs.audits).toEqual([{ log: expect.objectContaining({ userId: 'alice', result: 'denied', reason: 'country_not_allowed' }), usage: [] }]);
  });

  it('sends to a number in an allowed country', async () => {
    const { service, sms } = await world();
    await expect(service.create(tenantAWith({ allowedCountries: ['FR', 'US'] }), { userId: 'alice' })).resolves.toMatchObject({
      view: { status: 'pending' },
    });
    expect(sms.sent).toHaveLength(1);
  });
});

describe('R17 a tenant without a provider cannot challenge', () => {
  it('refuses with ProviderRequiredError and sends nothing', async () => {
    const { service, sms, challenges } = await world();
    const noProvider = principalOf(tenantFixture(TENANT_A, { provider: undefined }));
    await expect(service.create(noProvider, { userId: 'alice' })).rejects.toThrow(ProviderRequiredError);
    expect(sms.sent).toEqual([]);
    expect(challenges.all()).toEqual([]);
  });
});

describe('R23 every create, verify and resend writes its audit', () => {
  it('create: one line, result sent, counted once as sent, in the same change as the challenge', async () => {
    const { service, challenges, logs } = await world();
    const caller = { ...tenantA, sourceIp: '203.0.113.7' };
    const { view } = await service.create(caller, { userId: 'alice', context: { clientIp: '198.51.100.4', appName: 'VPN' } });
    expect(challenges.audits).toHaveLength(1);
    expect(challenges.audits[0]?.log).toEqual({
      logId: expect.stringMatching(/^lg_/),
      tenantId: TENANT_A,
      time: new Date(T0).toISOString(),
      userId: 'alice',
      phone: '••••••••0100',
      method: 'sms',
      event: 'challenge',
      result: 'sent',
      challengeId: view.challengeId,
      apiKeyId: tenantA.keyId,
      apiKeyName: tenantA.keyName,
      serverIp: '203.0.113.7',
      clientIp: '198.51.100.4',
    });
    expect(challenges.audits[0]?.usage).toEqual([{ tenantId: TENANT_A, day: DAY, method: 'sms', result: 'sent', delta: 1 }]);
    expect(logs.count(TENANT_A, DAY, 'sms', 'sent')).toBe(1);
  });

  it("logs the user's names and email only when the tenant keeps optional fields", async () => {
    const { service, users, logs, challenges } = await world();
    const named = user(TENANT_A, 'nina', { firstName: 'Nina', lastName: 'Simone', email: 'nina@example.com' });
    await users.putUser(userScope(tenantA), named);
    await service.create(tenantAWith({ logOptionalFields: true }), { userId: 'nina' });
    await service.create(tenantAWith({ logOptionalFields: false }), { userId: 'nina' });
    const [kept, dropped] = logs.lines(TENANT_A);
    expect(kept).toMatchObject({ firstName: 'Nina', lastName: 'Simone', email: 'nina@example.com' });
    expect(Object.keys(dropped ?? {})).toEqual(expect.not.arrayContaining(['firstName', 'lastName', 'email']));
    expect(JSON.stringify(challenges.all().find((c) => c.challengeId === dropped?.challengeId))).not.toContain('Nina');
  });

  it('verify with the right code: result approved, counted as approved', async () => {
    const { service, sms, challenges, logs } = await world();
    const { view } = await service.create(tenantA, { userId: 'alice' });
    await service.verify(tenantA, view.challengeId, sms.lastCode());
    expect(challenges.audits.map((a) => [a.log.event, a.log.result, a.log.reason])).toEqual([
      ['challenge', 'sent', undefined],
      ['verify', 'approved', undefined],
    ]);
    expect(challenges.audits[1]?.usage).toEqual([{ tenantId: TENANT_A, day: DAY, method: 'sms', result: 'approved', delta: 1 }]);
    expect(logs.count(TENANT_A, DAY, 'sms', 'approved')).toBe(1);
  });

  it('verify with a wrong code: result denied, reason wrong_code, counted as denied', async () => {
    const { service, sms, challenges, logs } = await world();
    const { view } = await service.create(tenantA, { userId: 'alice' });
    await expect(service.verify(tenantA, view.challengeId, otherThan(sms.lastCode()))).rejects.toThrow(WrongCodeError);
    expect(challenges.audits[1]?.log).toMatchObject({ event: 'verify', result: 'denied', reason: 'wrong_code', challengeId: view.challengeId });
    expect(challenges.audits[1]?.usage).toEqual([{ tenantId: TENANT_A, day: DAY, method: 'sms', result: 'denied', delta: 1 }]);
    expect(logs.count(TENANT_A, DAY, 'sms', 'denied')).toBe(1);
  });

  it('resend: result sent, logged but not counted again', async () => {
    const { service, challenges, logs, clock } = await world();
    const { view } = await service.create(tenantA, { userId: 'alice' });
    clock.advance(RESEND_COOLDOWN_SECONDS);
    await service.resend(tenantA, view.challengeId);
    expect(challenges.audits[1]?.log).toMatchObject({ event: 'resend', result: 'sent', time: new Date(clock.now()).toISOString() });
    expect(challenges.audits[1]?.usage).toEqual([]);
    expect(logs.count(TENANT_A, DAY, 'sms', 'sent')).toBe(1);
  });

  it('R23: a refused resend changes nothing and is one log line with its reason, counted nowhere', async () => {
    const { service, challenges, logs } = await world();
    const { view } = await service.create(tenantA, { userId: 'alice' });
    await expect(service.resend(tenantA, view.challengeId)).rejects.toThrow(RetryLaterError);
    expect(challenges.audits).toHaveLength(1);
    expect(logs.audits).toHaveLength(2);
    expect(logs.audits[1]).toEqual({
      log: expect.objectContaining({ event: 'resend', result: 'throttled', reason: 'resend_cooldown', challengeId: view.challengeId }),
      usage: [],
    });
  });

  it.each([
    ['expired', 'expired'],
    ['already approved', 'already_used'],
    ['locked', 'locked'],
  ])('a verify on a challenge that is %s is logged as denied with reason %s, outside any challenge change', async (state, reason) => {
    const { service, sms, challenges, logs, clock } = await world();
    const { view } = await service.create(tenantA, { userId: 'alice' });
    const code = sms.lastCode();
    if (state === 'expired') clock.advance(CODE_TTL_SECONDS);
    if (state === 'already approved') await service.verify(tenantA, view.challengeId, code);
    if (state === 'locked') {
      for (let i = 0; i < MAX_WRONG_CODES; i++) await service.verify(tenantA, view.challengeId, otherThan(code)).catch(() => undefined);
    }
    const committed = challenges.audits.length;
    const before = logs.count(TENANT_A, DAY, 'sms', 'denied');
    await expect(service.verify(tenantA, view.challengeId, code)).rejects.toThrow(
      { expired: ChallengeExpiredError, 'already approved': ChallengeFinishedError, locked: ChallengeLockedError }[state],
    );
    expect(challenges.audits).toHaveLength(committed);
    expect(logs.lines(TENANT_A).at(-1)).toMatchObject({ event: 'verify', result: 'denied', reason, challengeId: view.challengeId });
    expect(logs.count(TENANT_A, DAY, 'sms', 'denied')).toBe(before + 1);
  });

  it('failed delivery: the challenge is denied with a failed line, and the sent count becomes a failed one (R16)', async () => {
    const down = new RecordingSmsSender('down');
    down.failWith = new Error('provider down');
    const { service, challenges, logs } = await world({ sms: new FailoverSmsSender([down], new SilentLog()) });
    await expect(service.create(tenantA, { userId: 'alice' })).rejects.toThrow(DeliveryFailedError);
    expect(challenges.audits.map((a) => [a.log.event, a.log.result, a.log.reason])).toEqual([
      ['challenge', 'sent', undefined],
      ['challenge', 'failed', 'delivery_failed'],
    ]);
    expect(logs.count(TENANT_A, DAY, 'sms', 'sent')).toBe(0);
    expect(logs.count(TENANT_A, DAY, 'sms', 'failed')).toBe(1);
    await expect(logs.month(TENANT_A, DAY.slice(0, 7))).resolves.toEqual([{ day: DAY, method: 'sms', result: 'failed', count: 1 }]);
  });

  it("R27 another tenant's verify and resend write nothing to either tenant's log", async () => {
    const { service, sms, logs, clock } = await world();
    const { view } = await service.create(tenantA, { userId: 'alice' });
    clock.advance(RESEND_COOLDOWN_SECONDS);
    await expect(service.verify(tenantB, view.challengeId, sms.lastCode())).rejects.toThrow(NotFoundError);
    await expect(service.verify(tenantB, view.challengeId, otherThan(sms.lastCode()))).rejects.toThrow(NotFoundError);
    await expect(service.resend(tenantB, view.challengeId)).rejects.toThrow(NotFoundError);
    expect(logs.audits).toHaveLength(1);
    expect(logs.lines(tenantB.tenantId)).toEqual([]);
  });
});

describe('R3 concurrent wrong codes are counted exactly', () => {
  it('five wrong codes at once: each caller learns a distinct count, the fifth locks, nothing is lost', async () => {
    const { service, sms, challenges, logs } = await world();
    const { view } = await service.create(tenantA, { userId: 'alice' });
    const code = sms.lastCode();
    const results = await Promise.allSettled(
      Array.from({ length: MAX_WRONG_CODES }, () => service.verify(tenantA, view.challengeId, otherThan(code))),
    );
    const errors = results.map((r) => (r.status === 'rejected' ? r.reason : r.value));
    const remaining = errors.filter((e): e is WrongCodeError => e instanceof WrongCodeError).map((e) => e.details.attemptsRemaining);
    expect(remaining.sort()).toEqual([1, 2, 3, 4]);
    expect(errors.filter((e) => e instanceof ChallengeLockedError)).toHaveLength(1);
    expect(challenges.all()[0]?.wrongAttempts).toBe(MAX_WRONG_CODES);
    expect(logs.lines(TENANT_A).filter((l) => l.reason === 'wrong_code')).toHaveLength(MAX_WRONG_CODES);
    expect(logs.count(TENANT_A, DAY, 'sms', 'denied')).toBe(MAX_WRONG_CODES);
    await expect(service.verify(tenantA, view.challengeId, code)).rejects.toThrow(ChallengeLockedError);
  });

  it('more wrong codes at once than allowed: exactly five are counted, the rest refused as locked', async () => {
    const { service, sms, challenges, logs } = await world();
    const { view } = await service.create(tenantA, { userId: 'alice' });
    const results = await Promise.allSettled(
      Array.from({ length: MAX_WRONG_CODES + 3 }, () => service.verify(tenantA, view.challengeId, otherThan(sms.lastCode()))),
    );
    const reasons = results.map((r) => (r.status === 'rejected' ? r.reason : r.value));
    expect(reasons.filter((e) => e instanceof WrongCodeError)).toHaveLength(MAX_WRONG_CODES - 1);
    expect(reasons.filter((e) => e instanceof ChallengeLockedError)).toHaveLength(4);
    expect(challenges.all()[0]?.wrongAttempts).toBe(MAX_WRONG_CODES);
    const lines = logs.lines(TENANT_A);
    expect(lines.filter((l) => l.reason === 'wrong_code')).toHaveLength(MAX_WRONG_CODES);
    expect(lines.filter((l) => l.reason === 'locked')).toHaveLength(3);
  });

  it('wrong codes racing the right one: one approval, and the log counts exactly the wrong codes stored', async () => {
    const { service, sms, challenges, logs } = await world();
    const { view } = await service.create(tenantA, { userId: 'alice' });
    const code = sms.lastCode();
    const results = await Promise.allSettled([
      service.verify(tenantA, view.challengeId, otherThan(code)),
      service.verify(tenantA, view.challengeId, code),
      service.verify(tenantA, view.challengeId, otherThan(code)),
      service.verify(tenantA, view.challengeId, otherThan(code)),
    ]);
    expect(results[1]).toMatchObject({ status: 'fulfilled', value: { view: { status: 'approved' } } });
    for (const r of [results[0], results[2], results[3]]) {
      expect(r?.status === 'rejected' && (r.reason instanceof WrongCodeError || r.reason instanceof ChallengeFinishedError)).toBe(true);
    }
    const [stored] = challenges.all();
    expect(stored?.status).toBe('approved');
    expect(logs.lines(TENANT_A).filter((l) => l.reason === 'wrong_code')).toHaveLength(stored?.wrongAttempts ?? -1);
    expect(logs.lines(TENANT_A).filter((l) => l.result === 'approved')).toHaveLength(1);
  });
});
