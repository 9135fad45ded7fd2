import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { FailoverSmsSender } from '../../shared/adapters/sms/failover-sms-sender';
import { hashCode } from '../../shared/domain/crypto';
import {
  ChallengeExpiredError,
  ChallengeFinishedError,
  ChallengeLockedError,
  DeliveryFailedError,
  IdempotencyConflictError,
  MethodUnavailableError,
  MfaNotEnabledError,
  NotFoundError,
  RegistrationRequiredError,
  ResendRefusedError,
  RetryLaterError,
  WrongCodeError,
} from '../../shared/domain/errors';
import {
  ASSERTION_TTL_SECONDS,
  CODE_TTL_SECONDS,
  MAX_RESENDS_PER_CHALLENGE,
  MAX_WRONG_CODES,
  RESEND_COOLDOWN_SECONDS,
  USER_CHALLENGE_WINDOW_SECONDS,
  USER_CHALLENGES_PER_WINDOW,
} from '../../shared/rules';
import { InMemorySigningKeyStore, RecordingSmsSender, SilentLog, T0 } from '../support/fakes';
import { ISSUER, PHONE, TENANT_A, otherThan, tenantA, tenantB, world } from './challenge-world';

describe('R1 creating an SMS challenge', () => {
  it('sends one SMS with a six-digit code to the primary number', async () => {
    const { service, sms } = await world();
    const { view, replayed } = await service.create(tenantA, { userId: 'alice' });
    expect(replayed).toBe(false);
    expect(sms.sent).toHaveLength(1);
    expect(sms.sent[0]?.to).toBe(PHONE);
    expect(sms.sent[0]?.body).toMatch(/^\d{6} is your verification code\./);
    expect(view).toMatchObject({
      userId: 'alice',
      method: 'sms',
      status: 'pending',
      destination: '••••••••0100',
      createdAt: new Date(T0).toISOString(),
      expiresAt: new Date(T0 + CODE_TTL_SECONDS * 1000).toISOString(),
      attemptsRemaining: MAX_WRONG_CODES,
      resendsRemaining: MAX_RESENDS_PER_CHALLENGE,
    });
    expect(view.challengeId).toMatch(/^ch_[A-Za-z0-9_-]{22}$/);
  });

  it('stores only the HMAC of the code, bound to the challenge, never the code', async () => {
    const { service, sms, challenges, codeKey } = await world();
    const { view } = await service.create(tenantA, { userId: 'alice' });
    const code = sms.lastCode();
    const [stored] = challenges.all();
    expect(challenges.all()).toHaveLength(1);
    expect(stored?.codeHash).toBe(hashCode(await codeKey.get(), view.challengeId, code));
    expect(stored?.expiresAt).toBe(T0 + CODE_TTL_SECONDS * 1000);
    expect(JSON.stringify(stored)).not.toContain(`"${code}"`);
    expect(Object.values(stored ?? {})).not.toContain(Number(code));
  });

  it('answers a view without the code, its hash or the full number', async () => {
    const { service, sms } = await world();
    const { view } = await service.create(tenantA, { userId: 'alice' });
    // The random challenge id is left out: it may contain six digits in a row by chance.
    const text = JSON.stringify({ ...view, challengeId: undefined });
    expect(text).not.toContain(sms.lastCode());
    expect(text).not.toContain('4155550100');
    expect(Object.keys(view)).not.toEqual(expect.arrayContaining(['codeHash']));
  });
});

