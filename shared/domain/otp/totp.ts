/**
 * RFC 4226 HOTP and RFC 6238 TOTP for authenticator apps and OATH hardware tokens (R5, R22).
 *
 * The HMAC and dynamic truncation come from otplib v13 (SHA-1, SHA-256 and SHA-512, any step,
 * 6–8 digits). What otplib leaves to the caller, and this module adds, is the policy R5 asks for:
 * a window around a per-token drift, refusal of any time step already used, the drift measured
 * on each accepted code, and the two-code resynchronisation of a hardware token.
 *
 * Nothing here logs, and no error message carries a code or a secret (R28).
 */
import { timingSafeEqual, randomBytes } from 'node:crypto';
import { generateSync, ScureBase32Plugin } from 'otplib';
import { ValidationError } from '../errors';
import {
  HARDWARE_RESYNC_MAX_STEPS,
  OTP_MAX_DIGITS,
  OTP_MAX_SECRET_BYTES,
  OTP_MIN_DIGITS,
  OTP_MIN_SECRET_BYTES,
  TOTP_ALGORITHM,
  TOTP_DIGITS,
  TOTP_SECRET_BYTES,
  TOTP_STEP_SECONDS,
  TOTP_T0_SECONDS,
  TOTP_WINDOW_STEPS,
} from './rules';

/** The HMAC hash of an OATH key. */
export const OTP_ALGORITHMS = ['sha1', 'sha256', 'sha512'] as const;
export type OtpAlgorithm = (typeof OTP_ALGORITHMS)[number];

/** How a code is computed from an HMAC: RFC 4226 §5.3. Defaults: 6 digits, SHA-1. */
export interface HotpOptions {
  readonly digits?: number;
  readonly algorithm?: OtpAlgorithm;
}

/** RFC 6238 §4: `step` is X in seconds (default 30), `t0` is T0 in Unix seconds (default 0). */
export interface TotpOptions extends HotpOptions {
  readonly step?: number;
  readonly t0?: number;
}

const base32 = new ScureBase32Plugin();

/** R5: a new random OATH secret from the CSPRNG (20 bytes unless told otherwise). */
export function generateSecret(bytes: number = TOTP_SECRET_BYTES): Uint8Array {
  if (!Number.isInteger(bytes) || bytes < OTP_MIN_SECRET_BYTES || bytes > OTP_MAX_SECRET_BYTES) {
    throw new RangeError(`An OATH secret has ${OTP_MIN_SECRET_BYTES} to ${OTP_MAX_SECRET_BYTES} bytes`);
  }
  return new Uint8Array(randomBytes(bytes));
}

/** RFC 4648 Base32 without padding, upper case: what key URIs and token CSV files carry. */
export function base32Encode(bytes: Uint8Array): string {
  return base32.encode(bytes, { padding: false });
}

/**
 * RFC 4648 Base32 to bytes. Case-insensitive; spaces (people copy secrets in groups of four)
 * and trailing `=` padding are ignored. Anything else that is not Base32 — a foreign
 * character, an impossible length, non-zero trailing bits — is a {@link ValidationError}
 * whose message never repeats the input, since the input is a secret.
 */
export function base32Decode(text: string): Uint8Array {
  const normalised = text.replace(/\s+/g, '').replace(/=+$/, '').toUpperCase();
  // Lengths 1, 3 and 6 (mod 8) leave bits that cannot form a whole byte.
  if (!/^[A-Z2-7]+$/.test(normalised) || [1, 3, 6].includes(normalised.length % 8)) {
    throw new ValidationError('The secret is not valid Base32 (RFC 4648)');
  }
  try {
    return base32.decode(normalised);
  } catch {
    // Non-zero trailing bits: not the canonical encoding of any byte string.
    throw new ValidationError('The secret is not valid Base32 (RFC 4648)');
  }
}

