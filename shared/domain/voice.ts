import type { Audit, Clock, Log, ThrottleStore, TenantStore, UserScope, UserStore, VoiceChallengeStore } from '../ports';
import { countsTowardsFatigue, type AttemptOutcome } from '../voice/outcomes';
import { isVoiceSummary, type Attempt, type VoiceProgress, type VoiceRolloverSummary, type VoiceStep } from '../voice/schemas';
import { auditOf } from './auth-log';
import { ownerCheckOf } from './credentials';
import { maskPhone } from './mask';
import type { NotificationService } from './notifications';
import { fatigueAfter } from './fatigue';
import type { Caller, Challenge, LogResult, VoiceAttemptRecord } from './types';
import { USER_WRITE_ATTEMPTS } from './users';
import { revokeRememberedDevices } from './remembered-devices';

export interface VoiceRecorderDeps {
  readonly challenges: VoiceChallengeStore;
  readonly tenants: Pick<TenantStore, 'getTenant'>;
  readonly users: UserStore;
  readonly throttle: ThrottleStore;
  readonly notifications: NotificationService;
  readonly clock: Clock;
  readonly log: Log;
}

/** A call as the challenge and the auth log keep it: the number masked (R28). */
export function attemptRecord(attempt: Attempt): VoiceAttemptRecord {
  return { index: attempt.index, number: maskPhone(attempt.number), outcome: attempt.outcome, at: attempt.at };
}

/** The auth-log result of one call: "#" approves, a hang-up or fraud report denies, anything else failed to reach the user. */
function resultOfCall(outcome: AttemptOutcome): LogResult {
  if (outcome === 'approved') return 'approved';
  return outcome === 'denied' || outcome === 'fraud' ? 'denied' : 'failed';
}

/** Rounds of the final write when the user's fatigue state changed between its read and the write (R7). */
const FINISH_ROUNDS = 5;

/**
 * What the voice rollover's record step does (the finish Lambda on AWS, the same code locally):
 * after each call, it adds the call to the challenge so that its status shows progress; at the
 * end, it approves or denies the challenge (R10–R13) with one auth-log line per call and one for
 * the result (R23), counts denied and ignored calls towards fatigue (R7), and handles a fraud
 * report (R14). Every step may be retried, and nothing it owes is lost to a failure after the
 * final status: the fatigue count commits in the same transaction as the final status, and a
 * fraud report is marked owed in it too; its effects (admin notified, user blocked) are each
 * idempotent and the mark is removed only once all are done, so the retried step (Step
 * Functions retries a failed finish) completes them, exactly once.
 */
export class VoiceRolloverRecorder {
  constructor(private readonly deps: VoiceRecorderDeps) {}

  record(step: VoiceStep): Promise<void> {
    return isVoiceSummary(step) ? this.finish(step) : this.progress(step);
  }

  async progress(step: VoiceProgress): Promise<void> {
    const outcome = await this.deps.challenges.recordAttempt({
      challengeId: step.challengeId,
      tenantId: step.tenantId,
      attempt: attemptRecord(step.attempt),
    });
    if (outcome.kind !== 'done') this.deps.log.info('voice attempt not recorded', { challengeId: step.challengeId, index: step.attempt.index });
  }

