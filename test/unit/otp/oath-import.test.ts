import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ValidationError } from '../../../shared/domain/errors';
import { parseOathCsv, parsePskc, type OathImportRow } from '../../../shared/domain/otp/oath-import';
import { hotp, totpAt, verifyTotp } from '../../../shared/domain/otp/totp';

const fixture = (...path: string[]) => readFileSync(join(__dirname, '..', '..', 'fixtures', ...path), 'utf8');
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

/** RFC 6030 §6.1 example key and the secret every RFC example carries ("12345678901234567890"). */
const PRE_SHARED_KEY = new Uint8Array(Buffer.from('12345678901234567890123456789012', 'hex'));
const RFC_SECRET_HEX = '3132333435363738393031323334353637383930';

function errorsOf(rows: OathImportRow[]) {
  return rows.filter((row) => row.kind === 'error').map(({ row, serial, reason }) => ({ row, serial, reason }));
}

describe('R22 CSV import of TOTP hardware tokens', () => {
  let rows: OathImportRow[];
  beforeAll(async () => {
    rows = await parseOathCsv(fixture('oath', 'tokens.csv'));
  });

  it('reads good rows, with Entra-style headers, quoted fields and spaced lower-case Base32', () => {
    const ok = rows.filter((row) => row.kind === 'ok');
    expect(ok.map(({ row, serial }) => ({ row, serial }))).toEqual([
      { row: 2, serial: 'HW-1001' },
      { row: 3, serial: 'HW-1002' },
    ]);
    expect(ok[0]).toMatchObject({
      token: { type: 'totp', serial: 'HW-1001', algorithm: 'sha1', digits: 6, step: 30, driftSteps: 0, manufacturer: 'ACME', model: 'T30' },
    });
    expect(ok[1]).toMatchObject({
      token: { type: 'totp', serial: 'HW-1002', step: 60, manufacturer: 'ACME, Inc.', model: 'T60 "long life"' },
    });
    for (const row of ok) {
      if (row.kind === 'ok') expect(hex(row.token.secret)).toBe(RFC_SECRET_HEX);
    }
  });

  it('gives one clear error per bad row and no token for it', () => {
    expect(errorsOf(rows)).toEqual([
      { row: 4, serial: 'HW-1003', reason: 'bad_base32' },
      { row: 5, serial: 'HW-1004', reason: 'bad_interval' },
      { row: 6, serial: 'HW-1001', reason: 'duplicate_serial' },
      { row: 7, serial: 'HW-1006', reason: 'missing_field' },
      { row: 8, serial: 'HW-1007', reason: 'bad_secret_length' },
      { row: 10, serial: undefined, reason: 'missing_field' },
    ]);
    expect(rows.find((row) => row.row === 6)).toMatchObject({ detail: 'Serial HW-1001 already appears at row 2' });
    expect(rows.find((row) => row.row === 7)).toMatchObject({ detail: 'Missing secret' });
    expect(rows.filter((row) => row.kind === 'error').every((row) => !('token' in row))).toBe(true);
  });

  it('never repeats a secret in an error', () => {
    const errors = rows.filter((row) => row.kind === 'error');
    expect(errors.length).toBeGreaterThan(0);
    expect(JSON.stringify(errors)).not.toMatch(/GEZD|gezd/);
  });

  it('accepts its own column names in any order, a BOM, bytes, and an optional digits column', async () => {
    const csv = '\uFEFFsecret,model,digits,interval,serial\n"GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ",X1,8,30,S-1\nGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ,X1,5,30,S-2\n';
    const result = await parseOathCsv(new TextEncoder().encode(csv));
    expect(result[0]).toMatchObject({ row: 2, kind: 'ok', token: { serial: 'S-1', digits: 8, model: 'X1' } });
    expect(result[1]).toMatchObject({ row: 3, kind: 'error', reason: 'bad_digits' });
  });

  it('refuses a file without the required columns, or naming one twice', async () => {
    await expect(parseOathCsv('serial,secret\nA,GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\n')).rejects.toThrow(/missing: interval/);
    await expect(parseOathCsv('serial,secret,interval,serial number\n')).rejects.toThrow(ValidationError);
    await expect(parseOathCsv('')).rejects.toThrow(ValidationError);
  });

  it('refuses a file that is not CSV without quoting its content', async () => {
    const broken = 'serial,secret,interval\nA,"GEZDGNBVGY3TQOJQ"X,30\n';
    await expect(parseOathCsv(broken)).rejects.toThrow(ValidationError);
    await expect(parseOathCsv(broken)).rejects.toThrow(/^The file is not valid CSV \(near line 2\)$/);
  });

  it('refuses a file with more tokens than one import may hold', async () => {
    const csv = `serial,secret,interval\n${'A,B,30\n'.repeat(10_001)}`;
    await expect(parseOathCsv(csv)).rejects.toThrow(/at most 10000 tokens/);
  });
});

