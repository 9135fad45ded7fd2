/**
 * A relying app's step-up: before it adds a way to sign in to a user who already has a registered
 * method (a passkey, an authenticator app, a phone, recovery codes), it names a challenge of that
 * user approved in the last PASSKEY_STEP_UP_SECONDS, of any method (an access pass included: the
 * onboarding path). The challenge authorises one such change: the store marks it used in the
 * change's transaction. Remembering a device takes an approved challenge by the same rules
 * (`approvalRefusal`), with a mark of its own.
 */
import { PASSKEY_STEP_UP_SECONDS } from '../rules';
import type { ChallengeStore } from '../ports';
import { sameEpoch } from './credentials';
import { StepUpRequiredError } from './errors';
import type { StepUpUse } from './passkey-records';
import type { Challenge, Principal, User } from './types';
import { userScope } from './users';

/** Why an approved challenge cannot vouch for a change to `user` now. */
export type ApprovalRefusal = 'not_found' | 'not_approved' | 'too_old' | 'user_changed';

/**
 * The earliest approval (exclusive, epoch ms) that vouches for `user` at `now`: within the window,
 * and after the user's last unblock and reset. An approval from before a block must not outlive
 * the unblock, as the recovery codes and passes issued before it do not.
 */
export function approvedAfterFor(user: User, now: number, windowSeconds: number): number {
  const marks = [user.unblockedAt, user.resetAt].filter((at): at is string => at !== undefined).map((at) => Date.parse(at));
  return Math.max(now - windowSeconds * 1000, ...marks.filter((at) => Number.isFinite(at)));
}

/**
 * Whether `challenge` is an approval that vouches for a change to `user` at `now`: this tenant's
 * and this user space's (a user id may exist in two spaces of one tenant), this user's as they are
 * now (not before a reset or a recreation), approved after `approvedAfter`.
 */
export function approvalRefusal(challenge: Challenge | undefined, principal: Principal, user: User | undefined, approvedAfter: number): ApprovalRefusal | undefined {
  if (!challenge || challenge.tenantId !== principal.tenantId) return 'not_found';
  if (challenge.status !== 'approved') return 'not_approved';
  if (!user || challenge.owner?.space !== userScope(principal).space || challenge.userId !== user.userId || !sameEpoch(user, challenge.owner?.epoch)) return 'user_changed';
  if ((challenge.approvedAt ?? 0) <= approvedAfter) return 'too_old';
  return undefined;
}

export async function stepUpOf(
  challenges: Pick<ChallengeStore, 'get'>,
  principal: Principal,
  user: User,
  now: number,
  challengeId?: string,
): Promise<StepUpUse> {
  const required = (detail: string) => new StepUpRequiredError(`The user already has a method: ${detail}`, { reason: 'step_up_required' });
  if (!challengeId) throw required(`name a challenge of this user approved in the last ${PASSKEY_STEP_UP_SECONDS / 60} minutes (challengeId)`);
  const challenge = await challenges.get(challengeId);
  const approvedAfter = approvedAfterFor(user, now, PASSKEY_STEP_UP_SECONDS);
  if (approvalRefusal(challenge, principal, user, approvedAfter)) {
    throw required(`the challenge is not an approved challenge of this user from the last ${PASSKEY_STEP_UP_SECONDS / 60} minutes (and since their last unblock or reset)`);
  }
  return { tenantId: principal.tenantId, challengeId, userId: user.userId, approvedAfter, now };
}
