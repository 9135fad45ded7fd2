// A relying app's step-up spent on its own (issue 16).

import type { StepUpUse } from '../domain/passkey-records';

export type { StepUpUse } from '../domain/passkey-records';

/**
 * Spends a relying app's step-up before a change that is not one store's write (a user's phones,
 * an authenticator enrolment): marks the challenge used, conditional on it being this tenant's
 * and user's, approved after `approvedAfter`, and not spent on a change before. False when it was
 * not (nothing marked). Spent first, then the change: a change that then fails costs the user a
 * new approval, never a second change for one approval.
 */
export interface StepUpStore {
  spend(use: StepUpUse): Promise<boolean>;
}
