/**
 * R21: app passwords for legacy clients that cannot do a second factor (an old mail client, a
 * VPN appliance). Shown once, stored only as a salted scrypt hash (R28), checked in constant time.
 */
import { randomBytes, randomInt, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/**
 * R21: letters and digits that cannot be misread for one another (no 0/o, 1/l/i), lower case so
 * a client that lower-cases input does no harm. 31 symbols × 16 characters ≈ 79 bits.
 */
export const APP_PASSWORD_ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789';
export const APP_PASSWORD_LENGTH = 16;
const GROUP = 4;

/**
 * R21/R28: scrypt cost. The password is random (≈79 bits), not chosen by a person, so the
 * stretching only has to make a stolen table useless, not resist a dictionary: N = 2^14 costs
 * about 16 MiB and tens of milliseconds per check, which a legacy client signing in often can bear.
 */
export const APP_PASSWORD_SCRYPT = { N: 2 ** 14, r: 8, p: 1 } as const;
const SALT_BYTES = 16;
const HASH_BYTES = 32;
/** Ceiling on the memory (128·N·r bytes) a stored hash may ask for, so an altered record cannot exhaust a Lambda. */
const MAX_SCRYPT_BYTES = 256 * 1024 * 1024;

export interface ScryptParams {
  readonly N: number;
  readonly r: number;
  readonly p: number;
}

/** `length` characters of {@link APP_PASSWORD_ALPHABET} from the CSPRNG, in dash-separated groups of four. */
export function randomGroupedCode(length: number): string {
  const chars = Array.from({ length }, () => APP_PASSWORD_ALPHABET[randomInt(APP_PASSWORD_ALPHABET.length)]);
  const groups: string[] = [];
  for (let i = 0; i < chars.length; i += GROUP) groups.push(chars.slice(i, i + GROUP).join(''));
  return groups.join('-');
}

/** R21: a new app password, `xxxx-xxxx-xxxx-xxxx`, from the CSPRNG. Show it once; store only its hash. */
export function generateAppPassword(): string {
  return randomGroupedCode(APP_PASSWORD_LENGTH);
}

/**
 * The canonical form that is hashed: lower case, without the group dashes or spaces people add
 * or drop when they copy the password into a client.
 */
export function normaliseAppPassword(input: string): string {
  return input.replace(/[\s-]+/g, '').toLowerCase();
}

function scryptAsync(password: string, salt: Buffer, params: ScryptParams): Promise<Buffer> {
  // maxmem: scrypt needs 128·N·r bytes; Node's 32 MiB default is too tight at the ceiling.
  const options: ScryptOptions = { N: params.N, r: params.r, p: params.p, maxmem: 256 * params.N * params.r };
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFKC'), salt, HASH_BYTES, options, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

/**
 * R21/R28: `scrypt$N$r$p$<salt>$<hash>` (salt and hash base64url). The parameters travel with
 * the hash so the cost can be raised later without breaking passwords already issued.
 */
export async function hashAppPassword(password: string, params: ScryptParams = APP_PASSWORD_SCRYPT): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const hash = await scryptAsync(normaliseAppPassword(password), salt, params);
  return ['scrypt', params.N, params.r, params.p, salt.toString('base64url'), hash.toString('base64url')].join('$');
}

function parseStored(stored: string): { params: ScryptParams; salt: Buffer; hash: Buffer } {
  const match = /^scrypt\$(\d+)\$(\d+)\$(\d+)\$([A-Za-z0-9_-]+)\$([A-Za-z0-9_-]+)$/.exec(stored);
  const [N, r, p] = [Number(match?.[1]), Number(match?.[2]), Number(match?.[3])];
  const powerOfTwo = Number.isSafeInteger(N) && N > 1 && (N & (N - 1)) === 0;
  const valid = match && powerOfTwo && r >= 1 && r <= 32 && p >= 1 && p <= 16 && 128 * N * r <= MAX_SCRYPT_BYTES;
  if (!valid) throw new Error('The stored app password hash is malformed');
  return { params: { N, r, p }, salt: Buffer.from(match[4] ?? '', 'base64url'), hash: Buffer.from(match[5] ?? '', 'base64url') };
}

/**
 * R21: whether `password` is the one behind `stored`. The hash comparison is constant-time.
 * A stored value that is not a hash this module wrote throws: that is corrupt data, not a wrong
 * password, and must not pass silently.
 */
export async function verifyAppPassword(password: string, stored: string): Promise<boolean> {
  const { params, salt, hash } = parseStored(stored);
  const candidate = await scryptAsync(normaliseAppPassword(password), salt, params);
  return candidate.length === hash.length && timingSafeEqual(candidate, hash);
}

/** Whether a stored hash was made with weaker parameters than today's, so it should be re-hashed on the next good sign-in. */
export function appPasswordNeedsRehash(stored: string): boolean {
  const { params } = parseStored(stored);
  return params.N < APP_PASSWORD_SCRYPT.N || params.r < APP_PASSWORD_SCRYPT.r || params.p < APP_PASSWORD_SCRYPT.p;
}
