import {
  base32Decode,
  base32Encode,
  generateSecret,
  hotp,
  resyncDrift,
  timeStep,
  totpAt,
  verifyTotp,
  type OtpAlgorithm,
} from '../../../shared/domain/otp/totp';
import { ValidationError } from '../../../shared/domain/errors';

const ascii = (text: string) => new Uint8Array(Buffer.from(text, 'ascii'));

/** RFC 4226 Appendix D and RFC 6238 Appendix B seeds. */
const SEED_SHA1 = ascii('12345678901234567890');
const SEED_SHA256 = ascii('12345678901234567890123456789012');
const SEED_SHA512 = ascii('1234567890123456789012345678901234567890123456789012345678901234');
const SEEDS: Record<OtpAlgorithm, Uint8Array> = { sha1: SEED_SHA1, sha256: SEED_SHA256, sha512: SEED_SHA512 };

/** 2030-01-01T12:00:10Z: ten seconds into a 30 s step, far from the real clock. */
const NOW = Date.UTC(2030, 0, 1, 12, 0, 10);
const STEP_MS = 30_000;

describe('R5 HOTP (RFC 4226 Appendix D)', () => {
  const expected = ['755224', '287082', '359152', '969429', '338314', '254676', '287922', '162583', '399871', '520489'];

  it.each(expected.map((code, counter) => [counter, code]))('counter %i gives %s', (counter, code) => {
    expect(hotp(SEED_SHA1, counter)).toBe(code);
  });

  it('truncates to 8 digits when asked', () => {
    // Appendix D's decimal value for counter 0 is 1284755224.
    expect(hotp(SEED_SHA1, 0, { digits: 8 })).toBe('84755224');
  });

  it('refuses code lengths outside 6–8 digits', () => {
    expect(() => hotp(SEED_SHA1, 0, { digits: 5 })).toThrow(RangeError);
    expect(() => hotp(SEED_SHA1, 0, { digits: 9 })).toThrow(RangeError);
  });
});

describe('R5 TOTP (RFC 6238 Appendix B)', () => {
  const table: [number, string, OtpAlgorithm][] = [
    [59, '94287082', 'sha1'],
    [59, '46119246', 'sha256'],
    [59, '90693936', 'sha512'],
    [1111111109, '07081804', 'sha1'],
    [1111111109, '68084774', 'sha256'],
    [1111111109, '25091201', 'sha512'],
    [1111111111, '14050471', 'sha1'],
    [1111111111, '67062674', 'sha256'],
    [1111111111, '99943326', 'sha512'],
    [1234567890, '89005924', 'sha1'],
    [1234567890, '91819424', 'sha256'],
    [1234567890, '93441116', 'sha512'],
    [2000000000, '69279037', 'sha1'],
    [2000000000, '90698825', 'sha256'],
    [2000000000, '38618901', 'sha512'],
    [20000000000, '65353130', 'sha1'],
    [20000000000, '77737706', 'sha256'],
    [20000000000, '47863826', 'sha512'],
  ];

  it.each(table)('at %i s gives %s with %s', (seconds, code, algorithm) => {
    expect(totpAt(SEEDS[algorithm], seconds * 1000, { digits: 8, algorithm })).toBe(code);
  });

  it.each([
    [59, 0x1],
    [1111111109, 0x23523ec],
    [1111111111, 0x23523ed],
    [1234567890, 0x273ef07],
    [2000000000, 0x3f940aa],
    [20000000000, 0x27bc86aa],
  ])('puts %i s in time step T = %i', (seconds, step) => {
    expect(timeStep(seconds * 1000)).toBe(step);
  });

  it('is the HOTP of the time step, honouring step and T0', () => {
    for (const algorithm of ['sha1', 'sha256', 'sha512'] as const) {
      expect(totpAt(SEEDS[algorithm], NOW, { algorithm })).toBe(hotp(SEEDS[algorithm], timeStep(NOW), { algorithm }));
    }
    expect(totpAt(SEED_SHA1, NOW, { step: 60 })).toBe(hotp(SEED_SHA1, Math.floor(NOW / 60_000)));
    expect(timeStep(1_000_000 * 1000 + 30_000, { t0: 1_000_000 })).toBe(1);
    expect(totpAt(SEED_SHA1, 1_000_030_000, { t0: 1_000_000 })).toBe(hotp(SEED_SHA1, 1));
  });
});

