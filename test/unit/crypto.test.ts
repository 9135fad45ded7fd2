import { randomBytes } from 'node:crypto';
import { canonicalJson, generateCode, hashCode, safeEqual, sha256Hex } from '../../shared/domain/crypto';

describe('R1 generateCode', () => {
  it('always gives six decimal digits, with a roughly uniform first digit', () => {
    const samples = 20_000;
    const firstDigits = new Array<number>(10).fill(0);
    for (let i = 0; i < samples; i++) {
      const code = generateCode();
      expect(code).toMatch(/^\d{6}$/);
      firstDigits[Number(code[0])] = (firstDigits[Number(code[0])] ?? 0) + 1;
    }
    // Each digit expects 2000 (σ ≈ 42); the bounds are about 7σ wide, so this never flakes.
    for (const count of firstDigits) {
      expect(count).toBeGreaterThan(1700);
      expect(count).toBeLessThan(2300);
    }
  });

  it('does not repeat itself', () => {
    const codes = new Set(Array.from({ length: 1000 }, generateCode));
    // 1000 draws from a million collide a handful of times at most.
    expect(codes.size).toBeGreaterThan(980);
  });
});

describe('R1 hashCode', () => {
  const key = randomBytes(32);

  it('is deterministic for one key, challenge and code', () => {
    expect(hashCode(key, 'ch_1', '123456')).toBe(hashCode(key, 'ch_1', '123456'));
  });

  it('differs per challenge id, per code and per key', () => {
    const base = hashCode(key, 'ch_1', '123456');
    expect(hashCode(key, 'ch_2', '123456')).not.toBe(base);
    expect(hashCode(key, 'ch_1', '123457')).not.toBe(base);
    expect(hashCode(randomBytes(32), 'ch_1', '123456')).not.toBe(base);
  });

  it('cannot be confused by moving digits between the challenge id and the code', () => {
    expect(hashCode(key, 'ch_11', '23456')).not.toBe(hashCode(key, 'ch_1', '123456'));
  });

  it('is a keyed hash, not a plain digest of the code', () => {
    const hash = hashCode(key, 'ch_1', '123456');
    expect(hash).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(hash).not.toContain('123456');
    expect(Buffer.from(hash, 'base64url').toString('hex')).not.toBe(sha256Hex('ch_1\u0000123456'));
  });
});

describe('R28 safeEqual', () => {
  it('tells equal strings from different ones', () => {
    expect(safeEqual('abc', 'abc')).toBe(true);
    expect(safeEqual('', '')).toBe(true);
    expect(safeEqual('abc', 'abd')).toBe(false);
    expect(safeEqual('abc', 'ab')).toBe(false);
    expect(safeEqual('ab', 'abc')).toBe(false);
    expect(safeEqual('', 'a')).toBe(false);
  });
});

describe('Idempotency-Key canonicalJson', () => {
  it('does not depend on key order, at any depth', () => {
    const a = { userId: 'alice', context: { appName: 'VPN', clientIp: '192.0.2.1' }, method: 'sms' };
    const b = { method: 'sms', context: { clientIp: '192.0.2.1', appName: 'VPN' }, userId: 'alice' };
    expect(canonicalJson(a)).toBe(canonicalJson(b));
    expect(canonicalJson(a)).toBe('{"context":{"appName":"VPN","clientIp":"192.0.2.1"},"method":"sms","userId":"alice"}');
  });

  it('leaves out undefined members but keeps null', () => {
    expect(canonicalJson({ a: 1, b: undefined })).toBe(canonicalJson({ a: 1 }));
    expect(canonicalJson({ a: 1, b: null })).not.toBe(canonicalJson({ a: 1 }));
  });

  it('keeps array order and tells values apart', () => {
    expect(canonicalJson([1, 2])).not.toBe(canonicalJson([2, 1]));
    expect(canonicalJson({ a: '1' })).not.toBe(canonicalJson({ a: 1 }));
    expect(canonicalJson([{ b: 1, a: 2 }])).toBe('[{"a":2,"b":1}]');
  });
});

describe('sha256Hex', () => {
  it('is SHA-256 in lowercase hex', () => {
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
});
