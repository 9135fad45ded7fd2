/**
 * Recovery codes (issue 16): ten single-use codes per user, shown once and stored only as scrypt
 * hashes, each under a salt of its own, with the scrypt parameters that made it (so a set made
 * under older parameters stays verifiable, and the parameters can rise again without voiding
 * sets). Parameters of new sets: N = 2^13, r = 8, p = 10, 32-byte key (RFC 7914; 8 MiB per hash),
 * one of the configurations OWASP's Password Storage Cheat Sheet lists as equivalent to its
 * N = 2^17, r = 8, p = 1 minimum, chosen for its memory and its verify time (docs/factors.md).
 *
 * A code is ten characters of a 32-letter alphabet. Its first character is the code's slot in the
 * set (drawn distinct within the set, stored in clear as the slot's key), so a verify costs one
 * scrypt however many codes are left; the other nine carry 45 random bits under the slow hash.
 * Sets made before (a salt for the whole set, N = 2^14, r = 8, p = 1, slots "0".."9") are still
 * verified the old way, one scrypt against every remaining slot.
 */
import { randomBytes, randomInt, scrypt } from 'node:crypto';
import { safeEqual } from './crypto';
import type { RecoveryCodeSet, ScryptParams } from './recovery-records';
import type { User } from './types';

export const RECOVERY_CODES_PER_SET = 10;
/** New sets (see above). */
export const SCRYPT_PARAMS: ScryptParams = { N: 2 ** 13, r: 8, p: 10, keyLength: 32 };
/** Sets without `kdf`: one salt per set, made before codes had salts of their own. */
export const LEGACY_SCRYPT_PARAMS: ScryptParams = { N: 2 ** 14, r: 8, p: 1, keyLength: 32 };

/** Crockford's base 32, lower case: no i, l, o, u to misread. */
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

/** What the user typed, as it is hashed: case and hyphens do not matter. */
export function normalizeCode(code: string): string {
  return code.toLowerCase().replace(/-/g, '');
}

/** `xxxxx-xxxxx` whose first character is `slot`, the rest from the CSPRNG. */
function newRecoveryCode(slot: string): string {
  const chars = [slot, ...Array.from({ length: 9 }, () => ALPHABET[randomInt(ALPHABET.length)])];
  return `${chars.slice(0, 5).join('')}-${chars.slice(5).join('')}`;
}

/** Ten distinct slots, drawn from the alphabet. */
function newSlots(): string[] {
  const slots = new Set<string>();
  while (slots.size < RECOVERY_CODES_PER_SET) slots.add(ALPHABET[randomInt(ALPHABET.length)] as string);
  return [...slots];
}

function scryptOf(code: string, salt: Buffer, params: ScryptParams): Promise<string> {
  const { N, r, p, keyLength } = params;
  // scrypt needs 128·N·r bytes (and 128·r·p more); the default 32 MiB cap is too low for some parameters.
  const maxmem = 128 * N * r + 128 * r * p + 1024 * 1024;
  return new Promise((resolve, reject) =>
    scrypt(normalizeCode(code), salt, keyLength, { N, r, p, maxmem }, (error, key) => (error ? reject(error) : resolve(key.toString('base64url')))),
  );
}

/** A slot's stored value: `<salt>.<hash>`, base64url both. */
async function hashWithSalt(code: string, params: ScryptParams): Promise<string> {
  const salt = randomBytes(16);
  return `${salt.toString('base64url')}.${await scryptOf(code, salt, params)}`;
}

/** A new set's codes (shown once) and what is stored of them: slot → salted hash. */
export async function newCodes(params: ScryptParams = SCRYPT_PARAMS): Promise<{ codes: string[]; hashes: Record<string, string> }> {
  const slots = newSlots();
  const codes = slots.map(newRecoveryCode);
  // At once: libuv's pool runs up to four (8 MiB each under the parameters above).
  const hashed = await Promise.all(codes.map((code) => hashWithSalt(code, params)));
  return { codes, hashes: Object.fromEntries(slots.map((slot, i) => [slot, hashed[i] as string])) };
}

/** A salt for a verify that has no slot to check, so a wrong slot costs what a wrong code does. */
const NO_SLOT_SALT = randomBytes(16);

/** The slot of `set` that `code` is, if any; one scrypt for a set with per-code salts. */
export async function matchSlot(set: RecoveryCodeSet, code: string): Promise<string | undefined> {
  if (!set.kdf) {
    const hash = await scryptOf(code, Buffer.from(set.salt ?? '', 'base64url'), LEGACY_SCRYPT_PARAMS);
    let found: string | undefined;
    // Compared in constant time over every slot.
    for (const [slot, stored] of Object.entries(set.hashes)) if (safeEqual(stored, hash) && found === undefined) found = slot;
    return found;
  }
  const slot = normalizeCode(code).slice(0, 1);
  const stored = Object.hasOwn(set.hashes, slot) ? set.hashes[slot] : undefined;
  const [salt, hash] = stored?.split('.') ?? [];
  const typed = await scryptOf(code, salt ? Buffer.from(salt, 'base64url') : NO_SLOT_SALT, set.kdf);
  return hash !== undefined && safeEqual(hash, typed) ? slot : undefined;
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
