/**
 * Recovery codes and Temporary Access Passes (issue 16) through the challenge lifecycle, with the
 * services that make them, on in-memory fakes: single use under races, the pass's window at its
 * edges, every way they die, R20, R6, the step-up, and the admins told of every recovery-code use.
 */
import { createLocalJWKSet, decodeJwt, jwtVerify } from 'jose';
import { AccessPassService } from '../../shared/domain/access-pass-service';
import { ConflictError, MethodUnavailableError, NotFoundError, RetryLaterError, StepUpRequiredError, UserBlockedError, WrongCodeError } from '../../shared/domain/errors';
import { RecoveryCodeService } from '../../shared/domain/recovery-code-service';
import { scryptSync } from 'node:crypto';
import { LEGACY_SCRYPT_PARAMS, matchSlot, SCRYPT_PARAMS } from '../../shared/domain/recovery-codes';
import type { RecoveryCodeSet } from '../../shared/domain/recovery-records';
import { registrationRequired } from '../../shared/domain/registration';
import type { Principal, User } from '../../shared/domain/types';
import { userScope } from '../../shared/domain/users';
import { USER_CHALLENGES_PER_WINDOW } from '../../shared/rules';
import { SilentLog, T0 } from '../support/fakes';
import { ISSUER, TENANT_A, tenantA, tenantB, user, world } from './challenge-world';

const admin: Principal = { ...tenantA, keyId: 'ak_admin', scope: 'admin' };

/** Changes a stored user of tenant A as an admin action would (a reset's new epoch, a block, an unblock). */
async function change(users: Awaited<ReturnType<typeof world>>['users'], userId: string, f: (u: User) => User): Promise<void> {
  const scope = userScope(tenantA);
  const stored = (await users.getUser(scope, userId))!;
  expect(await users.putUser(scope, f(stored), stored.version ?? 0)).toMatchObject({ kind: 'written' });
}
const resetEpoch = (epoch: string) => (u: User): User => ({ ...u, credentialEpoch: epoch });
const block = (u: User): User => ({ ...u, blocked: { at: new Date(T0).toISOString(), reason: 'lost phone' } });
const unblockAt = (ms: number) => ({ blocked: _gone, ...u }: User): User => ({ ...u, unblockedAt: new Date(ms).toISOString() });

/** Cheap scrypt parameters for the tests that are not about the hash (the first test checks the real ones). */
const TEST_KDF = { N: 2 ** 10, r: 8, p: 1, keyLength: 32 };

async function recoveryWorld() {
  const w = await world();
  const log = new SilentLog();
  const codes = new RecoveryCodeService({ store: w.recovery, users: w.users, challenges: w.challenges, clock: w.clock, log, kdf: TEST_KDF });
  const passes = new AccessPassService({ store: w.recovery, users: w.users, clock: w.clock, log });
  /** A challenge of `method` for `userId`, answered with `code`. */
  const signIn = async (method: 'recovery' | 'tap', code: string, userId = 'alice', principal = tenantA) => {
    const { view } = await w.service.create(principal, { userId, method });
    return w.service.verify(principal, view.challengeId, code);
  };
  return { ...w, codes, passes, signIn, opsLog: log };
}

