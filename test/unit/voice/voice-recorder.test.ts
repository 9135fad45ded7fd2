import { randomBytes } from 'node:crypto';
import { LocalSecretBox } from '../../../shared/adapters/secrets/local-secret-box';
import { auditOf } from '../../../shared/domain/auth-log';
import { NotificationService } from '../../../shared/domain/notifications';
import { DEFAULT_SETTINGS, type Challenge, type Notification, type User } from '../../../shared/domain/types';
import { VoiceRolloverRecorder } from '../../../shared/domain/voice';
import type { NotificationStore, UserScope } from '../../../shared/ports';
import type { VoiceRolloverSummary } from '../../../shared/voice/schemas';
import {
  FakeClock,
  InMemoryChallengeStore,
  InMemoryLogStore,
  InMemoryTenantStore,
  InMemoryThrottleStore,
  InMemoryUserStore,
  RecordingWebhookSender,
  SilentLog,
  T0,
  tenantFixture,
} from '../../support/fakes';

const TENANT = `tn${'v'.repeat(24)}`;
const PHONE = '+14155550100';
const CALLER = { keyId: 'ak_1', keyName: 'VPN gateway' };

/** A store whose `method` throws while `fails` says so for the call's arguments, then behaves. */
function failing<T extends object>(inner: T, method: keyof T, fails: (args: unknown[]) => boolean): T {
  const wrapper = Object.create(inner) as T;
  (wrapper as Record<keyof T, unknown>)[method] = async (...args: unknown[]) => {
    if (fails(args)) throw new Error(`${String(method)} failed (injected)`);
    return (inner[method] as (...a: unknown[]) => Promise<unknown>).apply(inner, args);
  };
  return wrapper;
}

/** Fails the first `times` calls whose arguments `match`. */
function times(count: number, match: (args: unknown[]) => boolean = () => true): (args: unknown[]) => boolean {
  let left = count;
  return (args) => match(args) && left-- > 0;
}

type Faults = { notify?: (args: unknown[]) => boolean; block?: (args: unknown[]) => boolean; fatigue?: (args: unknown[]) => boolean };

async function world(faults: Faults = {}) {
  const clock = new FakeClock();
  const throttle = new InMemoryThrottleStore();
  const logs = new InMemoryLogStore(throttle);
  const challenges = new InMemoryChallengeStore(logs);
  const tenants = new InMemoryTenantStore();
  const tenant = tenantFixture(TENANT, { settings: { ...DEFAULT_SETTINGS, blockOnFraud: true } });
  await tenants.createTenant(tenant, []);
  const scope: UserScope = { tenantId: TENANT, space: tenant.provider!.userSpace };
  const users = new InMemoryUserStore();
  const alice: User = {
    tenantId: TENANT,
    userId: 'alice',
    mfaEnabled: true,
    licensed: false,
    phones: { primary: { e164: PHONE, country: 'US', type: 'mobile' }, backup: [] },
    createdAt: new Date(T0).toISOString(),
    updatedAt: new Date(T0).toISOString(),
  };
  await users.putUser(scope, alice);
  const notes = failing<NotificationStore>(logs, 'add', faults.notify ?? (() => false));
  const box = new LocalSecretBox(randomBytes(32).toString('base64'));
  const log = new SilentLog();
  const notifications = new NotificationService({ store: notes, webhook: new RecordingWebhookSender(), box, clock, log });
  const recorder = new VoiceRolloverRecorder({
    challenges,
    tenants,
    users: failing(users, 'putUser', faults.block ?? (() => false)),
    throttle: failing(throttle, 'setFatigue', faults.fatigue ?? (() => false)),
    notifications,
    clock,
    log,
  });
  const challenge: Challenge = {
    challengeId: 'ch_fraud',
    tenantId: TENANT,
    userId: 'alice',
    method: 'voice',
    status: 'pending',
    wrongAttempts: 0,
    sends: 1,
    createdAt: T0,
    lastSentAt: T0,
    expiresAt: T0 + 120_000,
    destination: '••••••••0100',
    destinationE164: PHONE,
    audit: { caller: CALLER },
    voice: { numbers: ['••••••••0100'], attempts: [] },
  };
  await challenges.create(challenge, auditOf(CALLER, challenge, { event: 'challenge', result: 'sent', now: T0 }));
  clock.advance(20);
  const summary: VoiceRolloverSummary = {
    challengeId: challenge.challengeId,
    tenantId: TENANT,
    result: { kind: 'deny', reason: 'fraud_reported' },
    attempts: [{ index: 0, number: PHONE, outcome: 'fraud', at: new Date(T0 + 15_000).toISOString() }],
  };
  const notificationsOf = async (): Promise<Notification['type'][]> =>
    (await logs.listNotifications(TENANT, { limit: 50 })).items.map((n) => n.type).sort();
  const state = async () => ({
    challenge: await challenges.get(challenge.challengeId),
    blocked: (await users.getUser(scope, 'alice'))?.blocked,
    notifications: await notificationsOf(),
    fatigueDenials: (await throttle.getUserState(TENANT, 'alice')).denials.length,
  });
  return { recorder, summary, state };
}

