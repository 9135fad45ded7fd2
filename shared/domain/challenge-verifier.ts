/**
 * Verifying a challenge's answer (R2–R5, R8, R19, R23): a code, or a credential's response (a
 * passkey's assertion), checked by the challenge's factor; an approval spends the code and comes
 * with a signed assertion (R4); a wrong answer is counted, and locks the challenge at the limit.
 * Apart from how challenges are started and resent (./challenges.ts), so that the verify handler
 * builds only this: no idempotency, delivery or send throttling on the path that runs on every
 * sign-in.
 */
import { MAX_WRONG_CODES } from '../rules';
import type { AuthLogStore, ChallengeStore, Clock, ConditionalOutcome, Log, ThrottleWrites, UserStore } from '../ports';
import type { AssertionSigner } from './assertions';
import { statusOf, viewOf } from './challenge-status';
import { auditOf } from './auth-log';
import { ChallengeFinishedError, ChallengeLockedError, MethodUnavailableError, NotFoundError, PasskeyNotAcceptedError, WrongCodeError } from './errors';
import { ownerCheckOf, sameEpoch } from './credentials';
import type { FactorRegistry, Submission } from './factors/factor';
import { passkeysOnly, refusalOf, revoke } from './refusals';
import { phishingResistantOnly } from './registration';
import type { Challenge, ChallengeView, Principal } from './types';
import { userScope } from './users';

export interface ChallengeVerifierDeps {
  readonly challenges: ChallengeStore;
  /** Read only when an approval finds the user changed since the challenge started. */
  readonly users: Pick<UserStore, 'getUser'>;
  readonly logs: Pick<AuthLogStore, 'append'>;
  readonly clock: Clock;
  readonly signer: Pick<AssertionSigner, 'signingKey' | 'signWith'>;
  readonly log: Log;
  /** How each factor's answer is checked (./factors). */
  readonly factors: FactorRegistry;
}

export class ChallengeVerifier {
  constructor(private readonly deps: ChallengeVerifierDeps) {}

