/**
 * Recovery codes (issue 16): ten single-use codes per user, shown once and stored only as scrypt
 * hashes under a salt drawn for the set. Parameters: scrypt N = 2^14, r = 8, p = 1, 32-byte key
 * (RFC 7914; 16 MiB of memory per hash). A code carries 50 random bits (ten characters of a
 * 32-letter alphabet), so the slow hash is what stands between a table dump and the codes.
 */
import { randomBytes, randomInt, scrypt } from 'node:crypto';
import { safeEqual } from './crypto';
import type { RecoveryCodeSet } from './recovery-records';
import type { User } from './types';

export const RECOVERY_CODES_PER_SET = 10;
export const SCRYPT_PARAMS = { N: 2 ** 14, r: 8, p: 1, keyLength: 32 } as const;

/** Crockford's base 32, lower case: no i, l, o, u to misread. */
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

/** `xxxxx-xxxxx`, from the CSPRNG. */
export function newRecoveryCode(): string {
  const chars = Array.from({ length: 10 }, () => ALPHABET[randomInt(ALPHABET.length)]);
  return `${chars.slice(0, 5).join('')}-${chars.slice(5).join('')}`;
}

/** What the user typed, as it is hashed: case and hyphens do not matter. */
export function normalizeCode(code: string): string {
  return code.toLowerCase().replace(/-/g, '');
}

export function hashRecoveryCode(code: string, salt: string): Promise<string> {
  const { N, r, p, keyLength } = SCRYPT_PARAMS;
  return new Promise((resolve, reject) =>
    scrypt(normalizeCode(code), Buffer.from(salt, 'base64url'), keyLength, { N, r, p, maxmem: 64 * 1024 * 1024 }, (error, key) =>
      error ? reject(error) : resolve(key.toString('base64url')),
    ),
  );
}

export function newSalt(): string {
  return randomBytes(16).toString('base64url');
}

/** The slot whose hash `hash` is, compared in constant time over every slot. */
export function slotOf(set: RecoveryCodeSet, hash: string): string | undefined {
  let found: string | undefined;
  for (const [slot, stored] of Object.entries(set.hashes)) if (safeEqual(stored, hash) && found === undefined) found = slot;
  return found;
}

/**
 * Whether a set (or a pass: anything issued to the user at `createdAt` under `epoch`) still
 * belongs to the user as they are now: same credential epoch (not reset, deleted or recreated
 * since), and not from before the user's last block (an unblock leaves it dead).
 */
export function stillIssuedTo(user: User, issued: { readonly epoch?: string; readonly createdAt: string }): boolean {
  if ((issued.epoch ?? '') !== (user.credentialEpoch ?? '')) return false;
  if (user.blocked) return false;
  return !user.unblockedAt || Date.parse(issued.createdAt) >= Date.parse(user.unblockedAt);
}
