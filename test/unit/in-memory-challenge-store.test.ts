/**
 * The fake the ChallengeService tests stand on must refuse exactly what the DynamoDB adapter's
 * conditions refuse (shared/adapters/dynamo/challenge-store.ts), or those tests prove nothing.
 */
import type { Audit } from '../../shared/ports';
import type { Challenge } from '../../shared/domain/types';
import { InMemoryChallengeStore, InMemoryLogStore, InMemoryThrottleStore, T0 } from '../support/fakes';

const TENANT = 'tn_fake';
const MAX_WRONG = 5;

const challenge = (overrides: Partial<Challenge> = {}): Challenge => ({
  challengeId: 'ch_fake',
  tenantId: TENANT,
  userId: 'alice',
  method: 'sms',
  status: 'pending',
  codeHash: 'hash-1',
  wrongAttempts: 0,
  sends: 1,
  createdAt: T0,
  lastSentAt: T0,
  expiresAt: T0 + 180_000,
  destination: '••••0100',
  destinationE164: '+14155550100',
  audit: {},
  ...overrides,
});

const audit = (reason: string): Audit => ({
  log: {
    logId: `lg_${reason}`,
    tenantId: TENANT,
    time: new Date(T0).toISOString(),
    userId: 'alice',
    method: 'sms',
    event: 'verify',
    result: 'denied',
    reason,
    apiKeyId: 'k',
    apiKeyName: 'k',
  },
  usage: [{ tenantId: TENANT, day: '2030-01-01', method: 'sms', result: 'denied', delta: 1 }],
});

async function storeWith(overrides: Partial<Challenge> = {}) {
  const store = new InMemoryChallengeStore();
  await store.create(challenge(overrides), audit('created'));
  return store;
}

const open = { challengeId: 'ch_fake', tenantId: TENANT, now: T0, maxWrong: MAX_WRONG };

describe('R1 R2 R3 R27 the in-memory challenge store keeps the DynamoDB conditions', () => {
  it.each<[string, Partial<Challenge>, Partial<typeof open> & { codeHash?: string }]>([
    ["another tenant's challenge", {}, { tenantId: 'tn_other' }],
    ['a challenge no longer pending', { status: 'denied' }, {}],
    ['a challenge expiring at exactly now', {}, { now: T0 + 180_000 }],
    ['a locked challenge', { wrongAttempts: MAX_WRONG }, {}],
    ['another code hash', {}, { codeHash: 'hash-2' }],
  ])('approve refuses %s, with the item as it is, and writes no audit', async (_name, stored, input) => {
    const store = await storeWith(stored);
    const outcome = await store.approve({ ...open, codeHash: 'hash-1', ...input }, audit('approve'));
    expect(outcome).toEqual({ kind: 'refused', current: challenge(stored) });
    expect(store.audits).toHaveLength(1);
  });

  it('approve clears the code hash and writes its audit', async () => {
    const store = await storeWith();
    await expect(store.approve({ ...open, now: T0 + 179_999, codeHash: 'hash-1' }, audit('approve'))).resolves.toEqual({ kind: 'done' });
    const [stored] = store.all();
    expect(stored).toMatchObject({ status: 'approved', approvedAt: T0 + 179_999 });
    expect(stored).not.toHaveProperty('codeHash');
    expect(store.audits.map((a) => a.log.reason)).toEqual(['created', 'approve']);
  });

  it('recordWrongCode counts only from the count the caller saw (compare-and-set)', async () => {
    const store = await storeWith({ wrongAttempts: 2 });
    await expect(store.recordWrongCode({ ...open, seenWrongAttempts: 1 }, audit('stale'))).resolves.toMatchObject({
      kind: 'refused',
      current: { wrongAttempts: 2 },
    });
    await expect(store.recordWrongCode({ ...open, seenWrongAttempts: 2 }, audit('wrong'))).resolves.toEqual({ kind: 'done' });
    expect(store.all()[0]?.wrongAttempts).toBe(3);
    expect(store.audits.map((a) => a.log.reason)).toEqual(['created', 'wrong']);
  });

  it('recordWrongCode refuses at the limit and on an expired challenge', async () => {
    const locked = await storeWith({ wrongAttempts: MAX_WRONG });
    await expect(locked.recordWrongCode({ ...open, seenWrongAttempts: MAX_WRONG }, audit('x'))).resolves.toMatchObject({ kind: 'refused' });
    const expired = await storeWith();
    await expect(expired.recordWrongCode({ ...open, now: T0 + 180_000, seenWrongAttempts: 0 }, audit('x'))).resolves.toMatchObject({
      kind: 'refused',
    });
  });

  it('replaceCode needs sends below the limit and the last send at or before sentBefore', async () => {
    const base = { ...open, codeHash: 'hash-2', expiresAt: T0 + 200_000, maxSends: 2, sentBefore: T0 };
    const store = await storeWith();
    await expect(store.replaceCode({ ...base, sentBefore: T0 - 1 }, audit('too soon'))).resolves.toMatchObject({ kind: 'refused' });
    await expect(store.replaceCode({ ...base, now: T0 + 20_000 }, audit('resend'))).resolves.toEqual({ kind: 'done' });
    expect(store.all()[0]).toMatchObject({ codeHash: 'hash-2', sends: 2, lastSentAt: T0 + 20_000, expiresAt: T0 + 200_000 });
    await expect(store.replaceCode({ ...base, sentBefore: T0 + 20_000 }, audit('no more'))).resolves.toMatchObject({ kind: 'refused' });
    expect(store.audits.map((a) => a.log.reason)).toEqual(['created', 'resend']);
  });

  it('deny changes only a pending challenge', async () => {
    const store = await storeWith({ status: 'approved' });
    await store.deny({ challengeId: 'ch_fake', reason: 'delivery_failed' }, audit('deny'));
    expect(store.all()[0]?.status).toBe('approved');
    expect(store.audits).toHaveLength(1);
  });

  it('refuses a change whose throttle write fails, writing neither the change nor its audit (R6)', async () => {
    const throttle = new InMemoryThrottleStore();
    const logs = new InMemoryLogStore(throttle);
    const store = new InMemoryChallengeStore(logs);
    const counter = { name: 'number_rate' as const, subject: '+14155550100', limit: 1, windowSeconds: 3600, now: T0 };
    await expect(store.create(challenge(), { ...audit('first'), throttle: { counters: [counter] } })).resolves.toEqual({ kind: 'created' });
    const second = challenge({ challengeId: 'ch_fake_2' });
    await expect(store.create(second, { ...audit('second'), throttle: { counters: [counter] } })).resolves.toEqual({
      kind: 'throttled',
      by: 'number_rate',
    });
    const userLog = { tenantId: TENANT, userId: 'alice', recent: [T0], expectedVersion: 1 };
    await expect(store.create(second, { ...audit('stale log'), throttle: { userLog } })).resolves.toEqual({
      kind: 'throttled',
      by: 'user_log_changed',
    });
    expect(store.all().map((c) => c.challengeId)).toEqual(['ch_fake']);
    expect(logs.lines().map((l) => l.reason)).toEqual(['first']);
    expect(throttle.count('number_rate', '+14155550100', 3600, T0)).toBe(1);
  });
});