describe('R4 verifying the right code', () => {
  it('loads the signing key before spending the code: a failing key read refuses the verify and the same code works on retry', async () => {
    const { service, sms, challenges } = await world();
    const { view: created } = await service.create(tenantA, { userId: 'alice' });
    const code = sms.lastCode();
    const busy = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    const list = jest.spyOn(InMemorySigningKeyStore.prototype, 'list').mockRejectedValueOnce(busy);
    try {
      await expect(service.verify(tenantA, created.challengeId, code)).rejects.toBe(busy);
      expect((await challenges.get(created.challengeId))?.status).toBe('pending');
      const { view, assertion } = await service.verify(tenantA, created.challengeId, code);
      expect(view.status).toBe('approved');
      expect(assertion.split('.')).toHaveLength(3);
    } finally {
      list.mockRestore();
    }
  });


  it('approves and returns an ES256 JWT that verifies against the JWKS with the right claims', async () => {
    const { service, sms, signer, clock } = await world();
    const { view: created } = await service.create(tenantA, { userId: 'alice' });
    clock.advance(30);
    const { view, assertion } = await service.verify(tenantA, created.challengeId, sms.lastCode());
    expect(view.status).toBe('approved');

    const jwks = await signer.jwks();
    const { payload, protectedHeader } = await jwtVerify(assertion, createLocalJWKSet(jwks), {
      issuer: ISSUER,
      audience: TENANT_A,
      algorithms: ['ES256'],
      currentDate: new Date(clock.now()),
    });
    const approvedAt = Math.floor((T0 + 30_000) / 1000);
    expect(protectedHeader).toMatchObject({ alg: 'ES256', typ: 'JWT' });
    expect(jwks.keys.map((k) => k.kid)).toContain(protectedHeader.kid);
    expect(payload).toEqual({
      iss: ISSUER,
      sub: 'alice',
      aud: TENANT_A,
      tid: TENANT_A,
      amr: ['sms'],
      mth: 'sms',
      cid: created.challengeId,
      jti: created.challengeId,
      iat: approvedAt,
      exp: approvedAt + ASSERTION_TTL_SECONDS,
    });
  });

  it('signs an assertion that a key outside the JWKS cannot have made', async () => {
    const { service, sms, clock } = await world();
    const other = await world();
    const { view } = await service.create(tenantA, { userId: 'alice' });
    const { assertion } = await service.verify(tenantA, view.challengeId, sms.lastCode());
    const foreign = createLocalJWKSet(await other.signer.jwks());
    await expect(jwtVerify(assertion, foreign, { currentDate: new Date(clock.now()) })).rejects.toThrow();
    expect(decodeProtectedHeader(assertion).alg).toBe('ES256');
  });
});

describe('R1 a code is valid for 180 s', () => {
  it('is accepted one second before expiry', async () => {
    const { service, sms, clock } = await world();
    const { view } = await service.create(tenantA, { userId: 'alice' });
    clock.advance(CODE_TTL_SECONDS - 1);
    await expect(service.verify(tenantA, view.challengeId, sms.lastCode())).resolves.toMatchObject({
      view: { status: 'approved' },
    });
  });

  it('is refused as expired at 180 s although the item is still in the store', async () => {
    const { service, sms, clock, challenges } = await world();
    const { view } = await service.create(tenantA, { userId: 'alice' });
    clock.advance(CODE_TTL_SECONDS);
    await expect(challenges.get(view.challengeId)).resolves.toMatchObject({ status: 'pending' });
    await expect(service.verify(tenantA, view.challengeId, sms.lastCode())).rejects.toThrow(ChallengeExpiredError);
    await expect(service.get(tenantA, view.challengeId)).resolves.toMatchObject({ status: 'expired' });
  });

  it('does not count a wrong code against an expired challenge', async () => {
    const { service, sms, clock, challenges } = await world();
    const { view } = await service.create(tenantA, { userId: 'alice' });
    clock.advance(CODE_TTL_SECONDS + 3600);
    await expect(service.verify(tenantA, view.challengeId, otherThan(sms.lastCode()))).rejects.toThrow(
      ChallengeExpiredError,
    );
    expect(challenges.all()[0]?.wrongAttempts).toBe(0);
  });
});

