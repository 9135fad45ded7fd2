import { createHmac } from 'node:crypto';
import { sha256Hex } from '../../shared/domain/crypto';
import {
  activationCodeMatches,
  generateActivationCode,
  generateDeviceKey,
  hashActivationCode,
  matchNumber,
  signDeviceResponse,
  verifyDeviceResponse,
  type DeviceResponse,
} from '../../shared/domain/push';

/** 2030-01-01T12:00:00Z. */
const NOW = Date.UTC(2030, 0, 1, 12);

describe('R9 number matching', () => {
  it('draws two-digit numbers, 10 to 99, covering the whole range', () => {
    const seen = new Set<number>();
    for (let i = 0; i < 5000; i++) {
      const n = matchNumber();
      expect(Number.isInteger(n)).toBe(true);
      expect(n).toBeGreaterThanOrEqual(10);
      expect(n).toBeLessThanOrEqual(99);
      seen.add(n);
    }
    // 5000 draws miss one of 90 values with probability about 90·e^-55.
    expect(seen.size).toBe(90);
  });
});

describe('R9 signed device responses', () => {
  const key = generateDeviceKey();
  const approve: DeviceResponse = { challengeId: 'ch_1', decision: 'approve', number: 42, timestamp: NOW - 5_000 };
  const expected = { challengeId: 'ch_1', number: 42 };
  const check = (response: DeviceResponse, signature = signDeviceResponse(key, response), nowMs = NOW) =>
    verifyDeviceResponse({ key, response, signature, nowMs, expected });

  it('gives each device its own 32-byte key', () => {
    expect(key).toHaveLength(32);
    expect(Buffer.from(generateDeviceKey()).equals(Buffer.from(key))).toBe(false);
  });

  it('signs HMAC-SHA256 over the documented canonical string (the app must do the same)', () => {
    const fixedKey = new Uint8Array(32).fill(1);
    const canonical = `tessera-push-response-v1\nch_1\napprove\n42\n${NOW - 5_000}`;
    expect(signDeviceResponse(fixedKey, approve)).toBe(createHmac('sha256', fixedKey).update(canonical).digest('base64url'));
    expect(signDeviceResponse(fixedKey, approve)).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('accepts a fresh approval with the number shown, and a denial without one', () => {
    expect(check(approve)).toEqual({ kind: 'valid', decision: 'approve' });
    const deny: DeviceResponse = { challengeId: 'ch_1', decision: 'deny', timestamp: NOW };
    expect(check(deny)).toEqual({ kind: 'valid', decision: 'deny' });
  });

  it('refuses any field changed after signing', () => {
    const signature = signDeviceResponse(key, approve);
    for (const tampered of [
      { ...approve, decision: 'deny' as const },
      { ...approve, number: 43 },
      { ...approve, challengeId: 'ch_2' },
      { ...approve, timestamp: approve.timestamp + 1 },
    ]) {
      expect(check(tampered, signature)).toEqual({ kind: 'invalid', reason: 'bad_signature' });
    }
  });

  it('refuses a signature made with another key, or no real signature', () => {
    expect(check(approve, signDeviceResponse(generateDeviceKey(), approve))).toEqual({ kind: 'invalid', reason: 'bad_signature' });
    for (const signature of ['', 'x', signDeviceResponse(key, approve).slice(0, -2), '!!!!']) {
      expect(check(approve, signature)).toEqual({ kind: 'invalid', reason: 'bad_signature' });
    }
    // A response that cannot even be put in canonical form is not believed either.
    expect(check({ ...approve, timestamp: Number.NaN }, signDeviceResponse(key, approve))).toEqual({ kind: 'invalid', reason: 'bad_signature' });
  });

  it('refuses an answer older than 60 s, and one from too far in the future', () => {
    const at = (timestamp: number) => check({ ...approve, timestamp });
    expect(at(NOW - 60_000)).toEqual({ kind: 'valid', decision: 'approve' });
    expect(at(NOW - 60_001)).toEqual({ kind: 'invalid', reason: 'expired' });
    expect(at(NOW + 30_000)).toEqual({ kind: 'valid', decision: 'approve' });
    expect(at(NOW + 30_001)).toEqual({ kind: 'invalid', reason: 'clock_skew' });
  });

  it('refuses an answer signed for another challenge', () => {
    expect(check({ ...approve, challengeId: 'ch_other' })).toEqual({ kind: 'invalid', reason: 'wrong_challenge' });
  });

  it('refuses an approval with a number other than the one shown', () => {
    expect(check({ ...approve, number: 24 })).toEqual({ kind: 'invalid', reason: 'wrong_number' });
    expect(check({ ...approve, number: undefined })).toEqual({ kind: 'invalid', reason: 'wrong_number' });
  });
});

describe('R9 push activation codes', () => {
  it('has the form xxxx-xxxx-xxxx and does not repeat', () => {
    const codes = Array.from({ length: 200 }, generateActivationCode);
    for (const code of codes) expect(code).toMatch(/^[a-hjkmnp-z2-9]{4}-[a-hjkmnp-z2-9]{4}-[a-hjkmnp-z2-9]{4}$/);
    expect(new Set(codes).size).toBe(codes.length);
  });

  it('is stored as the SHA-256 of its canonical form, and matched however it is typed', () => {
    const code = generateActivationCode();
    const stored = hashActivationCode(code);
    expect(stored).toBe(sha256Hex(code.replace(/-/g, '')));
    expect(stored).not.toContain(code.replace(/-/g, ''));
    expect(activationCodeMatches(code, stored)).toBe(true);
    expect(activationCodeMatches(` ${code.toUpperCase().replace(/-/g, ' ')} `, stored)).toBe(true);
    expect(activationCodeMatches(generateActivationCode(), stored)).toBe(false);
    expect(activationCodeMatches('', stored)).toBe(false);
  });
});
