/**
 * What is stored for the code factors (R5, R22) and app passwords (R21). Secrets are kept only
 * sealed by the SecretBox (R28) and app passwords only as scrypt hashes.
 */
import type { SecretContext } from '../../ports/secrets';
import type { OtpAlgorithm } from './totp';

/** A user's confirmed authenticator app (R5). */
export interface AppAuthenticatorRecord {
  readonly tenantId: string;
  readonly space: string;
  readonly userId: string;
  /** The TOTP secret, sealed with {@link appSecretContext}. */
  readonly sealedSecret: string;
  readonly enrolledAt: string;
  /** RFC 6238 §5.2: the time step of the last accepted code; it and earlier steps are refused. */
  readonly lastUsedStep?: number;
  /** The user's credential epoch when this was issued (see shared/domain/credentials.ts). */
  readonly epoch?: string;
}

/** An enrolment waiting for its first code (R5). The secret moves, still sealed, to the authenticator. */
export interface AppEnrollmentRecord {
  readonly tenantId: string;
  readonly space: string;
  readonly userId: string;
  readonly enrollmentId: string;
  readonly sealedSecret: string;
  readonly createdAt: string;
  /** Epoch milliseconds. */
  readonly expiresAt: number;
  /** The user's credential epoch when this was issued (see shared/domain/credentials.ts). */
  readonly epoch?: string;
  /** The user item's version when this was issued: a relying app's confirm needs it unchanged. */
  readonly userVersion?: number;
}

/** An imported OATH TOTP hardware token (R22), the tenant's until deleted. */
export interface OathTokenRecord {
  readonly tenantId: string;
  readonly serial: string;
  /** Sealed with {@link oathSecretContext}. */
  readonly sealedSecret: string;
  readonly algorithm: OtpAlgorithm;
  readonly digits: number;
  /** Time interval, seconds (30 or 60). */
  readonly step: number;
  /** R5: the token's measured clock drift, in steps; updated on every accepted code. */
  readonly driftSteps: number;
  readonly lastUsedStep?: number;
  readonly manufacturer?: string;
  readonly model?: string;
  readonly importedAt: string;
  readonly assignee?: { readonly userId: string; readonly space: string; readonly assignedAt: string };
}

/** R21: one app password of a user, as stored: its scrypt hash, never the password. */
export interface AppPasswordRecord {
  readonly tenantId: string;
  readonly space: string;
  readonly userId: string;
  readonly passwordId: string;
  readonly name: string;
  readonly hash: string;
  readonly createdAt: string;
  /** The user's credential epoch when this was issued (see shared/domain/credentials.ts). */
  readonly epoch?: string;
}

/**
 * R5: an accepted time step to record, compare-and-set: only if it is later than the token's
 * `lastUsedStep` (and, for a hardware token used in a challenge, still assigned to `userId`).
 */
export type OtpStepUse =
  | { readonly kind: 'app'; readonly tenantId: string; readonly space: string; readonly userId: string; readonly step: number }
  | {
      readonly kind: 'oath';
      readonly tenantId: string;
      readonly serial: string;
      readonly userId?: string;
      readonly step: number;
      readonly driftSteps: number;
    };

/** SecretBox contexts: a sealed secret opens only for the token it was sealed for. */
export const appSecretContext = (tenantId: string, space: string, userId: string): SecretContext => ({
  kind: 'totp-secret',
  tenantId,
  binding: `otp:app:${tenantId}:${space}:${userId}`,
});
export const oathSecretContext = (tenantId: string, serial: string): SecretContext => ({
  kind: 'oath-secret',
  tenantId,
  binding: `otp:oath:${tenantId}:${serial}`,
});