describe('R22 PSKC (RFC 6030) import, plaintext', () => {
  it('reads Figure 3: serial, manufacturer, HOTP, 8 digits, counter and secret', async () => {
    const rows = await parsePskc(fixture('pskc', 'rfc6030-figure3.xml'));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      row: 1,
      serial: '987654321',
      kind: 'ok',
      token: { type: 'hotp', serial: '987654321', manufacturer: 'Manufacturer', algorithm: 'sha1', digits: 8, counter: 0 },
    });
    if (rows[0]?.kind !== 'ok') return;
    expect(hex(rows[0].token.secret)).toBe(RFC_SECRET_HEX);
    expect(hotp(rows[0].token.secret, 0, { digits: 8 })).toBe('84755224');
  });

  it('refuses Figure 2, which has no serial to assign the token by', async () => {
    expect(await parsePskc(fixture('pskc', 'rfc6030-figure2.xml'))).toEqual([
      { row: 1, kind: 'error', reason: 'missing_field', detail: 'The KeyPackage has no DeviceInfo/SerialNo' },
    ]);
  });

  it('reads TOTP keys with a pskc: prefix: interval, hash, digits, drift, model', async () => {
    const rows = await parsePskc(fixture('pskc', 'totp-tokens.xml'));
    expect(rows[0]).toMatchObject({
      row: 1,
      kind: 'ok',
      token: { type: 'totp', serial: 'TOTP-0001', manufacturer: 'ACME & Sons', model: 'T30', algorithm: 'sha1', digits: 6, step: 30, driftSteps: 0 },
    });
    expect(rows[1]).toMatchObject({
      row: 2,
      kind: 'ok',
      token: { type: 'totp', serial: 'TOTP-0002', model: 'T60-SHA256', algorithm: 'sha256', digits: 8, step: 60, driftSteps: -2 },
    });
    expect(errorsOf(rows)).toEqual([
      { row: 3, serial: 'TOTP-0003', reason: 'bad_interval' },
      { row: 4, serial: 'TOTP-0001', reason: 'duplicate_serial' },
      { row: 5, serial: 'PIN-0005', reason: 'unsupported_algorithm' },
    ]);
  });

  it('gives tokens that verify with their own parameters', async () => {
    const token = (await parsePskc(fixture('pskc', 'totp-tokens.xml')))[1];
    if (token?.kind !== 'ok' || token.token.type !== 'totp') throw new Error('expected a TOTP token');
    const { secret, algorithm, digits, step, driftSteps } = token.token;
    expect(secret).toHaveLength(32);
    const now = Date.UTC(2030, 0, 1, 12, 0, 10);
    const code = totpAt(secret, now + driftSteps * step * 1000, { algorithm, digits, step });
    expect(verifyTotp({ secret, code, nowMs: now, algorithm, digits, step, driftSteps })).toMatchObject({ kind: 'accepted', driftSteps: -2 });
  });

  it('refuses what is not a PSKC 1.0 container', async () => {
    await expect(parsePskc('not xml <')).rejects.toThrow(ValidationError);
    await expect(parsePskc('<a><b></a>')).rejects.toThrow(/not well-formed XML/);
    await expect(parsePskc('<?xml version="1.0"?><Other/>')).rejects.toThrow(/not a PSKC KeyContainer/);
    await expect(parsePskc('<KeyContainer Version="2.0" xmlns="urn:ietf:params:xml:ns:keyprov:pskc"/>')).rejects.toThrow(/version 1\.0/);
    const bomb = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><KeyContainer Version="1.0">&a;</KeyContainer>';
    await expect(parsePskc(bomb)).rejects.toThrow(/DOCTYPE/);
  });
});

