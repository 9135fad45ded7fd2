// Recovery codes: a user's set of ten single-use codes (issue 16).

import type { RecoveryCodeSet } from '../domain/recovery-records';
import type { StepUpUse } from '../domain/passkey-records';
import type { UserScope } from './users';

export type { RecoveryCodeSet, RecoveryCodeUse } from '../domain/recovery-records';

/**
 * A user's recovery codes: one item per user, replaced whole by a new set. A code is spent by the
 * challenge store, in the transaction that approves the challenge (see ChallengeStore.approve).
 */
export interface RecoveryCodeStore {
  /**
   * Stores `set` in place of the set whose id is `replaces` (none: only when the user has no
   * set), so that of two racing regenerations one stores and the other is told `set_changed`.
   * With a step-up, the approving challenge is marked used in the same transaction:
   * `step_up_used` (nothing stored) when it is not an approved challenge of that user, approved
   * after `approvedAfter`, and unused.
   */
  putSet(set: RecoveryCodeSet, replaces: string | undefined, stepUp?: StepUpUse): Promise<'stored' | 'set_changed' | 'step_up_used'>;
  getSet(scope: UserScope, userId: string): Promise<RecoveryCodeSet | undefined>;
}