describe('R2 a code is accepted once', () => {
  it('refuses the same right code a second time', async () => {
    const { service, sms } = await world();
    const { view } = await service.create(tenantA, { userId: 'alice' });
    const code = sms.lastCode();
    await service.verify(tenantA, view.challengeId, code);
    await expect(service.verify(tenantA, view.challengeId, code)).rejects.toThrow(ChallengeFinishedError);
  });

  it('lets exactly one of two racing verifies with the right code succeed', async () => {
    const { service, sms } = await world();
    const { view } = await service.create(tenantA, { userId: 'alice' });
    const code = sms.lastCode();
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, () => service.verify(tenantA, view.challengeId, code)),
    );
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(9);
    for (const r of lost) expect(r.reason).toBeInstanceOf(ChallengeFinishedError);
  });

  it('clears the code hash once approved', async () => {
    const { service, sms, challenges } = await world();
    const { view } = await service.create(tenantA, { userId: 'alice' });
    await service.verify(tenantA, view.challengeId, sms.lastCode());
    expect(challenges.all()[0]).toMatchObject({ status: 'approved', approvedAt: T0 });
    expect(challenges.all()[0]?.codeHash).toBeUndefined();
  });
});

describe('R3 wrong codes', () => {
  it('counts down, locks on the fifth and then refuses even the right code', async () => {
    const { service, sms } = await world();
    const { view } = await service.create(tenantA, { userId: 'alice' });
    const code = sms.lastCode();
    const wrong = otherThan(code);
    for (let remaining = MAX_WRONG_CODES - 1; remaining >= 1; remaining--) {
      const error = await service.verify(tenantA, view.challengeId, wrong).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(WrongCodeError);
      expect((error as WrongCodeError).details).toEqual({ attemptsRemaining: remaining });
    }
    await expect(service.verify(tenantA, view.challengeId, wrong)).rejects.toThrow(ChallengeLockedError);
    await expect(service.verify(tenantA, view.challengeId, code)).rejects.toThrow(ChallengeLockedError);
    await expect(service.get(tenantA, view.challengeId)).resolves.toMatchObject({ status: 'locked', attemptsRemaining: 0 });
  });

  it('refuses a resend on a locked challenge', async () => {
    const { service, sms, clock } = await world();
    const { view } = await service.create(tenantA, { userId: 'alice' });
    const wrong = otherThan(sms.lastCode());
    for (let i = 0; i < MAX_WRONG_CODES; i++) await service.verify(tenantA, view.challengeId, wrong).catch(() => undefined);
    clock.advance(RESEND_COOLDOWN_SECONDS);
    await expect(service.resend(tenantA, view.challengeId)).rejects.toThrow(ChallengeLockedError);
    expect(sms.sent).toHaveLength(1);
  });
});

describe('R8 an approval ends the wrong-code streak', () => {
  const approvalOf = (challenges: Awaited<ReturnType<typeof world>>['challenges']) => challenges.audits.filter((a) => a.log.result === 'approved');

  it('writes no streak reset when there is none to end (no wrong code before or on this challenge)', async () => {
    const { service, sms, challenges, throttle } = await world();
    const { view } = await service.create(tenantA, { userId: 'alice' });
    await service.verify(tenantA, view.challengeId, sms.lastCode());
    expect(approvalOf(challenges)).toHaveLength(1);
    expect(approvalOf(challenges)[0]?.throttle).toBeUndefined();
    expect((await throttle.getUserState(TENANT_A, 'alice')).wrongStreak).toBe(0);
  });

  it('ends a streak from this challenge, and one the user had when the challenge started', async () => {
    const { service, sms, challenges, throttle } = await world();
    const first = await service.create(tenantA, { userId: 'alice' });
    const code = sms.lastCode();
    await service.verify(tenantA, first.view.challengeId, otherThan(code)).catch(() => undefined);
    expect((await throttle.getUserState(TENANT_A, 'alice')).wrongStreak).toBe(1);
    await service.verify(tenantA, first.view.challengeId, code);
    expect((await throttle.getUserState(TENANT_A, 'alice')).wrongStreak).toBe(0);

    const second = await service.create(tenantA, { userId: 'alice' });
    await service.verify(tenantA, second.view.challengeId, otherThan(sms.lastCode())).catch(() => undefined);
    const third = await service.create(tenantA, { userId: 'alice' });
    expect((await throttle.getUserState(TENANT_A, 'alice')).wrongStreak).toBe(1);
    await service.verify(tenantA, third.view.challengeId, sms.lastCode());
    expect((await throttle.getUserState(TENANT_A, 'alice')).wrongStreak).toBe(0);
    expect(approvalOf(challenges).map((a) => a.throttle?.streak?.change)).toEqual(['reset', 'reset']);
  });
});