describe('R22 PSKC (RFC 6030) import, secrets under a pre-shared AES-128-CBC key (Figure 6)', () => {
  const figure6 = fixture('pskc', 'rfc6030-figure6.xml');
  const CIPHER = 'AAECAwQFBgcICQoLDA0OD+cIHItlB3Wra1DUpxVvOx2lef1VmNPCMl8jwZqIUqGv';
  const MAC = 'Su+NvtQfmvfJzF6bmQiJqoLRExc=';

  it('decrypts the secret with the right key after checking its MAC', async () => {
    const rows = await parsePskc(figure6, { preSharedKey: PRE_SHARED_KEY });
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      row: 1,
      serial: '987654321',
      kind: 'ok',
      token: { type: 'hotp', manufacturer: 'Manufacturer', digits: 8, counter: 0, algorithm: 'sha1' },
    });
    if (rows[0]?.kind !== 'ok') return;
    expect(hex(rows[0].token.secret)).toBe(RFC_SECRET_HEX);
    expect(Buffer.from(rows[0].token.secret).toString('ascii')).toBe('12345678901234567890');
  });

  it('asks for the key, by name, when none was given', async () => {
    expect(await parsePskc(figure6)).toEqual([
      {
        row: 1,
        serial: '987654321',
        kind: 'error',
        reason: 'key_required',
        detail: 'The secret is encrypted with the pre-shared key "Pre-shared-key"; send that key with the file',
      },
    ]);
  });

  it('refuses a wrong key with an error and no token', async () => {
    const wrongKey = new Uint8Array(Buffer.from('00112233445566778899aabbccddeeff', 'hex'));
    expect(await parsePskc(figure6, { preSharedKey: wrongKey })).toEqual([
      expect.objectContaining({ row: 1, serial: '987654321', kind: 'error', reason: 'wrong_key' }),
    ]);
  });

  it('refuses a key of the wrong size outright', async () => {
    await expect(parsePskc(figure6, { preSharedKey: new Uint8Array(32) })).rejects.toThrow(ValidationError);
  });

  it('refuses a tampered MAC', async () => {
    const tampered = figure6.replace(MAC, Buffer.alloc(20, 7).toString('base64'));
    expect(tampered).not.toBe(figure6);
    expect(await parsePskc(tampered, { preSharedKey: PRE_SHARED_KEY })).toEqual([
      expect.objectContaining({ row: 1, kind: 'error', reason: 'mac_mismatch' }),
    ]);
  });

  it('refuses a tampered ciphertext, and a tampered IV', async () => {
    const bytes = Buffer.from(CIPHER, 'base64');
    for (const position of [bytes.length - 1, 0]) {
      const altered = Buffer.from(bytes);
      altered[position] = (altered[position] ?? 0) ^ 0x01;
      const tampered = figure6.replace(CIPHER, altered.toString('base64'));
      expect(tampered).not.toBe(figure6);
      expect(await parsePskc(tampered, { preSharedKey: PRE_SHARED_KEY })).toEqual([
        expect.objectContaining({ row: 1, kind: 'error', reason: 'mac_mismatch' }),
      ]);
    }
  });

  it('refuses an encrypted secret without its MAC, or a file without a MAC method', async () => {
    const noValueMac = figure6.replace(/<ValueMAC>[^<]*<\/ValueMAC>/, '');
    expect(await parsePskc(noValueMac, { preSharedKey: PRE_SHARED_KEY })).toEqual([expect.objectContaining({ kind: 'error', reason: 'mac_missing' })]);
    const noMacMethod = figure6.replace(/<MACMethod[\s\S]*<\/MACMethod>/, '');
    expect(await parsePskc(noMacMethod, { preSharedKey: PRE_SHARED_KEY })).toEqual([expect.objectContaining({ kind: 'error', reason: 'mac_missing' })]);
  });

  it('refuses encryption other than AES-128-CBC', async () => {
    const aes256 = figure6.replace(/<EncryptedValue>\s*<xenc:EncryptionMethod\s+Algorithm="[^"]+"/, (m) => m.replace('aes128-cbc', 'aes256-cbc'));
    expect(aes256).not.toBe(figure6);
    expect(await parsePskc(aes256, { preSharedKey: PRE_SHARED_KEY })).toEqual([
      expect.objectContaining({ kind: 'error', reason: 'unsupported_encryption' }),
    ]);
  });

  it('reads an encrypted TOTP key the same way', async () => {
    const totp = figure6
      .replace('urn:ietf:params:xml:ns:keyprov:pskc:hotp', 'urn:ietf:params:xml:ns:keyprov:pskc:totp')
      .replace(/<Counter>[\s\S]*<\/Counter>/, '<TimeInterval><PlainValue>60</PlainValue></TimeInterval>');
    const rows = await parsePskc(totp, { preSharedKey: PRE_SHARED_KEY });
    expect(rows[0]).toMatchObject({ kind: 'ok', token: { type: 'totp', step: 60, digits: 8 } });
    if (rows[0]?.kind === 'ok') expect(hex(rows[0].token.secret)).toBe(RFC_SECRET_HEX);
  });

  it('never repeats key material in its errors', async () => {
    const text = JSON.stringify([
      ...(await parsePskc(figure6)),
      ...(await parsePskc(figure6, { preSharedKey: new Uint8Array(16) })),
      ...(await parsePskc(figure6.replace(MAC, Buffer.alloc(20).toString('base64')), { preSharedKey: PRE_SHARED_KEY })),
    ]);
    expect(text).not.toMatch(/ESIzRFVm|AAECAwQF|Su\+Nvt|3132333435|12345678901234567890/);
  });
});