  /**
   * Checks the answer a verify posts: a code, or a credential's response (a passkey's
   * assertion), whichever the challenge's factor takes; a string is a code.
   */
  async verify(
    principal: Principal,
    challengeId: string,
    submitted: string | Submission,
  ): Promise<{ view: ChallengeView; assertion: string }> {
    const { challenges, clock, signer, log } = this.deps;
    const now = clock.now();
    const challenge = await challenges.get(challengeId);
    if (!challenge || challenge.tenantId !== principal.tenantId) throw new NotFoundError('No such challenge');
    const factor = this.deps.factors[challenge.method];
    const answer = factor.answer;
    const submission: Submission = typeof submitted === 'string' ? { code: submitted } : submitted;
    if (answer.kind === 'elsewhere' || answer.kind !== ('code' in submission ? 'code' : 'credential')) {
      // R23: a code sent to a challenge that takes none (or a credential to one that takes a code) is an attempt too.
      await this.deps.logs.append(auditOf(principal, challenge, { event: 'verify', result: 'denied', reason: 'method_unavailable', now }));
      const message = answer.kind === 'elsewhere' ? answer.message : answer.kind === 'code' ? 'This challenge takes a code, not a credential' : 'This challenge takes a credential (the passkey’s assertion), not a code';
      throw new MethodUnavailableError(message, { method: challenge.method });
    }
    await this.refuseUnlessOpen(principal, challenge, now);
    if (this.passkeysOnlyNow(principal, challenge)) await this.refusePasskeysOnly(principal, challenge, now);

    const base = { challengeId, tenantId: principal.tenantId, now, maxWrong: MAX_WRONG_CODES };
    const scope = userScope(principal);
    const check =
      answer.kind === 'code'
        ? await answer.check({ scope, challenge, code: 'code' in submission ? submission.code : '', now })
        : await answer.check({ principal, scope, challenge, credential: 'credential' in submission ? submission.credential : undefined, now });
    const device = check.device ? { device: check.device } : {};
    if (check.kind === 'deny') {
      // The answer itself shows the factor cannot be trusted (a cloned passkey): denied for good.
      await challenges.deny({ challengeId, reason: check.reason }, auditOf(principal, challenge, { event: 'verify', result: 'denied', reason: check.reason, now, ...device }));
      log.warn('challenge denied', { challengeId, method: challenge.method, reason: check.reason });
      // Owed once the denial is recorded; a failure to report it does not undo the denial.
      await check.report?.().catch((error: unknown) => log.warn('denial not reported', { challengeId, error: error instanceof Error ? error.name : 'unknown' }));
      throw new ChallengeFinishedError(check.message, { status: 'denied', reason: check.reason });
    }
    // R5: a code whose time step was already accepted counts as wrong, logged as a replay.
    let wrongReason: 'wrong_code' | 'replayed' | 'credential_rejected' = check.kind === 'mismatch' ? check.reason : 'wrong_code';
    if (check.kind === 'match') {
      // Loaded before the code is spent: once the approval commits, nothing may fail (a throttled
      // KMS or key read after it would leave the relying app a spent code and no assertion).
      const signingKey = await signer.signingKey();
      const { owner } = ownerCheckOf(challenge);
      const approval = await challenges.approve(
        { ...base, ...check.proof, ...(owner ? { owner: { ...owner, phishable: answer.kind !== 'credential' } } : {}) },
        { ...auditOf(principal, challenge, { event: 'verify', result: 'approved', now, ...device }), ...(endsStreak(challenge) ? { throttle: streak(challenge, 'reset', now) } : {}) },
      );
      if (approval.kind === 'revoked') {
        // The owner check failed: the user was deleted, reset or blocked — or marked passkeys-only since.
        const user = owner ? await this.deps.users.getUser({ tenantId: principal.tenantId, space: owner.space }, challenge.userId) : undefined;
        if (user && sameEpoch(user, owner?.epoch) && !user.blocked && phishingResistantOnly(user, principal.tenant.settings)) {
          await this.refusePasskeysOnly(principal, challenge, now);
        }
        await revoke(challenges, principal, challenge, now);
      }
      if (approval.kind === 'done') {
        const assertion = await signer.signWith(signingKey, {
          tenantId: challenge.tenantId,
          userId: challenge.userId,
          method: challenge.method,
          challengeId,
          approvedAt: now,
          ...(check.authentication ? { authentication: check.authentication } : {}),
        });
        log.info('challenge approved', { challengeId, method: challenge.method });
        if (check.approved) {
          await check.approved(principal).catch((error: unknown) =>
            log.warn('approval follow-up failed', { challengeId, method: challenge.method, error: error instanceof Error ? error.name : 'unknown' }),
          );
        }
        const { codeHash: _spent, ...approved } = challenge;
        return { view: viewOf(factor, { ...approved, status: 'approved', approvedAt: now }, now), assertion };
      }
      // Still open means the code changed under us (a resend voided it), or another verify took
      // this time step (R5) or this passkey's counter first: count it as wrong below.
      const current = approval.kind === 'refused' ? approval.current : undefined;
      if (approval.kind === 'step_used') wrongReason = 'replayed';
      else if (!current || statusOf(factor, current, now) !== 'pending') {
        await this.refuseAfterRace(principal, approval.kind === 'refused' ? approval : { kind: 'refused' }, challenge, now);
      }
    }

    // The challenge is open and the code did not match: count it (R3). The count is
    // compare-and-set, so each caller learns exactly how many tries are left.
    let seen = challenge;
    for (;;) {
      const wrong = await challenges.recordWrongCode(
        { ...base, seenWrongAttempts: seen.wrongAttempts },
        { ...auditOf(principal, challenge, { event: 'verify', result: 'denied', reason: wrongReason, now, ...device }), throttle: streak(challenge, 'wrong', now) },
      );
      if (wrong.kind === 'done') break;
      if (wrong.kind === 'throttled' || !wrong.current || wrong.current.wrongAttempts === seen.wrongAttempts) {
        await this.refuseAfterRace(principal, wrong.kind === 'refused' ? wrong : { kind: 'refused' }, seen, now);
      }
      seen = (wrong as { current: Challenge }).current;
      await this.refuseUnlessOpen(principal, seen, now);
    }
    const remaining = MAX_WRONG_CODES - (seen.wrongAttempts + 1);
    log.info('wrong code', { challengeId, attemptsRemaining: remaining });
    if (remaining <= 0) {
      throw new ChallengeLockedError('Too many wrong codes: the challenge is locked', { attemptsRemaining: 0 });
    }
    if (wrongReason === 'replayed') {
      const message = check.kind === 'mismatch' ? check.message : check.kind === 'match' ? check.spent : undefined;
      throw new WrongCodeError(message ?? (answer.kind === 'code' ? 'This code was already used; wait for the next one' : 'This answer was already used'), { reason: 'replayed', attemptsRemaining: remaining });
    }
    if (check.kind === 'mismatch' && check.message) {
      const Refusal = wrongReason === 'credential_rejected' ? PasskeyNotAcceptedError : WrongCodeError;
      throw new Refusal(check.message, { reason: wrongReason, attemptsRemaining: remaining });
    }
    throw new WrongCodeError('The code is not correct', { attemptsRemaining: remaining });
  }

