// Passkeys (WebAuthn): credentials and registration ceremonies (issue 15).

import type { PasskeyRecord, PasskeyRegistrationRecord, StepUpUse } from '../domain/passkey-records';
import type { UserScope } from './users';

export type { PasskeyRecord, PasskeyRegistrationRecord, PasskeyUse, StepUpUse } from '../domain/passkey-records';

/** Why a passkey was not added. */
export type AddPasskeyOutcome =
  | { readonly kind: 'added' }
  /** The ceremony was used (or expired) meanwhile: single use. */
  | { readonly kind: 'registration_gone' }
  /** The credential id is already registered in this tenant (to this user or another). */
  | { readonly kind: 'credential_taken' }
  /** The user has `max` passkeys, or is no longer the one the ceremony was for (deleted, reset). */
  | { readonly kind: 'refused_by_user' };

/**
 * Passkeys and their registration ceremonies. Adding a passkey is one transaction: the ceremony
 * consumed, the credential id claimed in the tenant, the passkey stored and the user's count
 * raised (at most `max`, under the ceremony's credential epoch), so a race cannot pass the limit,
 * use a ceremony twice or give one credential to two users.
 */
export interface PasskeyStore {
  /**
   * Stores a ceremony. With a step-up, the approving challenge is marked used in the same
   * transaction; false (nothing stored) when it is not an approved challenge of that user,
   * approved after `approvedAfter`, and unused.
   */
  putRegistration(registration: PasskeyRegistrationRecord, stepUp?: StepUpUse): Promise<boolean>;
  /** The ceremony as stored, whether or not it has expired (the caller checks `expiresAt`). */
  getRegistration(tenantId: string, registrationId: string): Promise<PasskeyRegistrationRecord | undefined>;
  /** Removes a ceremony (used up by a failed check). */
  deleteRegistration(tenantId: string, registrationId: string): Promise<void>;
  addPasskey(registration: PasskeyRegistrationRecord, passkey: PasskeyRecord, max: number, now: number): Promise<AddPasskeyOutcome>;
  /** The user's passkeys (at most PASSKEYS_PER_USER, plus any a race left), oldest first. */
  listPasskeys(scope: UserScope, userId: string): Promise<PasskeyRecord[]>;
  getPasskey(scope: UserScope, userId: string, passkeyId: string): Promise<PasskeyRecord | undefined>;
  /** Renames one; undefined when there is none. */
  renamePasskey(scope: UserScope, userId: string, passkeyId: string, name: string): Promise<PasskeyRecord | undefined>;
  /**
   * Deletes one with its claim, and lowers the user's count only if the user is still under
   * `epoch` (the passkey's): one of an earlier epoch is removed without touching the count of
   * the user as they are now. False when there was none.
   */
  deletePasskey(scope: UserScope, userId: string, passkeyId: string, epoch: string | undefined): Promise<boolean>;
}
