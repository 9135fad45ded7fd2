import { randomBytes } from 'node:crypto';
import { LocalSecretBox } from '../../shared/adapters/secrets/local-secret-box';
import { auditOf } from '../../shared/domain/auth-log';
import { PushService } from '../../shared/domain/push-devices';
import type { Challenge } from '../../shared/domain/types';
import type { PushDeviceStore, PushSender, ThrottleWrites } from '../../shared/ports';
import { PUSH_TIMEOUT_SECONDS } from '../../shared/rules';
import {
  FakeClock,
  InMemoryChallengeStore,
  InMemoryLogStore,
  InMemoryTenantStore,
  InMemoryThrottleStore,
  InMemoryUserStore,
  SilentLog,
} from '../support/fakes';

const TENANT = `tn${'p'.repeat(24)}`;
const CALLER = { keyId: 'ak_1', keyName: 'VPN gateway' };

/**
 * The throttle table going down for writes: the separate fatigue write fails, and so does any
 * transaction that carries a fatigue write (checked before anything of it is written, as
 * DynamoDB cancels the whole transaction). Reads still work.
 */
class FlakyThrottleStore extends InMemoryThrottleStore {
  down = false;

  override async setFatigue(...args: Parameters<InMemoryThrottleStore['setFatigue']>): Promise<boolean> {
    if (this.down) throw new Error('throttle table unavailable (injected)');
    return super.setFatigue(...args);
  }

  override refusalOf(writes: ThrottleWrites | undefined): ReturnType<InMemoryThrottleStore['refusalOf']> {
    if (this.down && writes?.fatigue) throw new Error('throttle table unavailable (injected)');
    return super.refusalOf(writes);
  }
}

function world() {
  const clock = new FakeClock();
  const throttle = new FlakyThrottleStore();
  const challenges = new InMemoryChallengeStore(new InMemoryLogStore(throttle));
  const log = new SilentLog();
  const push = new PushService({
    challenges,
    throttle,
    clock,
    log,
    // The sweep and a reader's timeout touch neither devices nor the push service.
    devices: {} as PushDeviceStore,
    sender: {} as PushSender,
    tenants: new InMemoryTenantStore(),
    users: new InMemoryUserStore(),
    box: new LocalSecretBox(randomBytes(32).toString('base64')),
  });
  let next = 0;
  /** A push prompt sent now to alice, unanswered. */
  const prompt = async (): Promise<Challenge> => {
    const now = clock.now();
    const challenge: Challenge = {
      challengeId: `ch_push_${next++}`,
      tenantId: TENANT,
      userId: 'alice',
      method: 'push',
      status: 'pending',
      wrongAttempts: 0,
      sends: 1,
      createdAt: now,
      lastSentAt: now,
      expiresAt: now + PUSH_TIMEOUT_SECONDS * 1000,
      destination: 'ios device',
      destinationE164: '',
      audit: { caller: CALLER },
      push: { deviceId: 'dv_alice', number: 42 },
    };
    expect(await challenges.create(challenge, auditOf(CALLER, challenge, { event: 'challenge', result: 'sent', now }))).toEqual({ kind: 'created' });
    return challenge;
  };
  const due = async (): Promise<string[]> => {
    const ids: string[] = [];
    for await (const page of challenges.duePushes(clock.now())) ids.push(...page);
    return ids;
  };
  const timeouts = () => challenges.audits.filter((a) => a.log.result === 'denied' && a.log.reason === 'timeout').length;
  const fatigue = () => throttle.getUserState(TENANT, 'alice');
  return { clock, throttle, challenges, push, prompt, due, timeouts, fatigue };
}

describe('R7 the push deadline sweep counts every ignored prompt exactly once, whatever fails', () => {
  it('R7: a sweep whose fatigue write fails leaves the push open and due; the next sweep settles and counts it once', async () => {
    const { clock, throttle, challenges, push, prompt, due, timeouts, fatigue } = world();
    const ignored = await prompt();
    clock.advance(PUSH_TIMEOUT_SECONDS * 1000 + 1);

    throttle.down = true;
    await expect(push.sweepTimeouts()).rejects.toThrow('1 push timeouts not settled');
    // Nothing half-done: the push is still open, still listed for the sweep, and not counted.
    expect(await challenges.get(ignored.challengeId)).toMatchObject({ status: 'pending' });
    expect(await due()).toEqual([ignored.challengeId]);
    expect(timeouts()).toBe(0);

    throttle.down = false;
    expect(await push.sweepTimeouts()).toEqual({ checked: 1 });
    expect(await challenges.get(ignored.challengeId)).toMatchObject({ status: 'denied', denialReason: 'timeout' });
    expect(await due()).toEqual([]);
    expect(timeouts()).toBe(1);
    expect((await fatigue()).denials).toEqual([ignored.expiresAt]);

    // Nothing is left for later sweeps to count again.
    expect(await push.sweepTimeouts()).toEqual({ checked: 0 });
    expect((await fatigue()).denials).toHaveLength(1);
  });

  it('R7: a reader whose fatigue write fails leaves the push open for the sweep, which counts it once', async () => {
    const { clock, throttle, challenges, push, prompt, due, fatigue } = world();
    const ignored = await prompt();
    clock.advance(PUSH_TIMEOUT_SECONDS * 1000 + 1);
    throttle.down = true;
    await push.settleTimeout(ignored, clock.now()).catch(() => undefined);
    expect(await challenges.get(ignored.challengeId)).toMatchObject({ status: 'pending' });
    expect(await due()).toEqual([ignored.challengeId]);

    throttle.down = false;
    expect(await push.sweepTimeouts()).toEqual({ checked: 1 });
    expect((await fatigue()).denials).toEqual([ignored.expiresAt]);
  });

  it('R7: the sweep and readers racing on the same timeouts count each one exactly once', async () => {
    const { clock, push, prompt, due, timeouts, fatigue } = world();
    // Two, not three: a third denial would pause and clear the list, hiding a double count.
    const ignored = [await prompt(), await prompt()];
    clock.advance(PUSH_TIMEOUT_SECONDS * 1000 + 1);
    const now = clock.now();
    // Every timeout of the same user at once: their fatigue writes race on one throttle item too.
    await Promise.all([push.sweepTimeouts(), ...ignored.flatMap((c) => [push.settleTimeout(c, now), push.settleTimeout(c, now)])]);
    expect(timeouts()).toBe(2);
    const state = await fatigue();
    expect(state.denials).toEqual(ignored.map((c) => c.expiresAt));
    expect(state.pausedUntil).toBeUndefined();
    expect(await due()).toEqual([]);
  });
});