describe('R3 resend', () => {
  it('voids the old code: the old one is wrong, the new one approves', async () => {
    const { service, sms, clock } = await world();
    const { view } = await service.create(tenantA, { userId: 'alice' });
    const oldCode = sms.lastCode();
    clock.advance(RESEND_COOLDOWN_SECONDS);
    const resent = await service.resend(tenantA, view.challengeId);
    const newCode = sms.lastCode();
    expect(sms.sent).toHaveLength(2);
    expect(resent.resendsRemaining).toBe(MAX_RESENDS_PER_CHALLENGE - 1);
    await expect(service.verify(tenantA, view.challengeId, oldCode)).rejects.toThrow(WrongCodeError);
    await expect(service.verify(tenantA, view.challengeId, newCode)).resolves.toMatchObject({
      view: { status: 'approved' },
    });
  });

  it('gives the new code its own 180 s', async () => {
    const { service, sms, clock } = await world();
    const { view } = await service.create(tenantA, { userId: 'alice' });
    clock.advance(100);
    const resent = await service.resend(tenantA, view.challengeId);
    expect(resent.expiresAt).toBe(new Date(T0 + (100 + CODE_TTL_SECONDS) * 1000).toISOString());
    clock.advance(CODE_TTL_SECONDS - 1);
    await expect(service.verify(tenantA, view.challengeId, sms.lastCode())).resolves.toMatchObject({
      view: { status: 'approved' },
    });
  });

  it('refuses a resend inside the cooldown with the seconds left to wait', async () => {
    const { service, clock, sms } = await world();
    const { view } = await service.create(tenantA, { userId: 'alice' });
    clock.advance(5);
    const error = await service.resend(tenantA, view.challengeId).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetryLaterError);
    expect((error as RetryLaterError).retryAfterSeconds).toBe(RESEND_COOLDOWN_SECONDS - 5);
    expect(sms.sent).toHaveLength(1);
  });

  it(`stops after ${MAX_RESENDS_PER_CHALLENGE} resends`, async () => {
    const { service, clock, sms } = await world();
    // Spaced so that R6's per-user window never fills: what stops the sixth send is this challenge's own cap.
    const spacing = Math.max(RESEND_COOLDOWN_SECONDS, USER_CHALLENGE_WINDOW_SECONDS / USER_CHALLENGES_PER_WINDOW);
    const { view } = await service.create(tenantA, { userId: 'alice' });
    for (let i = 1; i <= MAX_RESENDS_PER_CHALLENGE; i++) {
      clock.advance(spacing);
      await expect(service.resend(tenantA, view.challengeId)).resolves.toMatchObject({
        resendsRemaining: MAX_RESENDS_PER_CHALLENGE - i,
      });
    }
    clock.advance(spacing);
    await expect(service.resend(tenantA, view.challengeId)).rejects.toThrow(ResendRefusedError);
    expect(sms.sent).toHaveLength(1 + MAX_RESENDS_PER_CHALLENGE);
  });

  it('refuses a resend of an expired challenge', async () => {
    const { service, clock } = await world();
    const { view } = await service.create(tenantA, { userId: 'alice' });
    clock.advance(CODE_TTL_SECONDS);
    await expect(service.resend(tenantA, view.challengeId)).rejects.toThrow(ChallengeExpiredError);
  });
});

