// Temporary Access Passes: admin-issued passes to sign in and register a method (issue 16).

import type { AccessPassRecord } from '../domain/recovery-records';
import type { UserScope } from './users';

export type { AccessPassRecord, AccessPassUse } from '../domain/recovery-records';

/**
 * A user's access passes. A pass is used by the challenge store, in the transaction that approves
 * the challenge (see ChallengeStore.approve).
 */
export interface AccessPassStore {
  putPass(pass: AccessPassRecord): Promise<void>;
  /** The user's passes as stored, expired or not (the caller checks the window). */
  listPasses(scope: UserScope, userId: string): Promise<AccessPassRecord[]>;
  /** Deletes one; false when there was none. */
  deletePass(scope: UserScope, userId: string, passId: string): Promise<boolean>;
}