  /**
   * A challenge of another factor made before the tenant accepted only passkeys. A user's own
   * flag is part of the approval's owner check instead (no read on the way to an approval).
   */
  private passkeysOnlyNow(principal: Principal, challenge: Challenge): boolean {
    // A factor answered with a credential (a passkey's assertion) is the phishing-resistant kind.
    if (this.deps.factors[challenge.method].answer.kind === 'credential') return false;
    return Boolean(principal.tenant.settings.passkeys?.phishingResistantOnly);
  }

  /** R23: a code or prompt for a user only passkeys are accepted for: logged, refused, the challenge left as it is. */
  private async refusePasskeysOnly(principal: Principal, challenge: Challenge, now: number): Promise<never> {
    await this.deps.logs.append(auditOf(principal, challenge, { event: 'verify', result: 'denied', reason: 'phishing_resistant_only', now }));
    throw passkeysOnly(challenge);
  }

  /** A verify on a finished, locked or expired challenge: logged (R23), then refused. */
  private async refuseUnlessOpen(principal: Principal, challenge: Challenge, now: number): Promise<void> {
    const refusal = refusalOf(this.deps.factors[challenge.method], challenge, now);
    if (!refusal) return;
    await this.deps.logs.append(
      auditOf(principal, challenge, { event: 'verify', result: 'denied', reason: refusal.reason, now }),
    );
    throw refusal.error;
  }

  /** A conditional write lost a race: explain with the challenge as it is now. */
  private async refuseAfterRace(
    principal: Principal,
    outcome: Extract<ConditionalOutcome, { kind: 'refused' }>,
    before: Challenge,
    now: number,
  ): Promise<never> {
    const current = outcome.current ?? before;
    await this.refuseUnlessOpen(principal, current, now);
    throw new ChallengeFinishedError('The challenge is no longer open');
  }
}

/**
 * R8: whether an approval has a wrong-code streak to end: the user had one when the challenge
 * started, or this challenge took a wrong code. (A streak begun meanwhile on another challenge
 * of the user is ended by that challenge's approval, or forgotten after an hour.)
 */
function endsStreak(challenge: Challenge): boolean {
  return challenge.wrongAttempts > 0 || challenge.streakAtStart === true;
}

function streak(challenge: Challenge, change: 'wrong' | 'reset', now: number): ThrottleWrites {
  return { streak: { tenantId: challenge.tenantId, userId: challenge.userId, change, now } };
}