describe('R5 verifyTotp: ±1 step of drift, each step accepted once', () => {
  const current = timeStep(NOW);
  const codeAt = (offsetSteps: number) => totpAt(SEED_SHA1, NOW + offsetSteps * STEP_MS);

  it('accepts the current code and reports no drift', () => {
    expect(verifyTotp({ secret: SEED_SHA1, code: codeAt(0), nowMs: NOW })).toEqual({ kind: 'accepted', step: current, driftSteps: 0 });
  });

  it('accepts a code one step behind or ahead, and reports that drift', () => {
    expect(verifyTotp({ secret: SEED_SHA1, code: codeAt(-1), nowMs: NOW })).toEqual({ kind: 'accepted', step: current - 1, driftSteps: -1 });
    expect(verifyTotp({ secret: SEED_SHA1, code: codeAt(1), nowMs: NOW })).toEqual({ kind: 'accepted', step: current + 1, driftSteps: 1 });
  });

  it('refuses a code two steps behind or ahead', () => {
    expect(verifyTotp({ secret: SEED_SHA1, code: codeAt(-2), nowMs: NOW })).toEqual({ kind: 'rejected', reason: 'wrong_code' });
    expect(verifyTotp({ secret: SEED_SHA1, code: codeAt(2), nowMs: NOW })).toEqual({ kind: 'rejected', reason: 'wrong_code' });
  });

  it('accepts only the exact step with a window of 0', () => {
    expect(verifyTotp({ secret: SEED_SHA1, code: codeAt(0), nowMs: NOW, window: 0 })).toMatchObject({ kind: 'accepted' });
    expect(verifyTotp({ secret: SEED_SHA1, code: codeAt(1), nowMs: NOW, window: 0 })).toMatchObject({ kind: 'rejected' });
  });

  it('refuses a wrong code, a code of the wrong length and one with letters', () => {
    const right = codeAt(0);
    const wrong = String((Number(right) + 1) % 1_000_000).padStart(6, '0');
    for (const code of [wrong, right.slice(0, 5), `${right}0`, 'abcdef', '']) {
      expect(verifyTotp({ secret: SEED_SHA1, code, nowMs: NOW })).toEqual({ kind: 'rejected', reason: 'wrong_code' });
    }
  });

  it('ignores the spaces people type inside a code', () => {
    const code = codeAt(0);
    expect(verifyTotp({ secret: SEED_SHA1, code: ` ${code.slice(0, 3)} ${code.slice(3)} `, nowMs: NOW })).toMatchObject({ kind: 'accepted' });
  });

  it('refuses the same code twice (RFC 6238 §5.2)', () => {
    const first = verifyTotp({ secret: SEED_SHA1, code: codeAt(0), nowMs: NOW });
    if (first.kind !== 'accepted') throw new Error('expected the first use to be accepted');
    expect(verifyTotp({ secret: SEED_SHA1, code: codeAt(0), nowMs: NOW + 5_000, lastUsedStep: first.step })).toEqual({
      kind: 'rejected',
      reason: 'replayed',
    });
  });

  it('refuses an older code still inside the window once a later step was used', () => {
    expect(verifyTotp({ secret: SEED_SHA1, code: codeAt(-1), nowMs: NOW, lastUsedStep: current })).toEqual({
      kind: 'rejected',
      reason: 'replayed',
    });
  });

  it('accepts the next step after the last used one', () => {
    expect(verifyTotp({ secret: SEED_SHA1, code: codeAt(1), nowMs: NOW, lastUsedStep: current })).toEqual({
      kind: 'accepted',
      step: current + 1,
      driftSteps: 1,
    });
  });

  it('checks hardware-token parameters: SHA-256, 8 digits, 60 s', () => {
    const options = { algorithm: 'sha256', digits: 8, step: 60 } as const;
    const code = totpAt(SEED_SHA256, NOW, options);
    expect(code).toMatch(/^\d{8}$/);
    expect(verifyTotp({ secret: SEED_SHA256, code, nowMs: NOW, ...options })).toEqual({
      kind: 'accepted',
      step: Math.floor(NOW / 60_000),
      driftSteps: 0,
    });
    expect(verifyTotp({ secret: SEED_SHA256, code, nowMs: NOW, ...options, algorithm: 'sha1' })).toMatchObject({ kind: 'rejected' });
  });
});