  async finish(summary: VoiceRolloverSummary): Promise<void> {
    const { challenges, throttle, clock, log } = this.deps;
    const { challengeId, tenantId, result } = summary;
    const challenge = await challenges.get(challengeId);
    if (!challenge || challenge.tenantId !== tenantId || challenge.method !== 'voice') {
      log.warn('voice result for an unknown challenge', { challengeId });
      return;
    }
    const now = clock.now();
    const attempts = summary.attempts.map(attemptRecord);
    const caller: Caller = challenge.audit.caller ?? { keyId: 'unknown', keyName: 'unknown' };
    const callAudits: Audit[] = attempts.map((a) =>
      auditOf(caller, challenge, {
        event: 'call',
        result: resultOfCall(a.outcome as AttemptOutcome),
        reason: a.outcome,
        now: Date.parse(a.at),
        phone: a.number,
        // Usage counts the challenge's result once, below, not every call.
        counted: false,
      }),
    );
    const resultAudit =
      result.kind === 'approve'
        ? auditOf(caller, challenge, { event: 'verify', result: 'approved', now })
        : auditOf(caller, challenge, { event: 'verify', result: 'denied', reason: result.reason, now });
    const fraud = result.kind === 'deny' && result.reason === 'fraud_reported';
    // R7: every call the user denied or ignored counts once, in the transaction of the final status.
    const ignored = summary.attempts.filter((a) => countsTowardsFatigue(a.outcome)).map((a) => Date.parse(a.at));
    for (let round = 0; ; round++) {
      const state = ignored.length > 0 ? await throttle.getUserState(tenantId, challenge.userId) : undefined;
      const fatigue = state && { tenantId, userId: challenge.userId, ...fatigueAfter(state, ignored), expectedVersion: state.version };
      const outcome = await challenges.finish(
        { challengeId, tenantId, result, attempts, now, ...ownerCheckOf(challenge, result.kind === 'approve'), ...(fraud ? { fraudReportPendingSince: now } : {}) },
        [...callAudits, fatigue ? { ...resultAudit, throttle: { fatigue } } : resultAudit],
      );
      if (outcome.kind === 'revoked') {
        // R19: the user was deleted or reset during the call: a # pressed now approves nothing.
        const revoked = auditOf(caller, challenge, { event: 'verify', result: 'denied', reason: 'revoked', now });
        await challenges.finish({ challengeId, tenantId, result: { kind: 'deny', reason: 'revoked' }, attempts, now }, [...callAudits, revoked]);
        log.info('voice challenge revoked', { challengeId });
        return;
      }
      if (outcome.kind === 'done') {
        log.info('voice challenge finished', { challengeId, result: result.kind, ...(result.kind === 'deny' ? { reason: result.reason } : {}), calls: attempts.length });
        if (fatigue?.pausedUntil && fatigue.pausedUntil !== state?.pausedUntil) {
          log.info('push and voice paused for fatigue', { challengeId, until: new Date(fatigue.pausedUntil).toISOString() });
        }
        if (fraud) await this.reportFraud(challenge, now);
        return;
      }
      if (outcome.kind === 'throttled' && round < FINISH_ROUNDS) continue;
      const current = outcome.kind === 'refused' ? outcome.current : undefined;
      // A retried step: the final status is in, and a fraud report's effects may still be owed.
      if (current?.fraudReportPendingSince !== undefined) {
        await this.reportFraud(current, current.fraudReportPendingSince);
        return;
      }
      log.info('voice challenge already finished or expired', { challengeId, result: result.kind });
      return;
    }
  }

  /**
   * R14: the admin hears of it, and the user is blocked from MFA if the tenant asks for that.
   * Each effect is idempotent (fixed notification ids and times; a block is recognised as this
   * report's by its time), so a retry after a partial run does each one once; the owed mark is
   * removed last.
   */
  private async reportFraud(challenge: Challenge, at: number): Promise<void> {
    const { challenges, tenants, notifications, log } = this.deps;
    const { userId, challengeId } = challenge;
    log.warn('fraud reported on a voice call', { challengeId });
    const tenant = await tenants.getTenant(challenge.tenantId);
    if (tenant) {
      await notifications.notify(
        tenant,
        { type: 'fraud_reported', userId, message: `User ${userId} reported fraud on voice challenge ${challengeId}: they did not try to sign in` },
        { notificationId: `nt_${challengeId}_fraud_reported`, at },
      );
      // Issue 16: a fraud report revokes the user's remembered devices, whether or not it blocks them.
      if (tenant.provider) await revokeRememberedDevices(this.deps.users, { tenantId: tenant.tenantId, space: tenant.provider.userSpace }, userId, at);
      if (tenant.settings.blockOnFraud && tenant.provider) {
        const scope = { tenantId: tenant.tenantId, space: tenant.provider.userSpace };
        const blockedAt = new Date(at).toISOString();
        const blockedByThis = await this.blockForFraud(scope, userId, blockedAt);
        // Blocked by this report (now, or by an earlier run of this step): say so, once.
        if (blockedByThis) {
          await notifications.notify(
            tenant,
            { type: 'user_blocked', userId, message: `User ${userId} was blocked after reporting fraud` },
            { notificationId: `nt_${challengeId}_user_blocked`, at },
          );
        }
      }
    }
    await challenges.fraudReportDone({ challengeId, tenantId: challenge.tenantId });
  }

  /**
   * R14: blocks the user for this report, conditional on the version read so that an admin's edit
   * racing it is neither erased nor erases it (re-read and retried). True when the user is blocked
   * by this report, now or by an earlier run of the step (recognised by its time).
   */
  private async blockForFraud(scope: UserScope, userId: string, blockedAt: string): Promise<boolean> {
    const { users } = this.deps;
    for (let attempt = 0; ; attempt++) {
      const user = await users.getUser(scope, userId);
      if (!user) return false;
      if (user.blocked) return user.blocked.reason === 'fraud_reported' && user.blocked.at === blockedAt;
      const write = await users.putUser(scope, { ...user, blocked: { at: blockedAt, reason: 'fraud_reported' }, updatedAt: blockedAt }, user.version ?? 0);
      if (write.kind === 'written') return true;
      // Left owed: the retried step tries again.
      if (attempt >= USER_WRITE_ATTEMPTS - 1) throw new Error('The user kept changing: the fraud block was not written yet');
    }
  }
}