function checkDigits(digits: number): number {
  if (!Number.isInteger(digits) || digits < OTP_MIN_DIGITS || digits > OTP_MAX_DIGITS) {
    throw new RangeError(`OTP codes have ${OTP_MIN_DIGITS} to ${OTP_MAX_DIGITS} digits`);
  }
  return digits;
}

/** RFC 4226 HOTP: the code for one counter value. */
export function hotp(secret: Uint8Array, counter: number, options: HotpOptions = {}): string {
  return generateSync({
    strategy: 'hotp',
    secret,
    counter,
    digits: checkDigits(options.digits ?? TOTP_DIGITS),
    algorithm: options.algorithm ?? TOTP_ALGORITHM,
  });
}

/** RFC 6238 §4.2: the time step T = floor((unixSeconds − T0) / X) that `timeMs` falls in. */
export function timeStep(timeMs: number, options: Pick<TotpOptions, 'step' | 't0'> = {}): number {
  const step = options.step ?? TOTP_STEP_SECONDS;
  const t0 = options.t0 ?? TOTP_T0_SECONDS;
  return Math.floor((timeMs - t0 * 1000) / (step * 1000));
}

/** RFC 6238 TOTP: the code a token shows at `timeMs` (epoch milliseconds). */
export function totpAt(secret: Uint8Array, timeMs: number, options: TotpOptions = {}): string {
  return generateSync({
    strategy: 'totp',
    secret,
    epoch: timeMs / 1000,
    period: options.step ?? TOTP_STEP_SECONDS,
    t0: options.t0 ?? TOTP_T0_SECONDS,
    digits: checkDigits(options.digits ?? TOTP_DIGITS),
    algorithm: options.algorithm ?? TOTP_ALGORITHM,
  });
}

export interface VerifyTotpInput extends TotpOptions {
  readonly secret: Uint8Array;
  /** What the user typed; spaces are ignored ("123 456"). */
  readonly code: string;
  readonly nowMs: number;
  /** R5: time steps accepted either side of the expected one (default 1). */
  readonly window?: number;
  /** The time step of the last accepted code for this token; that step and earlier ones are refused. */
  readonly lastUsedStep?: number;
  /**
   * Where this token's clock stands against ours, in steps. Leave it out for authenticator
   * apps (phones keep network time, so the window stays centred on the server clock); pass the
   * value stored with a hardware token, whose quartz clock wanders (R5).
   */
  readonly driftSteps?: number;
}

export type TotpVerification =
  /** `step` is the token's time step to store as `lastUsedStep`; `driftSteps` = step − current step. */
  | { readonly kind: 'accepted'; readonly step: number; readonly driftSteps: number }
  | { readonly kind: 'rejected'; readonly reason: 'wrong_code' | 'replayed' };

function sameCode(expected: string, given: string): boolean {
  // Both are `digits` long, so the comparison takes the same time whatever they contain.
  return timingSafeEqual(Buffer.from(expected), Buffer.from(given));
}

/** Steps `centre - window … centre + window` (never negative), closest to the centre first. */
function candidateSteps(centre: number, window: number): number[] {
  const steps = [centre];
  for (let offset = 1; offset <= window; offset++) steps.push(centre - offset, centre + offset);
  return steps.filter((step) => step >= 0);
}

/**
 * R5: checks a TOTP code against the steps `currentStep + driftSteps ± window`.
 *
 * - A code matching only steps at or before `lastUsedStep` is `replayed` (RFC 6238 §5.2: a
 *   code is accepted once), so the caller must store the returned `step` as the token's new
 *   `lastUsedStep` with a conditional write that only moves it forward.
 * - Every candidate is computed and compared in constant time before deciding.
 * - The answer carries the drift just measured. For a hardware token, store it and pass it
 *   back next time: a clock that wanders a step a month is followed without a resync.
 */