describe('recovery codes', () => {
  it('are ten distinct codes shown once and stored only as scrypt hashes, each under its own salt, with OWASP-equivalent parameters', async () => {
    const { recovery, users, challenges, clock } = await recoveryWorld();
    const codes = new RecoveryCodeService({ store: recovery, users, challenges, clock, log: new SilentLog() });
    const { codes: shown, createdAt } = await codes.generate(admin, 'alice', 'admin');
    expect(shown).toHaveLength(10);
    expect(new Set(shown).size).toBe(10);
    for (const code of shown) expect(code).toMatch(/^[0-9a-hjkmnp-tv-z]{5}-[0-9a-hjkmnp-tv-z]{5}$/);
    expect(createdAt).toBe(new Date(T0).toISOString());
    const [set] = [...recovery.sets.values()] as RecoveryCodeSet[];
    const stored = JSON.stringify(set);
    for (const code of shown) expect(stored).not.toContain(code.replace('-', '').slice(1));
    // OWASP's Password Storage Cheat Sheet: N = 2^13, r = 8, p = 10 is one of its equivalents of N = 2^17, r = 8, p = 1.
    expect(SCRYPT_PARAMS).toEqual({ N: 8192, r: 8, p: 10, keyLength: 32 });
    expect(set?.kdf).toEqual(SCRYPT_PARAMS);
    // A slot per code, named by the code's first character, each with a salt of its own.
    expect(Object.keys(set?.hashes ?? {}).sort()).toEqual(shown.map((c) => c[0]).sort());
    expect(new Set(Object.values(set?.hashes ?? {}).map((v) => v.split('.')[0])).size).toBe(10);
    expect(await matchSlot(set as RecoveryCodeSet, (shown[3] as string).toUpperCase())).toBe((shown[3] as string)[0]);
    // Another code's secret part under this slot does not match.
    expect(await matchSlot(set as RecoveryCodeSet, `${(shown[3] as string)[0]}${(shown[4] as string).slice(1)}`)).toBeUndefined();
  });

  it('of a set made before per-code salts (one salt per set, N = 2^14, p = 1) still sign in, once each', async () => {
    const { recovery, codes, signIn, users } = await recoveryWorld();
    const epoch = (await users.getUser(userScope(tenantA), 'alice'))?.credentialEpoch;
    const salt = Buffer.from('0123456789abcdef');
    const legacy = ['k7m2q-x9p4d', 'a1b2c-d3e4f'];
    const { N, r, p, keyLength } = LEGACY_SCRYPT_PARAMS;
    const hashes = Object.fromEntries(legacy.map((code, slot) => [String(slot), scryptSync(code.replace('-', ''), salt, keyLength, { N, r, p }).toString('base64url')]));
    const set: RecoveryCodeSet = { tenantId: TENANT_A, space: userScope(tenantA).space, userId: 'alice', setId: 'rc_legacy', salt: salt.toString('base64url'), hashes, createdAt: new Date(T0).toISOString(), createdBy: { via: 'admin', keyId: 'ak_admin' }, ...(epoch ? { epoch } : {}) };
    expect(await recovery.putSet(set, undefined)).toBe('stored');
    await expect(signIn('recovery', 'A1B2C-D3E4F')).resolves.toMatchObject({ view: { status: 'approved' } });
    await expect(signIn('recovery', 'a1b2c-d3e4f')).rejects.toThrow(WrongCodeError);
    expect(await codes.status(admin, 'alice')).toMatchObject({ remaining: 1 });
    // A new set replaces it with per-code salts.
    await codes.generate(admin, 'alice', 'admin');
    await expect(signIn('recovery', 'k7m2q-x9p4d')).rejects.toThrow(WrongCodeError);
  });

  it('two racing regenerations store one set: the other is a conflict and its codes were never valid (review)', async () => {
    const { codes, signIn } = await recoveryWorld();
    await codes.generate(admin, 'alice', 'admin');
    const results = await Promise.allSettled([codes.generate(admin, 'alice', 'admin'), codes.generate(admin, 'alice', 'admin')]);
    const won = results.filter((r): r is PromiseFulfilledResult<{ codes: string[]; createdAt: string }> => r.status === 'fulfilled');
    expect(won).toHaveLength(1);
    expect((results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason).toBeInstanceOf(ConflictError);
    await expect(signIn('recovery', won[0]?.value.codes[0] as string)).resolves.toMatchObject({ view: { status: 'approved' } });
    expect(await codes.status(admin, 'alice')).toMatchObject({ remaining: 9 });
  });

  it('a regeneration racing a use of the old set leaves only the new set valid', async () => {
    const { codes, service, signIn } = await recoveryWorld();
    const old = await codes.generate(admin, 'alice', 'admin');
    const { view } = await service.create(tenantA, { userId: 'alice', method: 'recovery' });
    const [, fresh] = await Promise.allSettled([service.verify(tenantA, view.challengeId, old.codes[0] as string), codes.generate(admin, 'alice', 'admin')]);
    expect(fresh.status).toBe('fulfilled');
    // Whichever came first, no old code works now, and the new set is whole.
    await expect(signIn('recovery', old.codes[1] as string)).rejects.toThrow(WrongCodeError);
    expect(await codes.status(admin, 'alice')).toMatchObject({ remaining: 10 });
  });

  it('sign a user in once each, with amr ["recovery"], tell the admins every time, and count down', async () => {
    const { codes, signIn, signer, alerts } = await recoveryWorld();
    const { codes: shown } = await codes.generate(admin, 'alice', 'admin');
    const code = (shown[0] as string).toUpperCase();
    const { assertion, view } = await signIn('recovery', code);
    expect(view.status).toBe('approved');
    const { payload } = await jwtVerify(assertion, createLocalJWKSet(await signer.jwks()), { issuer: ISSUER });
    expect(payload).toMatchObject({ amr: ['recovery'], mth: 'recovery', sub: 'alice' });
    expect(alerts).toEqual([{ tenantId: TENANT_A, userId: 'alice', message: expect.stringContaining('recovery code') }]);
    expect(await codes.status(admin, 'alice')).toEqual({ remaining: 9, createdAt: new Date(T0).toISOString() });
    // The same code again: not correct any more.
    await expect(signIn('recovery', code)).rejects.toThrow(WrongCodeError);
    // Without the hyphen, in lower case: the next code works.
    await signIn('recovery', (shown[1] as string).replace('-', ''));
    expect(await codes.status(admin, 'alice')).toMatchObject({ remaining: 8 });
    expect(alerts).toHaveLength(2);
  });

  it('approve exactly one of two challenges racing with the same code', async () => {
    const { codes, service, alerts } = await recoveryWorld();
    const { codes: shown } = await codes.generate(admin, 'alice', 'admin');
    const a = await service.create(tenantA, { userId: 'alice', method: 'recovery' });
    const b = await service.create(tenantA, { userId: 'alice', method: 'recovery' });
    const results = await Promise.allSettled([a, b].map((c) => service.verify(tenantA, c.view.challengeId, shown[5] as string)));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const lost = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(lost.reason).toBeInstanceOf(WrongCodeError);
    expect(lost.reason.details).toMatchObject({ reason: 'replayed' });
    expect(alerts).toHaveLength(1);
  });

  it('are void once regenerated, and a user with none left cannot start a recovery challenge', async () => {
    const { codes, signIn, service } = await recoveryWorld();
    const first = await codes.generate(admin, 'alice', 'admin');
    await codes.generate(admin, 'alice', 'admin');
    await expect(signIn('recovery', first.codes[0] as string)).rejects.toThrow(WrongCodeError);
    await expect(service.create(tenantA, { userId: 'no-mfa-codes', method: 'recovery' })).rejects.toThrow(NotFoundError);
    await expect(service.create(tenantA, { userId: 'no-phone', method: 'recovery' })).rejects.toThrow(MethodUnavailableError);
  });

  it('let a user with nothing registered in (R20 does not stop a way back), yet do not make them registered', async () => {
    const { codes, signIn, users } = await recoveryWorld();
    const { codes: shown } = await codes.generate(admin, 'no-phone', 'admin');
    await expect(signIn('recovery', shown[0] as string, 'no-phone')).resolves.toMatchObject({ view: { status: 'approved' } });
    const stored = await users.getUser(userScope(tenantA), 'no-phone');
    expect(registrationRequired(stored!, tenantA.tenant.settings)).toBe('nothing_registered');
  });

  it('die with a reset (new credential epoch) and with a block, even after the unblock', async () => {
    const { codes, signIn, users, clock } = await recoveryWorld();
    const { codes: shown } = await codes.generate(admin, 'alice', 'admin');
    await change(users, 'alice', resetEpoch('after-reset'));
    await expect(signIn('recovery', shown[0] as string)).rejects.toThrow(MethodUnavailableError);
    expect(await codes.status(admin, 'alice')).toEqual({ remaining: 0 });

    const { codes: again } = await codes.generate(admin, 'alice', 'admin');
    await change(users, 'alice', block);
    await expect(codes.generate(admin, 'alice', 'admin')).rejects.toThrow(UserBlockedError);
    await change(users, 'alice', unblockAt(T0 + 1));
    await expect(signIn('recovery', again[0] as string)).rejects.toThrow(MethodUnavailableError);
    // Codes made after the unblock work.
    clock.advance(1);
    const { codes: fresh } = await codes.generate(admin, 'alice', 'admin');
    await expect(signIn('recovery', fresh[0] as string)).resolves.toMatchObject({ view: { status: 'approved' } });
  });

  it('from a relying app need a fresh approved challenge of the user once they have a method, used once; an access pass counts', async () => {
    const { codes, passes, signIn, clock } = await recoveryWorld();
    await expect(codes.generate(tenantA, 'alice', 'auth')).rejects.toThrow(StepUpRequiredError);
    const { pass } = await passes.issue(admin, 'alice', { lifetimeMinutes: 60, oneTime: false });
    const { view } = await signIn('tap', pass);
    const first = await codes.generate(tenantA, 'alice', 'auth', view.challengeId);
    expect(first.codes).toHaveLength(10);
    await expect(codes.generate(tenantA, 'alice', 'auth', view.challengeId)).rejects.toMatchObject({ details: { reason: 'step_up_used' } });
    // Another tenant's key cannot use it, nor a stale approval.
    const { view: second } = await signIn('tap', pass);
    await expect(codes.generate(tenantB, 'alice', 'auth', second.challengeId)).rejects.toThrow(StepUpRequiredError);
    clock.advance(10 * 60 + 1);
    await expect(codes.generate(tenantA, 'alice', 'auth', second.challengeId)).rejects.toThrow(StepUpRequiredError);
    // A user with no usable method needs none.
    await expect(codes.generate(tenantA, 'no-phone', 'auth')).resolves.toMatchObject({ codes: expect.any(Array) });
  });

  it('from a relying app refuse a step-up approved before the user’s last unblock or reset (review)', async () => {
    const { codes, passes, signIn, users, clock } = await recoveryWorld();
    const { pass } = await passes.issue(admin, 'alice', { lifetimeMinutes: 60, oneTime: false });
    const { view: beforeBlock } = await signIn('tap', pass);
    clock.advance(1);
    await change(users, 'alice', block);
    await change(users, 'alice', unblockAt(clock.now()));
    await expect(codes.generate(tenantA, 'alice', 'auth', beforeBlock.challengeId)).rejects.toThrow(StepUpRequiredError);
    clock.advance(1);
    const { pass: fresh } = await passes.issue(admin, 'alice', { lifetimeMinutes: 60, oneTime: false });
    const { view: afterUnblock } = await signIn('tap', fresh);
    clock.advance(1);
    await change(users, 'alice', (u) => ({ ...u, resetAt: new Date(clock.now()).toISOString() }));
    await expect(codes.generate(tenantA, 'alice', 'auth', afterUnblock.challengeId)).rejects.toThrow(StepUpRequiredError);
    clock.advance(1);
    const { view: afterReset } = await signIn('tap', fresh);
    await expect(codes.generate(tenantA, 'alice', 'auth', afterReset.challengeId)).resolves.toMatchObject({ codes: expect.any(Array) });
  });

  it('stay in their tenant: another tenant’s admin sees none and its users’ challenges find none', async () => {
    const { codes, service } = await recoveryWorld();
    await codes.generate(admin, 'alice', 'admin');
    expect(await codes.status({ ...tenantB, scope: 'admin' }, 'alice')).toEqual({ remaining: 0 });
    await expect(service.create(tenantB, { userId: 'alice', method: 'recovery' })).rejects.toThrow(MethodUnavailableError);
  });
});

describe('Temporary Access Passes', () => {
  it('are shown once, stored as a hash, listed without the secret, and logged with the admin key that issued and revoked them', async () => {
    const { passes, recovery, opsLog } = await recoveryWorld();
    const issued = await passes.issue(admin, 'alice', { lifetimeMinutes: 60, oneTime: true });
    expect(issued.pass).toMatch(/^([0-9a-hjkmnp-tv-z]{4}-){4}[0-9a-hjkmnp-tv-z]{4}$/);
    expect(issued).toMatchObject({ oneTime: true, startsAt: new Date(T0).toISOString(), expiresAt: new Date(T0 + 3_600_000).toISOString() });
    expect(JSON.stringify([...recovery.passes.values()])).not.toContain(issued.pass.replace(/-/g, ''));
    const listed = await passes.list(admin, 'alice');
    expect(listed).toEqual([expect.objectContaining({ passId: issued.passId, state: 'active', uses: 0, createdBy: 'ak_admin' })]);
    expect(JSON.stringify(listed)).not.toContain(issued.pass);
    await passes.revoke(admin, 'alice', issued.passId);
    await expect(passes.revoke(admin, 'alice', issued.passId)).rejects.toThrow(NotFoundError);
    expect(opsLog.entries.map((e) => [e.message, e.extra[0]?.keyId])).toEqual([
      ['access pass issued', 'ak_admin'],
      ['access pass revoked', 'ak_admin'],
    ]);
    expect(JSON.stringify(opsLog.entries)).not.toContain(issued.pass);
  });

  it('work from their start (inclusive) to their expiry (exclusive), and name themselves and their issuer in the auth log', async () => {
    const { passes, service, clock, logs } = await recoveryWorld();
    const startsAt = new Date(T0 + 3_600_000).toISOString();
    const { pass, passId } = await passes.issue(admin, 'alice', { lifetimeMinutes: 10, oneTime: false, startsAt });
    // Before the start: no pass in force.
    clock.set(T0 + 3_600_000 - 1);
    await expect(service.create(tenantA, { userId: 'alice', method: 'tap' })).rejects.toThrow(MethodUnavailableError);
    // At the start it is in force; a challenge opened late in its window, answered a millisecond before the end, works.
    clock.set(T0 + 3_600_000);
    await expect(service.create(tenantA, { userId: 'alice', method: 'tap' })).resolves.toMatchObject({ view: { status: 'pending' } });
    clock.set(T0 + 3_600_000 + 360_000);
    const open = await service.create(tenantA, { userId: 'alice', method: 'tap' });
    const late = await service.create(tenantA, { userId: 'alice', method: 'tap' });
    clock.set(T0 + 3_600_000 + 600_000 - 1);
    await expect(service.verify(tenantA, open.view.challengeId, pass)).resolves.toMatchObject({ view: { status: 'approved' } });
    // At the expiry: refused, and said so.
    clock.set(T0 + 3_600_000 + 600_000);
    await expect(service.verify(tenantA, late.view.challengeId, pass)).rejects.toThrow('This access pass has expired');
    const approved = logs.audits.map((a) => a.log).find((l) => l.result === 'approved');
    expect(approved).toMatchObject({ method: 'tap', deviceToken: `access pass ${passId} issued by ak_admin` });
  });

  it('one-time: two challenges racing with it, exactly one approval; then it is used', async () => {
    const { passes, service, signIn } = await recoveryWorld();
    const { pass } = await passes.issue(admin, 'alice', { lifetimeMinutes: 10, oneTime: true });
    const a = await service.create(tenantA, { userId: 'alice', method: 'tap' });
    const b = await service.create(tenantA, { userId: 'alice', method: 'tap' });
    const results = await Promise.allSettled([a, b].map((c) => service.verify(tenantA, c.view.challengeId, pass)));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect((results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason).toBeInstanceOf(WrongCodeError);
    await expect(signIn('tap', pass)).rejects.toThrow(MethodUnavailableError);
    expect(await passes.list(admin, 'alice')).toEqual([expect.objectContaining({ state: 'used', uses: 1 })]);
  });

  it('multi-use: works again; revoked, reset or blocked: never again', async () => {
    const { passes, signIn, users, service } = await recoveryWorld();
    const { pass, passId } = await passes.issue(admin, 'alice', { lifetimeMinutes: 10, oneTime: false });
    await signIn('tap', pass);
    await signIn('tap', pass);
    // Revoked between the challenge and the answer: refused at verify too.
    const open = await service.create(tenantA, { userId: 'alice', method: 'tap' });
    await passes.revoke(admin, 'alice', passId);
    await expect(service.verify(tenantA, open.view.challengeId, pass)).rejects.toThrow(WrongCodeError);
    await expect(signIn('tap', pass)).rejects.toThrow(MethodUnavailableError);

    const second = await passes.issue(admin, 'alice', { lifetimeMinutes: 10, oneTime: false });
    await change(users, 'alice', resetEpoch('after-reset'));
    await expect(signIn('tap', second.pass)).rejects.toThrow(MethodUnavailableError);
    expect(await passes.list(admin, 'alice')).toEqual([]);

    const third = await passes.issue(admin, 'alice', { lifetimeMinutes: 10, oneTime: false });
    await change(users, 'alice', block);
    await expect(passes.issue(admin, 'alice', { lifetimeMinutes: 10, oneTime: false })).rejects.toThrow(UserBlockedError);
    await change(users, 'alice', unblockAt(T0 + 1));
    await expect(signIn('tap', third.pass)).rejects.toThrow(MethodUnavailableError);
    expect(await passes.list(admin, 'alice')).toEqual([]);
  });

  it('refuse lifetimes and starts out of bounds, and more than five live passes', async () => {
    const { passes, clock } = await recoveryWorld();
    await expect(passes.issue(admin, 'alice', { lifetimeMinutes: 10, oneTime: true, startsAt: new Date(T0 + 31 * 86_400_000).toISOString() })).rejects.toThrow('not valid');
    for (let i = 0; i < 5; i++) await passes.issue(admin, 'alice', { lifetimeMinutes: 10, oneTime: true });
    await expect(passes.issue(admin, 'alice', { lifetimeMinutes: 10, oneTime: true })).rejects.toThrow('5 access passes');
    clock.advance(600);
    await expect(passes.issue(admin, 'alice', { lifetimeMinutes: 10, oneTime: true })).resolves.toMatchObject({ oneTime: true });
  });

  it('keep the five-pass cap when seven are issued at once (review)', async () => {
    const { passes } = await recoveryWorld();
    const results = await Promise.allSettled(Array.from({ length: 7 }, () => passes.issue(admin, 'alice', { lifetimeMinutes: 10, oneTime: true })));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(5);
    for (const r of results.filter((r): r is PromiseRejectedResult => r.status === 'rejected')) expect(r.reason).toBeInstanceOf(ConflictError);
    expect(await passes.list(admin, 'alice')).toHaveLength(5);
  });

  it('count under the per-user challenge limit (R6), as recovery-code challenges do', async () => {
    const { passes, codes, service } = await recoveryWorld();
    await passes.issue(admin, 'alice', { lifetimeMinutes: 10, oneTime: false });
    await codes.generate(admin, 'alice', 'admin');
    for (let i = 0; i < USER_CHALLENGES_PER_WINDOW; i++) await service.create(tenantA, { userId: 'alice', method: i % 2 ? 'tap' : 'recovery' });
    await expect(service.create(tenantA, { userId: 'alice', method: 'tap' })).rejects.toThrow(RetryLaterError);
    await expect(service.create(tenantA, { userId: 'alice', method: 'recovery' })).rejects.toThrow(RetryLaterError);
  });

  it('stay in their tenant: another tenant’s admin can neither list nor revoke them, and its challenges find none', async () => {
    const { passes, service, users } = await recoveryWorld();
    const { passId } = await passes.issue(admin, 'alice', { lifetimeMinutes: 10, oneTime: false });
    const adminB: Principal = { ...tenantB, scope: 'admin' };
    expect(await passes.list(adminB, 'alice')).toEqual([]);
    await expect(passes.revoke(adminB, 'alice', passId)).rejects.toThrow(NotFoundError);
    await users.putUser(userScope(tenantB), user(tenantB.tenantId, 'bob'));
    await expect(service.create(tenantB, { userId: 'alice', method: 'tap' })).rejects.toThrow(MethodUnavailableError);
    expect(await passes.list(admin, 'alice')).toHaveLength(1);
  });

  it('leave no pass in the assertion', async () => {
    const { passes, signIn } = await recoveryWorld();
    const { pass } = await passes.issue(admin, 'alice', { lifetimeMinutes: 10, oneTime: true });
    const { assertion } = await signIn('tap', pass);
    expect(decodeJwt(assertion)).toMatchObject({ amr: ['tap'], mth: 'tap' });
    expect(assertion).not.toContain(pass);
  });
});