describe('R5 hardware tokens keep their own measured drift', () => {
  /** A token whose clock runs `drift` steps ahead of the server's. */
  const tokenShows = (nowMs: number, drift: number) => totpAt(SEED_SHA1, nowMs + drift * STEP_MS);
  const current = timeStep(NOW);

  it('refuses a token 3 steps ahead, resyncs it from two codes, then follows its drift', () => {
    expect(verifyTotp({ secret: SEED_SHA1, code: tokenShows(NOW, 3), nowMs: NOW })).toEqual({ kind: 'rejected', reason: 'wrong_code' });

    const synced = resyncDrift({
      secret: SEED_SHA1,
      firstCode: tokenShows(NOW - STEP_MS, 3),
      secondCode: tokenShows(NOW, 3),
      nowMs: NOW,
    });
    expect(synced).toEqual({ kind: 'synced', step: current + 3, driftSteps: 3 });
    if (synced.kind !== 'synced') return;

    // The next sign-in, a minute later: centred on the stored drift, the code is accepted.
    const later = NOW + 2 * STEP_MS;
    const next = verifyTotp({
      secret: SEED_SHA1,
      code: tokenShows(later, 3),
      nowMs: later,
      driftSteps: synced.driftSteps,
      lastUsedStep: synced.step,
    });
    expect(next).toEqual({ kind: 'accepted', step: current + 5, driftSteps: 3 });
    if (next.kind !== 'accepted') return;

    // Months on, the clock has gained one more step: still inside the window, and measured.
    const muchLater = NOW + 1000 * STEP_MS;
    expect(
      verifyTotp({ secret: SEED_SHA1, code: tokenShows(muchLater, 4), nowMs: muchLater, driftSteps: next.driftSteps, lastUsedStep: next.step }),
    ).toEqual({ kind: 'accepted', step: current + 1004, driftSteps: 4 });
  });

  it('does not let a stored drift widen the window', () => {
    expect(verifyTotp({ secret: SEED_SHA1, code: tokenShows(NOW, 5), nowMs: NOW, driftSteps: 3 })).toEqual({
      kind: 'rejected',
      reason: 'wrong_code',
    });
    expect(verifyTotp({ secret: SEED_SHA1, code: tokenShows(NOW, 0), nowMs: NOW, driftSteps: 3 })).toEqual({
      kind: 'rejected',
      reason: 'wrong_code',
    });
  });

  it('resyncs a drift behind the server too, up to the search limit', () => {
    const pair = (drift: number) => ({ firstCode: tokenShows(NOW - STEP_MS, drift), secondCode: tokenShows(NOW, drift) });
    expect(resyncDrift({ secret: SEED_SHA1, nowMs: NOW, ...pair(-7) })).toEqual({ kind: 'synced', step: current - 7, driftSteps: -7 });
    expect(resyncDrift({ secret: SEED_SHA1, nowMs: NOW, ...pair(10) })).toMatchObject({ kind: 'synced', driftSteps: 10 });
    expect(resyncDrift({ secret: SEED_SHA1, nowMs: NOW, ...pair(11) })).toEqual({ kind: 'failed', reason: 'not_found' });
    expect(resyncDrift({ secret: SEED_SHA1, nowMs: NOW, maxSteps: 20, ...pair(11) })).toMatchObject({ kind: 'synced', driftSteps: 11 });
  });

  it('needs two consecutive codes, in order', () => {
    const first = tokenShows(NOW - STEP_MS, 3);
    const second = tokenShows(NOW, 3);
    expect(resyncDrift({ secret: SEED_SHA1, nowMs: NOW, firstCode: second, secondCode: first })).toEqual({ kind: 'failed', reason: 'not_found' });
    expect(resyncDrift({ secret: SEED_SHA1, nowMs: NOW, firstCode: tokenShows(NOW - 2 * STEP_MS, 3), secondCode: second })).toEqual({
      kind: 'failed',
      reason: 'not_found',
    });
    expect(resyncDrift({ secret: SEED_SHA1, nowMs: NOW, firstCode: 'abc', secondCode: second })).toEqual({ kind: 'failed', reason: 'not_found' });
  });

  it('refuses to resync with codes already used', () => {
    expect(
      resyncDrift({
        secret: SEED_SHA1,
        nowMs: NOW,
        firstCode: tokenShows(NOW - STEP_MS, 3),
        secondCode: tokenShows(NOW, 3),
        lastUsedStep: current + 3,
      }),
    ).toEqual({ kind: 'failed', reason: 'replayed' });
  });
});

