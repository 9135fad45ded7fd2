/**
 * R9/R7: how a push is settled (approved, denied or timed out) with its auth-log line and its
 * fatigue count. Apart from the push service (./push-devices.ts), which answers and sweeps with
 * it, so that a status read can settle a push past its deadline without the rest of push.
 */
import type { Audit, Log, PushChallengeStore, SettleOutcome, ThrottleStore } from '../ports';
import { auditOf } from './auth-log';
import { fatigueAfter } from './fatigue';
import type { Caller, Challenge, DenialReason } from './types';

/** Rounds of a settle when the user's fatigue state changed between its read and the write (R7). */
const SETTLE_ROUNDS = 5;

/** The pushes a relying app reads: a pending push past its deadline is denied as `timeout` (R9). */
export function pushTimedOut(challenge: Challenge, now: number): boolean {
  return challenge.method === 'push' && challenge.status === 'pending' && now >= challenge.expiresAt;
}

export interface PushSettlementDeps {
  readonly challenges: Pick<PushChallengeStore, 'settlePush'>;
  readonly throttle: Pick<ThrottleStore, 'getUserState'>;
  readonly log: Log;
}

export class PushSettlement {
  constructor(private readonly deps: PushSettlementDeps) {}

  /**
   * R9/R7: a pending push past its deadline is denied as `timeout`. Whoever observes it first
   * (the sweep, a status read, a late answer) makes the conditional write, and only that one
   * counts the ignored prompt towards fatigue, in the same transaction. When that write does not
   * commit, the push is returned still pending (and stays listed for the sweep).
   */
  async settleTimeout(challenge: Challenge, now: number): Promise<Challenge> {
    if (!pushTimedOut(challenge, now)) return challenge;
    const result = { kind: 'deny' as const, reason: 'timeout' as const };
    const outcome = await this.settle(challenge, { challengeId: challenge.challengeId, tenantId: challenge.tenantId, result, now }, challenge.expiresAt);
    if (outcome.kind === 'done') {
      this.deps.log.info('push timed out', { challengeId: challenge.challengeId });
      return { ...challenge, status: 'denied', denialReason: 'timeout' };
    }
    if (outcome.kind === 'throttled') this.deps.log.warn('push timeout not settled: the user\'s fatigue state kept changing', { challengeId: challenge.challengeId });
    return (outcome.kind === 'refused' ? outcome.current : undefined) ?? challenge;
  }

  /**
   * Settles a push with its auth-log line. A denial or timeout (`fatigueAt`: the time it counts
   * at) is counted towards fatigue (R7) in the same transaction, compare-and-set on the user's
   * throttle state read just before: either both commit or neither does, so a settled push is
   * always counted and an unsettled one stays open for whoever observes it next. When another
   * change of the user's state got there first, the state is read again and the settle retried.
   */
  async settle(
    challenge: Challenge,
    input: Parameters<PushChallengeStore['settlePush']>[0],
    fatigueAt: number | undefined,
  ): Promise<SettleOutcome> {
    const { challenges, throttle, log } = this.deps;
    const { tenantId, userId, challengeId } = challenge;
    for (let round = 0; ; round++) {
      const state = fatigueAt === undefined ? undefined : await throttle.getUserState(tenantId, userId);
      const fatigue = state && { tenantId, userId, ...fatigueAfter(state, [fatigueAt as number]), expectedVersion: state.version };
      const audit = this.auditFor(challenge, input.result, input.now);
      const outcome = await challenges.settlePush(input, fatigue ? { ...audit, throttle: { fatigue } } : audit);
      if (outcome.kind === 'done' && fatigue?.pausedUntil && fatigue.pausedUntil !== state?.pausedUntil) {
        log.info('push and voice paused for fatigue', { challengeId, until: new Date(fatigue.pausedUntil).toISOString() });
      }
      if (outcome.kind !== 'throttled' || round >= SETTLE_ROUNDS - 1) return outcome;
    }
  }

  /** The auth-log line of a settled push, in the name of the caller that started it (R23). */
  auditFor(challenge: Challenge, result: { kind: 'approve' } | { kind: 'deny'; reason: DenialReason }, now: number): Audit {
    const caller: Caller = challenge.audit.caller ?? { keyId: 'unknown', keyName: 'unknown' };
    return result.kind === 'approve'
      ? auditOf(caller, challenge, { event: 'verify', result: 'approved', now })
      : auditOf(caller, challenge, { event: 'verify', result: 'denied', reason: result.reason, now });
  }
}
