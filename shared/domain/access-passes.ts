/**
 * Temporary Access Passes (issue 16), the pure part: a pass is 20 characters of Crockford's base
 * 32 (100 random bits), shown once as `xxxx-xxxx-xxxx-xxxx-xxxx` and stored as its SHA-256 (a
 * fast hash is enough for 100 bits, as for API keys); case and hyphens do not matter.
 */
import { randomInt } from 'node:crypto';
import { sha256Hex } from './crypto';
import type { AccessPassRecord } from './recovery-records';

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

export function newAccessPass(): string {
  const chars = Array.from({ length: 20 }, () => ALPHABET[randomInt(ALPHABET.length)]).join('');
  return (chars.match(/.{4}/g) as string[]).join('-');
}

export function hashAccessPass(pass: string): string {
  return sha256Hex(`tessera-access-pass:${pass.toLowerCase().replace(/-/g, '')}`);
}

export type AccessPassState = 'not_started' | 'active' | 'used' | 'expired';

/** Where a pass stands at `now`: usable from `startsAt` (inclusive) to `expiresAt` (exclusive), once when one-time. */
export function passState(pass: Pick<AccessPassRecord, 'startsAt' | 'expiresAt' | 'oneTime' | 'uses'>, now: number): AccessPassState {
  if (now >= pass.expiresAt) return 'expired';
  if (pass.oneTime && pass.uses > 0) return 'used';
  if (now < pass.startsAt) return 'not_started';
  return 'active';
}
