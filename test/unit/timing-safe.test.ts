import { timingSafeEqual } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { hashAppPassword, verifyAppPassword } from '../../shared/domain/app-passwords';
import { safeEqual } from '../../shared/domain/crypto';
import { hotp, totpAt, verifyTotp } from '../../shared/domain/otp/totp';
import { signDeviceResponse, verifyDeviceResponse } from '../../shared/domain/push';

/*
 * R28 and the security standard "constant-time comparisons": every comparison of a secret (API
 * key and code hashes, TOTP codes, device signatures, app password hashes) goes through
 * crypto.timingSafeEqual on inputs of a fixed length, whatever the input, so where two values
 * first differ cannot be read from the time taken. Checked by what the functions call, never by
 * measuring time.
 */

// The real function, recorded: the modules under test import it from node:crypto.
jest.mock('node:crypto', () => {
  const actual = jest.requireActual<typeof import('node:crypto')>('node:crypto');
  return { ...actual, timingSafeEqual: jest.fn(actual.timingSafeEqual) };
});

const spy = jest.mocked(timingSafeEqual);

beforeEach(() => spy.mockClear());

/** The lengths of the buffers each timingSafeEqual call compared. */
const comparedLengths = () => spy.mock.calls.map(([a, b]) => [(a as Uint8Array).byteLength, (b as Uint8Array).byteLength]);

describe('constant-time comparison of secrets', () => {
  it('safeEqual compares fixed-length digests with timingSafeEqual, wherever the inputs differ or however long they are', () => {
    const secret = 'a'.repeat(64);
    const cases: [string, boolean][] = [
      [secret, true],
      [`b${secret.slice(1)}`, false],
      [`${secret.slice(0, -1)}b`, false],
      ['', false],
      [secret.repeat(10), false],
    ];
    for (const [candidate, expected] of cases) {
      spy.mockClear();
      expect(safeEqual(secret, candidate)).toBe(expected);
      expect(comparedLengths()).toEqual([[32, 32]]);
    }
  });

  it('TOTP codes: every candidate step is compared with timingSafeEqual, right code or wrong', () => {
    const secret = new Uint8Array(20).fill(7);
    const now = Date.UTC(2026, 10, 23, 12, 0, 0);
    for (const code of [totpAt(secret, now), '000000', hotp(secret, 1)]) {
      spy.mockClear();
      verifyTotp({ secret, code, nowMs: now });
      // ±1 step: three candidates, each compared whether or not an earlier one matched.
      expect(comparedLengths()).toEqual([
        [6, 6],
        [6, 6],
        [6, 6],
      ]);
    }
  });

  it('device answers (push): the HMAC is compared with timingSafeEqual', () => {
    const key = new Uint8Array(32).fill(3);
    const response = { challengeId: 'ch_x', decision: 'approve' as const, number: 42, timestamp: 1_000 };
    const signature = signDeviceResponse(key, response);
    const forged = `${signature.slice(0, -2)}AA`;
    for (const [sig, kind] of [
      [signature, 'valid'],
      [forged, 'invalid'],
    ] as const) {
      spy.mockClear();
      const check = verifyDeviceResponse({ key, response, signature: sig, nowMs: 1_000, expected: { challengeId: 'ch_x', number: 42 } });
      expect(check.kind).toBe(kind);
      expect(comparedLengths()).toEqual([[32, 32]]);
    }
  });

  it('app passwords: the scrypt hashes are compared with timingSafeEqual', async () => {
    const stored = await hashAppPassword('abcd-efgh-jkmn-pqrs', { N: 2 ** 10, r: 8, p: 1 });
    for (const [password, expected] of [
      ['abcd-efgh-jkmn-pqrs', true],
      ['abcd-efgh-jkmn-pqrt', false],
    ] as const) {
      spy.mockClear();
      expect(await verifyAppPassword(password, stored)).toBe(expected);
      expect(spy).toHaveBeenCalledTimes(1);
    }
  });

  it('no secret, hash, signature or code is compared with === or !== anywhere in shared/ or functions/', () => {
    const root = join(__dirname, '..', '..');
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const path = join(dir, name);
        if (statSync(path).isDirectory()) walk(path);
        else if (path.endsWith('.ts')) files.push(path);
      }
    };
    walk(join(root, 'shared'));
    walk(join(root, 'functions'));
    const secretName = /(?:hash|secret|signature|mac|password|code)$/i;
    const harmless = /^(?:undefined|null|true|false|'.*'|".*"|`.*`|\d+|.*\.length|typeof)$/;
    /** A comparison with === or !== of two operands, one named like a secret and neither a literal, a length or a type. */
    const comparesSecret = (line: string) =>
      [...line.matchAll(/([\w.$'"`]+)\s*[!=]==\s*([\w.$'"`]+)/g)].some(([, left = '', right = '']) => {
        if (harmless.test(left) || harmless.test(right)) return false;
        return secretName.test(left) || secretName.test(right);
      });
    const offenders = files.flatMap((file) =>
      readFileSync(file, 'utf8')
        .split('\n')
        .map((line, i) => ({ line: line.trim(), at: `${relative(root, file)}:${i + 1}` }))
        .filter(({ line }) => !line.startsWith('//') && !line.startsWith('*') && comparesSecret(line))
        .map(({ at, line }) => `${at}  ${line}`),
    );
    // The check itself catches what it is for.
    expect(comparesSecret('if (challenge.codeHash === codeHash) {')).toBe(true);
    expect(comparesSecret('return given !== expected.signature;')).toBe(true);
    expect(comparesSecret("if (input.codeHash === undefined && status === 'x')")).toBe(false);
    expect(offenders).toEqual([]);
  });
});
