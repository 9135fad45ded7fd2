/**
 * Reading a challenge's status (R1, R3, R4, R9, R13): the one implementation, used by the
 * challenge service and, on its own, by the status handler, which then builds nothing of how a
 * challenge is started, resent or verified.
 */
import { ASSERTION_TTL_SECONDS, MAX_RESENDS_PER_CHALLENGE, MAX_WRONG_CODES } from '../rules';
import type { ChallengeStore, Clock } from '../ports';
import type { AssertionSigner } from './assertions';
import { NotFoundError } from './errors';
import type { FactorStatus, FactorStatusRegistry } from './factors/factor';
import type { Challenge, ChallengeStatus, ChallengeView, Principal } from './types';

/** How many times a challenge's code may be sent: the first send and its resends (R3). */
export const MAX_SENDS = 1 + MAX_RESENDS_PER_CHALLENGE;

/** Status as a reader must see it (R1: past expiry is gone whatever TTL has done; R3: locked). */
export function statusOf(factor: Pick<FactorStatus, 'lapse'>, challenge: Challenge, now: number): ChallengeStatus {
  if (challenge.status !== 'pending') return challenge.status;
  if (challenge.wrongAttempts >= MAX_WRONG_CODES) return 'locked';
  // Past its deadline a challenge lapses as its factor says (R9: a push is then denied, as `timeout`).
  if (now >= challenge.expiresAt) return factor.lapse.status;
  return 'pending';
}

export function viewOf(factor: Pick<FactorStatus, 'lapse' | 'view'>, challenge: Challenge, now: number): ChallengeView {
  const status = statusOf(factor, challenge, now);
  const lapsed = challenge.status === 'pending' && now >= challenge.expiresAt && 'reason' in factor.lapse ? factor.lapse.reason : undefined;
  return {
    challengeId: challenge.challengeId,
    userId: challenge.userId,
    method: challenge.method,
    status,
    ...(challenge.denialReason ? { reason: challenge.denialReason } : lapsed ? { reason: lapsed } : {}),
    destination: challenge.destination,
    createdAt: new Date(challenge.createdAt).toISOString(),
    expiresAt: new Date(challenge.expiresAt).toISOString(),
    attemptsRemaining: Math.max(0, MAX_WRONG_CODES - challenge.wrongAttempts),
    resendsRemaining: Math.max(0, MAX_SENDS - challenge.sends),
    ...factor.view(challenge, status === 'pending'),
  };
}

export interface ChallengeStatusDeps {
  readonly challenges: Pick<ChallengeStore, 'get'>;
  readonly clock: Clock;
  readonly signer: Pick<AssertionSigner, 'sign'>;
  /** What a status read needs of each factor (./factors). */
  readonly factors: FactorStatusRegistry;
}

export class ChallengeStatusReader {
  constructor(private readonly deps: ChallengeStatusDeps) {}

  /**
   * The challenge as it is now. A challenge approved elsewhere (on the call, R10; on the phone,
   * R9) comes with its signed assertion (R4) for as long as an assertion of that approval would
   * be valid: polling is how the relying app learns the result.
   */
  async get(principal: Principal, challengeId: string): Promise<ChallengeView & { assertion?: string }> {
    const stored = await this.deps.challenges.get(challengeId);
    if (!stored || stored.tenantId !== principal.tenantId) throw new NotFoundError('No such challenge');
    const now = this.deps.clock.now();
    const factor = this.deps.factors[stored.method];
    const challenge = await factor.current(stored, now);
    const view = viewOf(factor, challenge, now);
    const { approvedAt } = challenge;
    if (factor.answer.kind !== 'elsewhere' || view.status !== 'approved' || !approvedAt || now >= approvedAt + ASSERTION_TTL_SECONDS * 1000) {
      return view;
    }
    const assertion = await this.deps.signer.sign({
      tenantId: challenge.tenantId,
      userId: challenge.userId,
      method: challenge.method,
      challengeId,
      approvedAt,
    });
    return { ...view, assertion };
  }
}