describe('Idempotency-Key on create', () => {
  it('replays the same challenge for the same key and body (in any key order), sending one SMS', async () => {
    const { service, sms } = await world();
    const first = await service.create(tenantA, { userId: 'alice', method: 'sms', context: { appName: 'VPN' } }, 'key-1');
    const second = await service.create(tenantA, { context: { appName: 'VPN' }, userId: 'alice', method: 'sms' }, 'key-1');
    expect(second.replayed).toBe(true);
    expect(second.view.challengeId).toBe(first.view.challengeId);
    expect(sms.sent).toHaveLength(1);
  });

  it('refuses the same key with another body', async () => {
    const { service, sms } = await world();
    await service.create(tenantA, { userId: 'alice', context: { appName: 'VPN' } }, 'key-1');
    await expect(
      service.create(tenantA, { userId: 'alice', context: { appName: 'Portal' } }, 'key-1'),
    ).rejects.toThrow(IdempotencyConflictError);
    expect(sms.sent).toHaveLength(1);
  });

  it('R27 keeps keys per tenant: the same key in another tenant starts its own challenge', async () => {
    const { service, sms } = await world();
    const a = await service.create(tenantA, { userId: 'alice' }, 'key-1');
    const b = await service.create(tenantB, { userId: 'alice' }, 'key-1');
    expect(b.replayed).toBe(false);
    expect(b.view.challengeId).not.toBe(a.view.challengeId);
    expect(sms.sent.map((m) => m.to)).toEqual([PHONE, '+33612345678']);
  });

  it('without a key, two identical requests are two challenges', async () => {
    const { service, sms } = await world();
    const a = await service.create(tenantA, { userId: 'alice' });
    const b = await service.create(tenantA, { userId: 'alice' });
    expect(b.view.challengeId).not.toBe(a.view.challengeId);
    expect(sms.sent).toHaveLength(2);
  });
});

describe('R27 tenant isolation', () => {
  it("answers another tenant's get, verify and resend as not found, and changes nothing", async () => {
    const { service, sms, clock, challenges } = await world();
    const { view } = await service.create(tenantA, { userId: 'alice' });
    const code = sms.lastCode();
    clock.advance(RESEND_COOLDOWN_SECONDS);
    await expect(service.get(tenantB, view.challengeId)).rejects.toThrow(NotFoundError);
    await expect(service.verify(tenantB, view.challengeId, code)).rejects.toThrow(NotFoundError);
    await expect(service.verify(tenantB, view.challengeId, otherThan(code))).rejects.toThrow(NotFoundError);
    await expect(service.resend(tenantB, view.challengeId)).rejects.toThrow(NotFoundError);
    expect(sms.sent).toHaveLength(1);
    expect(challenges.all()[0]).toMatchObject({ status: 'pending', wrongAttempts: 0, sends: 1 });
    await expect(service.verify(tenantA, view.challengeId, code)).resolves.toMatchObject({ view: { status: 'approved' } });
  });

  it('answers an unknown challenge exactly like a foreign one', async () => {
    const { service } = await world();
    const { view } = await service.create(tenantA, { userId: 'alice' });
    const foreign = await service.get(tenantB, view.challengeId).catch((e: unknown) => e);
    const unknown = await service.get(tenantB, 'ch_AAAAAAAAAAAAAAAAAAAAAA').catch((e: unknown) => e);
    expect(foreign).toBeInstanceOf(NotFoundError);
    expect(unknown).toBeInstanceOf(NotFoundError);
    expect((foreign as Error).message).toBe((unknown as Error).message);
  });

  it("cannot start a challenge for another tenant's user", async () => {
    const { service, sms } = await world();
    await expect(service.create(tenantB, { userId: 'no-mfa' })).rejects.toThrow(NotFoundError);
    expect(sms.sent).toHaveLength(0);
  });
});