describe('R5 secrets and Base32 (RFC 4648)', () => {
  it('generates 20 random bytes by default, and refuses sizes RFC 4226 does not allow', () => {
    const a = generateSecret();
    expect(a).toBeInstanceOf(Uint8Array);
    expect(a).toHaveLength(20);
    expect(generateSecret(32)).toHaveLength(32);
    expect(Buffer.from(generateSecret()).equals(Buffer.from(a))).toBe(false);
    expect(() => generateSecret(15)).toThrow(RangeError);
    expect(() => generateSecret(65)).toThrow(RangeError);
  });

  it.each([
    ['f', 'MY'],
    ['fo', 'MZXQ'],
    ['foo', 'MZXW6'],
    ['foob', 'MZXW6YQ'],
    ['fooba', 'MZXW6YTB'],
    ['foobar', 'MZXW6YTBOI'],
  ])('encodes "%s" as %s without padding, and back', (plain, encoded) => {
    expect(base32Encode(ascii(plain))).toBe(encoded);
    expect(Buffer.from(base32Decode(encoded)).toString('ascii')).toBe(plain);
  });

  it('decodes whatever case, spacing and padding people paste', () => {
    const expected = Buffer.from(SEED_SHA1).toString('hex');
    for (const text of ['GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ', 'gezd gnbv gy3t qojq gezd gnbv gy3t qojq', ' GezdGNBV\tGY3TQOJQGEZDGNBVGY3TQOJQ\n']) {
      expect(Buffer.from(base32Decode(text)).toString('hex')).toBe(expected);
    }
    expect(Buffer.from(base32Decode('MZXW6===')).toString('ascii')).toBe('foo');
  });

  it('refuses what is not Base32, without repeating it', () => {
    for (const text of ['', '   ', 'GEZDGNBV1', 'GEZDGNB0', 'GEZDGNB8', 'A', 'ABC', 'ABCDEF', 'MZ', 'MZXW6YTBO!']) {
      expect(() => base32Decode(text)).toThrow(ValidationError);
    }
    const message = (() => {
      try {
        base32Decode('SECRETSECRET1');
        return 'no error';
      } catch (error) {
        return (error as Error).message;
      }
    })();
    expect(message).toMatch(/not valid Base32/);
    expect(message).not.toContain('SECRET');
  });
});
