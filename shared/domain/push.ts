/**
 * R9: push approval with number matching, and the keys that bind an authenticator app to a user.
 *
 * The sign-in screen shows a two-digit number; the user must type it into the app, which sends
 * back its decision signed with the device key it received at activation. The server checks
 * the signature, the age of the answer, the challenge and the number before approving.
 */
import { createHmac, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import { safeEqual, sha256Hex } from './crypto';
import { randomGroupedCode } from './app-passwords';

/** R9: the number to match has two digits, 10–99, so it cannot be read as a one-digit guess. */
export const MATCH_NUMBER_MIN = 10;
export const MATCH_NUMBER_MAX = 99;

/** R9: a signed device answer older than this is refused, so a captured one cannot be replayed later. */
export const PUSH_RESPONSE_MAX_AGE_MS = 60_000;

/** R9: how far ahead of the server a phone's clock may be before its answer is refused. */
export const PUSH_CLOCK_SKEW_MS = 30_000;

/** Size of the per-device HMAC key handed to the app once, at activation. */
export const DEVICE_KEY_BYTES = 32;

export const ACTIVATION_CODE_LENGTH = 12;

/** Domain separation: a signature made for this purpose cannot be mistaken for any other HMAC. */
const SIGNATURE_CONTEXT = 'tessera-push-response-v1';

/** R9: the number shown on the sign-in screen, uniform in 10–99 from the CSPRNG. */
export function matchNumber(): number {
  return randomInt(MATCH_NUMBER_MIN, MATCH_NUMBER_MAX + 1);
}

/**
 * A new device key. The app receives it once, in the activation answer; the server keeps it
 * sealed by the SecretBox (R28), since it must recompute signatures and cannot keep a hash.
 */
export function generateDeviceKey(): Uint8Array {
  return new Uint8Array(randomBytes(DEVICE_KEY_BYTES));
}

export type PushDecision = 'approve' | 'deny';

/** What the app signs. `number` is what the user typed (absent on a denial). */
export interface DeviceResponse {
  readonly challengeId: string;
  readonly decision: PushDecision;
  readonly number?: number;
  /** When the app answered, epoch milliseconds. */
  readonly timestamp: number;
}

function canonical(response: DeviceResponse): string {
  if (!Number.isSafeInteger(response.timestamp)) throw new RangeError('timestamp must be integer epoch milliseconds');
  if (response.number !== undefined && !Number.isSafeInteger(response.number)) throw new RangeError('number must be an integer');
  // One field per line; none can contain a newline, so no two responses share a string.
  if (/[\r\n]/.test(response.challengeId)) throw new RangeError('challengeId cannot contain a line break');
  return [SIGNATURE_CONTEXT, response.challengeId, response.decision, response.number ?? '', response.timestamp].join('\n');
}

/** R9: the app's signature over a response: HMAC-SHA256 with the device key, base64url. */
export function signDeviceResponse(key: Uint8Array, response: DeviceResponse): string {
  return createHmac('sha256', key).update(canonical(response)).digest('base64url');
}

export interface VerifyDeviceResponseInput {
  readonly key: Uint8Array;
  readonly response: DeviceResponse;
  readonly signature: string;
  readonly nowMs: number;
  /** The challenge being answered and the number the sign-in screen showed. */
  readonly expected: { readonly challengeId: string; readonly number: number };
  readonly maxAgeMs?: number;
}

export type DeviceResponseCheck =
  | { readonly kind: 'valid'; readonly decision: PushDecision }
  | {
      readonly kind: 'invalid';
      /**
       * `bad_signature`: not signed by this device's key. `expired`: older than the max age.
       * `clock_skew`: dated too far in the future. `wrong_challenge`: signed for another
       * challenge. `wrong_number`: an approval with a number other than the one shown (R9), which
       * the caller should treat as a denial.
       */
      readonly reason: 'bad_signature' | 'expired' | 'clock_skew' | 'wrong_challenge' | 'wrong_number';
    };

/**
 * R9: checks a signed answer from the app. The signature is compared in constant time and
 * checked first, so nothing about an unsigned answer is believed; then its age, the challenge
 * and, for an approval, the matched number.
 */
export function verifyDeviceResponse(input: VerifyDeviceResponseInput): DeviceResponseCheck {
  const { response } = input;
  let expected: Buffer;
  try {
    expected = Buffer.from(signDeviceResponse(input.key, response), 'base64url');
  } catch {
    return { kind: 'invalid', reason: 'bad_signature' };
  }
  const given = Buffer.from(input.signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { kind: 'invalid', reason: 'bad_signature' };

  const age = input.nowMs - response.timestamp;
  if (age > (input.maxAgeMs ?? PUSH_RESPONSE_MAX_AGE_MS)) return { kind: 'invalid', reason: 'expired' };
  if (age < -PUSH_CLOCK_SKEW_MS) return { kind: 'invalid', reason: 'clock_skew' };
  if (response.challengeId !== input.expected.challengeId) return { kind: 'invalid', reason: 'wrong_challenge' };
  if (response.decision === 'approve' && response.number !== input.expected.number) return { kind: 'invalid', reason: 'wrong_number' };
  return { kind: 'valid', decision: response.decision };
}

/**
 * A one-time activation code that links a new phone to a user, `xxxx-xxxx-xxxx` (≈59 bits), in
 * the same unambiguous alphabet as app passwords. Show it once (or as a QR code); store only
 * {@link hashActivationCode}. It is random and short-lived, so a plain SHA-256 is enough.
 */
export function generateActivationCode(): string {
  return randomGroupedCode(ACTIVATION_CODE_LENGTH);
}

/** SHA-256 (hex) of an activation code, ignoring case, spaces and dashes. */
export function hashActivationCode(code: string): string {
  return sha256Hex(code.replace(/[\s-]+/g, '').toLowerCase());
}

/** Whether `code` is the one behind `storedHash`, in constant time. */
export function activationCodeMatches(code: string, storedHash: string): boolean {
  return safeEqual(hashActivationCode(code), storedHash);
}
