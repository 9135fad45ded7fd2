/**
 * What is stored for the two ways back to an account (issue 16): a user's recovery codes and the
 * Temporary Access Passes an admin issues. A leaf module: the ports (shared/ports/recovery-codes.ts,
 * shared/ports/access-passes.ts) carry these records. No secret is stored: only slow or keyed hashes.
 */

/** scrypt's parameters (RFC 7914) and key length in bytes. */
export interface ScryptParams {
  readonly N: number;
  readonly r: number;
  readonly p: number;
  readonly keyLength: number;
}

/**
 * A user's current set of recovery codes. Regenerating replaces the whole item (a new `setId`,
 * written only over the set it read: two racing regenerations store one), so every code of the
 * previous set is void at once. `hashes` maps a code's slot (its first character) to
 * `<salt>.<scrypt hash>` of the code under `kdf`; a used code's slot is removed. A set without
 * `kdf` was made before codes had salts of their own: slots "0".."9", each the hash under the
 * set's `salt` with the legacy parameters (see shared/domain/recovery-codes.ts).
 */
export interface RecoveryCodeSet {
  readonly tenantId: string;
  readonly space: string;
  readonly userId: string;
  readonly setId: string;
  /** The scrypt parameters of every hash of the set; absent on legacy sets. */
  readonly kdf?: ScryptParams;
  /** Legacy sets only: base64url, random per set. */
  readonly salt?: string;
  readonly hashes: Readonly<Record<string, string>>;
  readonly createdAt: string;
  /** Who made it: a relying app or an admin, by API key id. */
  readonly createdBy: { readonly via: 'auth' | 'admin'; readonly keyId: string };
  /** The user's credential epoch when the set was made (see shared/domain/credentials.ts). */
  readonly epoch?: string;
}

/** One recovery code spent with a challenge's approval: only if the slot of that very set is still there. */
export interface RecoveryCodeUse {
  readonly tenantId: string;
  readonly space: string;
  readonly userId: string;
  readonly setId: string;
  readonly slot: string;
}

/** A Temporary Access Pass, as stored: its SHA-256, never the pass. */
export interface AccessPassRecord {
  readonly tenantId: string;
  readonly space: string;
  readonly userId: string;
  readonly passId: string;
  /** SHA-256 hex of the pass (a pass carries 100 random bits: a fast hash is enough, as for API keys). */
  readonly passHash: string;
  /** Epoch milliseconds: usable from `startsAt` (inclusive) until `expiresAt` (exclusive). */
  readonly startsAt: number;
  readonly expiresAt: number;
  readonly oneTime: boolean;
  /** Successful sign-ins with it. */
  readonly uses: number;
  readonly lastUsedAt?: string;
  readonly createdAt: string;
  /** The admin key that issued it. */
  readonly createdBy: string;
  readonly epoch?: string;
}

/**
 * A pass used by a challenge's approval, in the same transaction: only if it still exists, is in
 * its window at `now`, and, when one-time, has not been used.
 */
export interface AccessPassUse {
  readonly tenantId: string;
  readonly space: string;
  readonly userId: string;
  readonly passId: string;
  readonly oneTime: boolean;
  readonly now: number;
}
