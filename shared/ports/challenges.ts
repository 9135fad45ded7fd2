// Challenges and their Idempotency-Key records (R1–R3, R5, R19).

import type { OtpStepUse } from '../domain/otp/records';
import type { PasskeyUse } from '../domain/passkey-records';
import type { AccessPassUse, RecoveryCodeUse } from '../domain/recovery-records';
import type { Challenge, ChallengeOwner, ChallengeView, DenialReason } from '../domain/types';
import type { Audit } from './auth-log';
import type { ThrottleRefusal } from './throttle';

export interface IdempotencyRecord {
  readonly tenantId: string;
  readonly key: string;
  /** SHA-256 of the canonical request body: same key with another body is a conflict. */
  readonly requestHash: string;
  readonly challengeId: string;
  /** Epoch milliseconds after which the record is gone. */
  readonly expiresAt: number;
  /** The answer first given, replayed if the challenge itself has expired and gone. */
  readonly view: ChallengeView;
}

export type CreateOutcome =
  | { readonly kind: 'created' }
  | { readonly kind: 'replayed'; readonly record: IdempotencyRecord }
  | ThrottleRefusal;

/** The outcome of a conditional change: done, or refused with the item as it is now (if any). */
export type ConditionalOutcome =
  | { readonly kind: 'done' }
  | { readonly kind: 'refused'; readonly current?: Challenge }
  | ThrottleRefusal;

/** An approval's check, in the same transaction, that the challenge's user is still the one it was issued to. */
export type OwnerCheck = ChallengeOwner & {
  readonly tenantId: string;
  readonly userId: string;
  /**
   * The challenge's factor is not phishing-resistant: the approval also needs the user not to
   * be marked passkeys-only since (the check fails as `revoked`; the caller reads the user to tell which).
   */
  readonly phishable?: boolean;
};

/**
 * A change that may approve: `revoked` when the challenge's user was deleted or reset since it
 * started (the `owner` check failed), so it can never be approved (R19).
 */
export type SettleOutcome = ConditionalOutcome | { readonly kind: 'revoked' };

/** The outcome of an approval: a code factor's time step can also have been used meanwhile (R5). */
export type ApproveOutcome = SettleOutcome | { readonly kind: 'step_used' };

/**
 * Challenges and their Idempotency-Key records. Every change is one conditional write together
 * with its audit (log line and usage count), so concurrent verifies and resends are decided by
 * the store, and no approval exists without its log entry.
 */

/** What an approval names: the challenge, the code it was answered with, and what it spends (R2, R5). */
export interface ApproveInput {
  readonly challengeId: string;
  readonly tenantId: string;
  readonly codeHash?: string;
  readonly now: number;
  readonly maxWrong: number;
  readonly otp?: OtpStepUse;
  readonly passkey?: PasskeyUse;
  readonly recovery?: RecoveryCodeUse;
  readonly pass?: AccessPassUse;
  readonly owner?: OwnerCheck;
}

export interface ChallengeStore {
  /** Stores a new challenge, atomically with its idempotency record (if any) and its audit. */
  create(challenge: Challenge, audit: Audit, idempotency?: IdempotencyRecord): Promise<CreateOutcome>;
  get(challengeId: string): Promise<Challenge | undefined>;
  /** The Idempotency-Key record of this tenant and key, if one exists. */
  getIdempotency(tenantId: string, key: string): Promise<IdempotencyRecord | undefined>;
  /**
   * Approves when the challenge belongs to the tenant, is pending, unexpired at `now`, has fewer
   * than the allowed wrong codes, and its code hash equals `codeHash`. Clears the hash (R2).
   * A code-factor challenge (app, oath) has no hash: `otp` is the time step to record instead,
   * in the same transaction, compare-and-set (R5); `step_used` when it was already recorded.
   * A passkey challenge has no hash either: `passkey` is its sign counter, compare-and-set the
   * same way; `step_used` when the counter moved meanwhile or the passkey is gone. A recovery
   * code (`recovery`) is spent, and an access pass (`pass`) used, the same way; `step_used` when
   * the code was spent or its set replaced, or the pass is revoked, out of its window or used up.
   */
  approve(input: ApproveInput, audit: Audit): Promise<ApproveOutcome>;
  /**
   * Counts one wrong code, under the same pending/unexpired/not-locked conditions, if the count
   * is still `seenWrongAttempts` (so the caller knows the new count exactly).
   */
  recordWrongCode(
    input: { challengeId: string; tenantId: string; now: number; maxWrong: number; seenWrongAttempts: number },
    audit: Audit,
  ): Promise<ConditionalOutcome>;
  /**
   * Replaces the code (R3 resend) when the challenge is pending, unexpired, not locked, has sent
   * fewer than `maxSends` codes and last sent at or before `sentBefore`.
   */
  replaceCode(
    input: {
      challengeId: string;
      tenantId: string;
      codeHash: string;
      now: number;
      expiresAt: number;
      maxWrong: number;
      maxSends: number;
      sentBefore: number;
    },
    audit: Audit,
  ): Promise<ConditionalOutcome>;
  /** Marks a pending challenge denied (for example when no SMS provider took the message). */
  deny(input: { challengeId: string; reason: DenialReason }, audit: Audit): Promise<void>;
}
