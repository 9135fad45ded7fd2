// Code factors (R5, R22).

import type { AppAuthenticatorRecord, AppEnrollmentRecord, OathTokenRecord, OtpStepUse } from '../domain/otp/records';
import type { Page } from './page';
import type { UserScope } from './users';

/**
 * Authenticator-app secrets, enrolments and OATH hardware tokens (R5, R22), all sealed by the
 * SecretBox before they get here. Changes that must agree with the user record (the user's
 * `authenticator` and `oathToken` markers) are one transaction.
 */
export interface OtpCredentialStore {
  putAppEnrollment(enrollment: AppEnrollmentRecord): Promise<void>;
  getAppEnrollment(scope: UserScope, userId: string): Promise<AppEnrollmentRecord | undefined>;
  /**
   * Makes the enrolment the user's authenticator (replacing any earlier one), removes the
   * enrolment and marks the user, atomically. False when the enrolment or the user is gone.
   */
  confirmAppEnrollment(scope: UserScope, enrollmentId: string, authenticator: AppAuthenticatorRecord): Promise<boolean>;
  getAppAuthenticator(scope: UserScope, userId: string): Promise<AppAuthenticatorRecord | undefined>;
  /** Removes the authenticator and the user's marker; false when there was none. */
  deleteAppAuthenticator(scope: UserScope, userId: string): Promise<boolean>;
  /** Stores a token unless the tenant already has that serial (false then). */
  putOathToken(token: OathTokenRecord): Promise<boolean>;
  getOathToken(tenantId: string, serial: string): Promise<OathTokenRecord | undefined>;
  listOathTokens(tenantId: string, query: { limit: number; cursor?: string }): Promise<Page<OathTokenRecord>>;
  /** Assigns an unassigned token to a user without one, atomically with the user's marker. */
  assignOathToken(
    tenantId: string,
    serial: string,
    scope: UserScope,
    userId: string,
    at: string,
  ): Promise<'done' | 'no_token' | 'token_assigned' | 'no_user' | 'user_has_token'>;
  /** Takes the token from its user; false when it was not assigned. */
  unassignOathToken(tenantId: string, serial: string): Promise<boolean>;
  /** Records an accepted step outside a challenge (enrolment, resync); false when a later one is already recorded. */
  useStep(use: OtpStepUse): Promise<boolean>;
}
