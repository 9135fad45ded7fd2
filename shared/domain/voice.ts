import { USER_WRITE_ATTEMPTS } from './users';
import type { Audit, Clock, Log, ThrottleStore, TenantStore, UserStore, VoiceChallengeStore } from '../ports';
import { countsTowardsFatigue, type AttemptOutcome } from '../voice/outcomes';
import { isVoiceSummary, type Attempt, type VoiceProgress, type VoiceRolloverSummary, type VoiceStep } from '../voice/schemas';
import { auditOf } from './auth-log';
import { ownerCheckOf } from './credentials';
import { maskPhone } from './mask';
import type { NotificationService } from './notifications';
import { countFatigue } from './fatigue';
import type { Caller, Challenge, LogResult, VoiceAttemptRecord } from './types';

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

/**
 * What the voice rollover's record step does (the finish Lambda on AWS, the same code locally):
 * after each call, it adds the call to the challenge so that its status shows progress; at the
 * end, it approves or denies the challenge (R10–R13) with one auth-log line per call and one for
 * the result (R23), counts denied and ignored calls towards fatigue (R7), and handles a fraud
 * report (R14). Every step may be retried: the challenge changes only while it is pending, and
 * the effects after the final change run once, by the step that made it.
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
    const { challenges, clock, log } = this.deps;
    const { challengeId, tenantId, result } = summary;
    const challenge = await challenges.get(challengeId);
    if (!challenge || challenge.tenantId !== tenantId || challenge.method !== 'voice') {
      log.warn('voice result for an unknown challenge', { challengeId });
      return;
    }
    const now = clock.now();
    const attempts = summary.attempts.map(attemptRecord);
    const caller: Caller = challenge.audit.caller ?? { keyId: 'unknown', keyName: 'unknown' };
    const audits: Audit[] = attempts.map((a) =>
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
    audits.push(
      result.kind === 'approve'
        ? auditOf(caller, challenge, { event: 'verify', result: 'approved', now })
        : auditOf(caller, challenge, { event: 'verify', result: 'denied', reason: result.reason, now }),
    );
    const outcome = await challenges.finish({ challengeId, tenantId, result, attempts, now, ...ownerCheckOf(challenge) }, audits);
    if (outcome.kind === 'revoked') {
      // R19: the user was deleted or reset during the call: a # pressed now approves nothing.
      const revoked = auditOf(caller, challenge, { event: 'verify', result: 'denied', reason: 'revoked', now });
      await challenges.finish({ challengeId, tenantId, result: { kind: 'deny', reason: 'revoked' }, attempts, now }, [...audits.slice(0, -1), revoked]);
      log.info('voice challenge revoked', { challengeId });
      return;
    }
    if (outcome.kind !== 'done') {
      log.info('voice challenge already finished or expired', { challengeId, result: result.kind });
      return;
    }
    log.info('voice challenge finished', { challengeId, result: result.kind, ...(result.kind === 'deny' ? { reason: result.reason } : {}), calls: attempts.length });
    await this.countFatigue(challenge, summary.attempts);
    if (result.kind === 'deny' && result.reason === 'fraud_reported') await this.reportFraud(challenge);
  }

  /** R7: every call the user denied or ignored counts once; the third in the window pauses push and voice. */
  private async countFatigue(challenge: Challenge, attempts: readonly Attempt[]): Promise<void> {
    const times = attempts.filter((a) => countsTowardsFatigue(a.outcome)).map((a) => Date.parse(a.at));
    await countFatigue(this.deps, challenge, times);
  }

  /** R14: the admin hears of it, and the user is blocked from MFA if the tenant asks for that. */
  private async reportFraud(challenge: Challenge): Promise<void> {
    const { tenants, users, notifications, clock, log } = this.deps;
    const { userId, challengeId } = challenge;
    log.warn('fraud reported on a voice call', { challengeId });
    const tenant = await tenants.getTenant(challenge.tenantId);
    if (!tenant) return;
    await notifications.notify(tenant, {
      type: 'fraud_reported',
      userId,
      message: `User ${userId} reported fraud on voice challenge ${challengeId}: they did not try to sign in`,
    });
    if (!tenant.settings.blockOnFraud || !tenant.provider) return;
    const scope = { tenantId: tenant.tenantId, space: tenant.provider.userSpace };
    // Conditional on the version read (R14 with an admin's edit racing it): re-read and retry.
    for (let attempt = 0; ; attempt++) {
      const user = await users.getUser(scope, userId);
      if (!user || user.blocked) return;
      const at = new Date(clock.now()).toISOString();
      const write = await users.putUser(scope, { ...user, blocked: { at, reason: 'fraud_reported' }, updatedAt: at }, user.version ?? 0);
      if (write.kind === 'written') break;
      if (attempt >= USER_WRITE_ATTEMPTS - 1) throw new Error('The user kept changing: the fraud block was not written');
    }
    await notifications.notify(tenant, { type: 'user_blocked', userId, message: `User ${userId} was blocked after reporting fraud` });
  }
}
