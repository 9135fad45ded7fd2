/**
 * R19/R21/R22: a user's credential epoch. Every credential (app password, authenticator
 * enrolment, push activation code) and every challenge is stamped with the epoch of the user it
 * was issued to, and checked against the user's current epoch when used. Deleting a user (and
 * creating one with the same id later) or resetting one draws a new epoch, so whatever was
 * issued before is dead, including what no cleanup can find (a pending challenge, an activation
 * code) and what a cleanup that failed half-way left behind.
 */
import type { OwnerCheck } from '../ports';
import { randomId } from './crypto';
import type { Challenge, ChallengeOwner, User } from './types';

/** A fresh epoch: 128 random bits, so a recreated user can never draw the old one. */
export function newCredentialEpoch(): string {
  return randomId('ep');
}

/** A fresh remembered-devices epoch, of a user or a tenant (see shared/domain/remembered-devices.ts). */
export function newRememberedEpoch(): string {
  return randomId('re');
}

/** Whether something stamped with `stamped` still belongs to `user` (both absent: stored before epochs existed). */
export function sameEpoch(user: Pick<User, 'credentialEpoch'> | undefined, stamped: string | undefined): boolean {
  return user !== undefined && (user.credentialEpoch ?? '') === (stamped ?? '');
}

/** What a new challenge remembers of its user. */
export function ownerOf(space: string, user: User): ChallengeOwner {
  return { space, ...(user.credentialEpoch ? { epoch: user.credentialEpoch } : {}) };
}

/** The check an approval of this challenge makes (none for a challenge from before epochs existed). */
export function ownerCheckOf(challenge: Challenge, phishable = false): { owner?: OwnerCheck } {
  return challenge.owner ? { owner: { tenantId: challenge.tenantId, userId: challenge.userId, ...challenge.owner, ...(phishable ? { phishable } : {}) } } : {};
}
