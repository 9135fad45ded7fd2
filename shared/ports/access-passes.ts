// Temporary Access Passes: admin-issued passes to sign in and register a method (issue 16).

import type { AccessPassRecord } from '../domain/recovery-records';
import type { UserScope } from './users';

export type { AccessPassRecord, AccessPassUse } from '../domain/recovery-records';

/**
 * A user's access passes. A pass is used by the challenge store, in the transaction that approves
 * the challenge (see ChallengeStore.approve).
 */
export interface AccessPassStore {
  /**
   * Stores a new pass, only if no other pass was issued to the user since the caller read
   * `issued` (from `issueState`): the cap on live passes holds under races. False when one was.
   */
  putPass(pass: AccessPassRecord, issued: number): Promise<boolean>;
  /** The user's passes as stored, expired or not (the caller checks the window): every page. */
  listPasses(scope: UserScope, userId: string): Promise<AccessPassRecord[]>;
  /** The user's passes and how many were ever issued to them, read together (for `putPass`). */
  issueState(scope: UserScope, userId: string): Promise<{ passes: AccessPassRecord[]; issued: number }>;
  /** Deletes one; false when there was none. */
  deletePass(scope: UserScope, userId: string, passId: string): Promise<boolean>;
}