/** What a fraud report leaves behind once its effects are done (R14, R7). */
const REPORTED = {
  challenge: expect.objectContaining({ status: 'denied', denialReason: 'fraud_reported' }),
  blocked: { at: expect.any(String), reason: 'fraud_reported' },
  notifications: ['fraud_reported', 'user_blocked'],
  fatigueDenials: 1,
};

describe('R14 fraud-report effects are durable: they land exactly once, whatever fails after the final status', () => {
  it('R14: with nothing failing, one finish denies, blocks, notifies twice and counts fatigue once', async () => {
    const { recorder, summary, state } = await world();
    await recorder.finish(summary);
    expect(await state()).toEqual(REPORTED);
  });

  it('R14: the admin notification fails after the final status: the retried finish step notifies, blocks and counts once', async () => {
    const { recorder, summary, state } = await world({ notify: times(1) });
    await expect(recorder.finish(summary)).rejects.toThrow('injected');
    // The final status is committed, and what failed is still owed.
    expect((await state()).challenge).toMatchObject({ status: 'denied', denialReason: 'fraud_reported' });
    await recorder.finish(summary);
    expect(await state()).toEqual(REPORTED);
    // A further retry (Step Functions may run the step again) changes nothing.
    await recorder.finish(summary);
    expect(await state()).toEqual(REPORTED);
  });

  it('R14: the block fails after the fraud notification: the retry blocks once, without a second fraud notification', async () => {
    const { recorder, summary, state } = await world({ block: times(2) });
    await expect(recorder.finish(summary)).rejects.toThrow('injected');
    await expect(recorder.finish(summary)).rejects.toThrow('injected');
    expect((await state()).notifications).toEqual(['fraud_reported']);
    await recorder.finish(summary);
    await recorder.finish(summary);
    expect(await state()).toEqual(REPORTED);
  });

  it('R14: the user_blocked notification fails after the block: the retry sends it once, and the block stays one block', async () => {
    const { recorder, summary, state } = await world({ notify: times(1, (args) => (args[0] as Notification).type === 'user_blocked') });
    await expect(recorder.finish(summary)).rejects.toThrow('injected');
    const partial = await state();
    expect(partial.notifications).toEqual(['fraud_reported']);
    expect(partial.blocked).toEqual(REPORTED.blocked);
    await recorder.finish(summary);
    await recorder.finish(summary);
    expect(await state()).toEqual(REPORTED);
    expect((await state()).blocked).toEqual(partial.blocked);
  });

  it('R7/R14: the fatigue count commits with the final status: a throttle store that cannot set fatigue loses nothing and counts nothing twice', async () => {
    const { recorder, summary, state } = await world({ fatigue: () => true });
    // As Step Functions runs the step: again after a failure, and possibly once more.
    for (let run = 0; run < 3; run++) await recorder.finish(summary).catch(() => undefined);
    expect(await state()).toEqual(REPORTED);
  });
});