export function verifyTotp(input: VerifyTotpInput): TotpVerification {
  const options: TotpOptions = input;
  const digits = checkDigits(input.digits ?? TOTP_DIGITS);
  const window = input.window ?? TOTP_WINDOW_STEPS;
  if (!Number.isInteger(window) || window < 0) throw new RangeError('window must be a whole number of steps');
  const code = input.code.replace(/\s+/g, '');
  if (code.length !== digits || !/^\d+$/.test(code)) return { kind: 'rejected', reason: 'wrong_code' };

  const currentStep = timeStep(input.nowMs, options);
  const lastUsed = input.lastUsedStep ?? -1;
  let fresh: number | undefined;
  let replayed = false;
  for (const step of candidateSteps(currentStep + (input.driftSteps ?? 0), window)) {
    if (!sameCode(hotp(input.secret, step, options), code)) continue;
    if (step <= lastUsed) replayed = true;
    else fresh ??= step;
  }
  if (fresh !== undefined) return { kind: 'accepted', step: fresh, driftSteps: fresh - currentStep };
  return { kind: 'rejected', reason: replayed ? 'replayed' : 'wrong_code' };
}

export interface ResyncInput extends TotpOptions {
  readonly secret: Uint8Array;
  /** A code read off the token… */
  readonly firstCode: string;
  /** …and the very next one it showed. */
  readonly secondCode: string;
  readonly nowMs: number;
  /** How far either side of the server clock to look (default {@link HARDWARE_RESYNC_MAX_STEPS}). */
  readonly maxSteps?: number;
  readonly lastUsedStep?: number;
}

export type ResyncResult =
  /** Store `driftSteps`, and `step` as the token's `lastUsedStep`: both codes are now used. */
  | { readonly kind: 'synced'; readonly step: number; readonly driftSteps: number }
  | { readonly kind: 'failed'; readonly reason: 'not_found' | 'replayed' };

/**
 * R5: measures a hardware token's drift when it is too far off for the ±1 window, from two
 * consecutive codes.
 *
 * The admin flow this serves (console, `admin` key): the user cannot sign in with their token;
 * the admin asks them to read a code, wait for (or press for) the next one and read that too,
 * and submits both with the token's serial. On `synced` the store saves `driftSteps` and
 * `lastUsedStep = step` in one conditional write; on `failed` nothing changes and the admin
 * checks the serial and the token's interval (30 or 60 s). A single code is never enough: any
 * one of 2N+1 steps matches a random guess far too often, two in a row almost never.
 */
export function resyncDrift(input: ResyncInput): ResyncResult {
  const options: TotpOptions = input;
  const digits = checkDigits(input.digits ?? TOTP_DIGITS);
  const maxSteps = input.maxSteps ?? HARDWARE_RESYNC_MAX_STEPS;
  if (!Number.isInteger(maxSteps) || maxSteps < 0) throw new RangeError('maxSteps must be a whole number of steps');
  const first = input.firstCode.replace(/\s+/g, '');
  const second = input.secondCode.replace(/\s+/g, '');
  const wellFormed = (code: string) => code.length === digits && /^\d+$/.test(code);
  if (!wellFormed(first) || !wellFormed(second)) return { kind: 'failed', reason: 'not_found' };

  const currentStep = timeStep(input.nowMs, options);
  const lastUsed = input.lastUsedStep ?? -1;
  // The second code is the one the token shows now: its step is searched within ±maxSteps.
  let best: number | undefined;
  let replayed = false;
  for (const step of candidateSteps(currentStep, maxSteps)) {
    if (step < 1) continue;
    const matches = sameCode(hotp(input.secret, step - 1, options), first) && sameCode(hotp(input.secret, step, options), second);
    if (!matches) continue;
    if (step - 1 <= lastUsed) replayed = true;
    else best ??= step;
  }
  if (best !== undefined) return { kind: 'synced', step: best, driftSteps: best - currentStep };
  return { kind: 'failed', reason: replayed ? 'replayed' : 'not_found' };
}