describe('R20 who can get a challenge', () => {
  it('refuses a user without MFA', async () => {
    const { service, sms } = await world();
    await expect(service.create(tenantA, { userId: 'no-mfa' })).rejects.toThrow(MfaNotEnabledError);
    expect(sms.sent).toHaveLength(0);
  });

  it('asks a user without a phone to register, and says why', async () => {
    const { service, sms, challenges } = await world();
    const error = await service.create(tenantA, { userId: 'no-phone' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegistrationRequiredError);
    expect((error as RegistrationRequiredError).details).toEqual({ reason: 'nothing_registered' });
    expect(sms.sent).toHaveLength(0);
    expect(challenges.all()).toHaveLength(0);
  });

  it('refuses an unknown user as not found', async () => {
    const { service } = await world();
    await expect(service.create(tenantA, { userId: 'nobody' })).rejects.toThrow(NotFoundError);
  });

  it('refuses the voice method, which this release cannot deliver', async () => {
    const { service, sms, challenges } = await world();
    await expect(service.create(tenantA, { userId: 'alice', method: 'voice' })).rejects.toThrow(MethodUnavailableError);
    expect(sms.sent).toHaveLength(0);
    expect(challenges.all()).toHaveLength(0);
  });
});

describe('R16 SMS failover', () => {
  it('uses the second provider when the first refuses', async () => {
    const primary = new RecordingSmsSender('primary');
    const secondary = new RecordingSmsSender('secondary');
    primary.failWith = new Error('throttled');
    const { service } = await world({ sms: new FailoverSmsSender([primary, secondary], new SilentLog()) });
    const { view } = await service.create(tenantA, { userId: 'alice' });
    expect(primary.sent).toHaveLength(0);
    expect(secondary.sent).toHaveLength(1);
    await expect(service.verify(tenantA, view.challengeId, secondary.lastCode())).resolves.toMatchObject({
      view: { status: 'approved' },
    });
  });

  it('denies the challenge as delivery_failed and says what to try next when both providers fail', async () => {
    const primary = new RecordingSmsSender('primary');
    const secondary = new RecordingSmsSender('secondary');
    primary.failWith = new Error('primary down');
    secondary.failWith = new Error('secondary down');
    const { service, challenges } = await world({ sms: new FailoverSmsSender([primary, secondary], new SilentLog()) });
    const error = await service.create(tenantA, { userId: 'alice' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DeliveryFailedError);
    expect((error as DeliveryFailedError).details).toEqual({ nextMethods: expect.any(Array) });
    const stored = challenges.all();
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ status: 'denied', denialReason: 'delivery_failed' });
    expect(stored[0]?.codeHash).toBeUndefined();
    await expect(service.get(tenantA, stored[0]?.challengeId ?? '')).resolves.toMatchObject({
      status: 'denied',
      reason: 'delivery_failed',
    });
  });
});

describe('R28 nothing secret in the logs', () => {
  it('never logs the code or the full phone number', async () => {
    const { service, sms, log, clock } = await world();
    const { view } = await service.create(tenantA, { userId: 'alice' });
    const first = sms.lastCode();
    await service.verify(tenantA, view.challengeId, otherThan(first)).catch(() => undefined);
    clock.advance(RESEND_COOLDOWN_SECONDS);
    await service.resend(tenantA, view.challengeId);
    await service.verify(tenantA, view.challengeId, sms.lastCode());
    // The random challenge id is left out: it may contain six digits in a row by chance.
    const logged = JSON.stringify(log.entries).replaceAll(view.challengeId, '');
    expect(log.entries.length).toBeGreaterThan(0);
    for (const secret of [first, sms.lastCode(), PHONE, PHONE.slice(2)]) expect(logged).not.toContain(secret);
  });
});
