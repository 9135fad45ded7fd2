/**
 * A relying app's step-up: before it adds a way to sign in to a user who already has a registered
 * method (a passkey, recovery codes), it names a challenge of that user approved in the last
 * PASSKEY_STEP_UP_SECONDS, of any method (an access pass included: the onboarding path). The
 * challenge authorises one such change: the store marks it used in the change's transaction.
 */
import { PASSKEY_STEP_UP_SECONDS } from '../rules';
import type { ChallengeStore } from '../ports';
import { sameEpoch } from './credentials';
import { StepUpRequiredError } from './errors';
import type { StepUpUse } from './passkey-records';
import type { Principal, User } from './types';
import { userScope } from './users';

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
  const approvedAfter = now - PASSKEY_STEP_UP_SECONDS * 1000;
  const fresh =
    challenge &&
    challenge.tenantId === principal.tenantId &&
    // The same user space too: a user id may exist in two spaces of one tenant.
    challenge.owner?.space === userScope(principal).space &&
    challenge.userId === user.userId &&
    challenge.status === 'approved' &&
    (challenge.approvedAt ?? 0) > approvedAfter &&
    // Approved for the user as they are now, not before a reset or a recreation.
    sameEpoch(user, challenge.owner?.epoch);
  if (!fresh) throw required(`the challenge is not an approved challenge of this user from the last ${PASSKEY_STEP_UP_SECONDS / 60} minutes`);
  return { tenantId: principal.tenantId, challengeId, userId: user.userId, approvedAfter, now };
}
