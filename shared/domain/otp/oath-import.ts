/**
 * R22: bulk import of OATH hardware tokens, from CSV and from PSKC (RFC 6030) — plaintext, or
 * with secrets encrypted under a pre-shared AES-128-CBC key and authenticated with HMAC.
 *
 * Both parsers answer one result per token so an admin can fix the bad rows and re-import just
 * those; a file that cannot be read at all (not CSV, not XML, missing columns) is a
 * {@link ValidationError}. Parsing is pure: whether a serial already exists for the tenant is the
 * store's question (a conditional write), and the store seals each `token.secret` at once (R28).
 * No message here repeats a secret or a field that might hold one.
 */
import { createDecipheriv, createHmac, timingSafeEqual } from 'node:crypto';
import { once } from '../../once';
import { oathSerialSchema } from '../../schemas/oath-serial';
import { csvParser } from '../csv';
import { ValidationError } from '../errors';
import { base32Decode, type OtpAlgorithm } from './totp';
import {
  HARDWARE_TOKEN_INTERVALS,
  OATH_IMPORT_MAX_TOKENS,
  OTP_MAX_DIGITS,
  OTP_MAX_SECRET_BYTES,
  OTP_MIN_DIGITS,
  OTP_MIN_SECRET_BYTES,
  TOTP_DIGITS,
  TOTP_STEP_SECONDS,
} from './rules';

interface OathTokenBase {
  readonly serial: string;
  /** The raw key. Seal it with the SecretBox before it goes anywhere (R28). */
  readonly secret: Uint8Array;
  readonly algorithm: OtpAlgorithm;
  readonly digits: number;
  readonly manufacturer?: string;
  readonly model?: string;
}

/** A token ready to store. PSKC files may also carry HOTP (counter) tokens; CSV files are TOTP only. */
export type OathToken =
  | (OathTokenBase & {
      readonly type: 'totp';
      /** Time interval in seconds: 30 or 60 (R22). */
      readonly step: number;
      /** The drift the issuer measured (PSKC `TimeDrift`), a starting point for R5's drift. */
      readonly driftSteps: number;
    })
  | (OathTokenBase & { readonly type: 'hotp'; readonly counter: number });

export type OathImportErrorReason =
  | 'missing_field'
  | 'bad_base32'
  | 'bad_secret_length'
  | 'bad_interval'
  | 'bad_digits'
  | 'duplicate_serial'
  /** The serial does not follow the serial schema (1–64 letters, digits, `.`, `_`, `:`, `-`). */
  | 'bad_serial'
  | 'unsupported_algorithm'
  | 'malformed'
  /** The secret is encrypted and no pre-shared key came with the file. */
  | 'key_required'
  /** The pre-shared key does not open this file. */
  | 'wrong_key'
  /** An encrypted secret without the MAC RFC 6030 §6.1.1 requires for CBC. */
  | 'mac_missing'
  /** The MAC does not match: the file was altered, or the key is wrong. */
  | 'mac_mismatch'
  | 'unsupported_encryption';

/**
 * One token of an import. `row` is the CSV line number (the header is line 1) or, for PSKC,
 * the 1-based position of the `<KeyPackage>` in the file.
 */
export type OathImportRow =
  | { readonly row: number; readonly serial: string; readonly kind: 'ok'; readonly token: OathToken }
  | {
      readonly row: number;
      readonly serial?: string;
      readonly kind: 'error';
      readonly reason: OathImportErrorReason;
      /** A sentence for the admin; never contains secret material. */
      readonly detail: string;
    };

type Failure = { readonly reason: OathImportErrorReason; readonly detail: string };
const fail = (reason: OathImportErrorReason, detail: string): Failure => ({ reason, detail });
const isFailure = (value: unknown): value is Failure =>
  typeof value === 'object' && value !== null && 'reason' in value && 'detail' in value;

function checkSecretLength(secret: Uint8Array): Failure | undefined {
  if (secret.length >= OTP_MIN_SECRET_BYTES && secret.length <= OTP_MAX_SECRET_BYTES) return undefined;
  secret.fill(0);
  return fail(
    'bad_secret_length',
    `The secret has ${secret.length} bytes; OATH secrets have ${OTP_MIN_SECRET_BYTES} to ${OTP_MAX_SECRET_BYTES} (RFC 4226 §4)`,
  );
}

function parseDigits(value: string | undefined): number | Failure {
  if (value === undefined || value === '') return TOTP_DIGITS;
  const digits = /^\d+$/.test(value) ? Number(value) : NaN;
  if (digits >= OTP_MIN_DIGITS && digits <= OTP_MAX_DIGITS) return digits;
  return fail('bad_digits', `Codes have ${OTP_MIN_DIGITS} to ${OTP_MAX_DIGITS} digits, not "${value}"`);
}

function parseInterval(value: string): number | Failure {
  const interval = /^\d+$/.test(value) ? Number(value) : NaN;
  if (HARDWARE_TOKEN_INTERVALS.includes(interval)) return interval;
  return fail('bad_interval', `The time interval must be ${HARDWARE_TOKEN_INTERVALS.join(' or ')} seconds, not "${value}"`);
}

/** Longest manufacturer or model kept: enough for any real device, small enough for one stored item. */
const DEVICE_TEXT_MAX = 128;

const validSerial = (serial: string): boolean => oathSerialSchema.safeParse(serial).success;

/**
 * R29: a serial is the token's key and the path segment it is assigned by, so it follows the
 * serial schema of the API; checked here, per row, before anything is stored.
 */
function checkSerial(serial: string): Failure | undefined {
  if (validSerial(serial)) return undefined;
  return fail('bad_serial', `A serial has 1 to 64 characters: letters, digits and . _ : - (this one has ${serial.length})`);
}

function checkDeviceText(device: { manufacturer?: string | undefined; model?: string | undefined }): Failure | undefined {
  for (const [name, value] of Object.entries(device)) {
    if (value !== undefined && value.length > DEVICE_TEXT_MAX) return fail('malformed', `The ${name} has more than ${DEVICE_TEXT_MAX} characters`);
  }
  return undefined;
}

/** Remembers serials already seen in one file; the second and later copies are errors. */
class SerialRegistry {
  private readonly rows = new Map<string, number>();

  duplicate(serial: string, row: number): Failure | undefined {
    const first = this.rows.get(serial);
    if (first !== undefined) return fail('duplicate_serial', `Serial ${serial} already appears at row ${first}`);
    this.rows.set(serial, row);
    return undefined;
  }
}

function errorRow(row: number, serial: string | undefined, failure: Failure): OathImportRow {
  // A serial that breaks the schema is not echoed back: it may be anything, of any length.
  return { row, ...(serial && validSerial(serial) ? { serial } : {}), kind: 'error', ...failure };
}

function checkTokenCount(count: number): void {
  if (count > OATH_IMPORT_MAX_TOKENS) {
    throw new ValidationError(`An import holds at most ${OATH_IMPORT_MAX_TOKENS} tokens; split the file`);
  }
}

// ---------------------------------------------------------------------------------------------
// CSV

type CsvColumn = 'serial' | 'secret' | 'interval' | 'manufacturer' | 'model' | 'digits';

/** Header names, normalised to lower case with single spaces. Includes Microsoft Entra's names. */
const CSV_HEADERS: Record<string, CsvColumn> = {
  serial: 'serial',
  'serial number': 'serial',
  serialno: 'serial',
  secret: 'secret',
  'secret key': 'secret',
  interval: 'interval',
  'time interval': 'interval',
  period: 'interval',
  manufacturer: 'manufacturer',
  model: 'model',
  digits: 'digits',
};
const REQUIRED_CSV_COLUMNS: readonly CsvColumn[] = ['serial', 'secret', 'interval'];

interface CsvLine {
  readonly fields: string[];
  readonly line: number;
}

async function readCsv(input: string | Uint8Array): Promise<CsvLine[]> {
  const { parse } = await csvParser();
  try {
    const records = parse(typeof input === 'string' ? input : Buffer.from(input), {
      bom: true,
      trim: true,
      skip_empty_lines: true,
      relax_column_count: true,
      info: true,
    }) as unknown as { record: string[]; info: { lines: number } }[];
    return records.map(({ record, info }) => ({ fields: record, line: info.lines }));
  } catch (error) {
    // csv-parse's own message quotes the offending text, which may be a secret: keep only the line.
    const line = (error as { lines?: unknown }).lines;
    throw new ValidationError(`The file is not valid CSV${typeof line === 'number' ? ` (near line ${line})` : ''}`);
  }
}

function csvColumns(header: readonly string[]): Map<CsvColumn, number> {
  const columns = new Map<CsvColumn, number>();
  header.forEach((name, index) => {
    const column = CSV_HEADERS[name.toLowerCase().replace(/[\s_-]+/g, ' ').trim()];
    if (!column) return; // Extra columns (an Entra `upn`, a note) are ignored.
    if (columns.has(column)) throw new ValidationError(`The CSV header names the ${column} column twice`);
    columns.set(column, index);
  });
  const missing = REQUIRED_CSV_COLUMNS.filter((column) => !columns.has(column));
  if (missing.length) {
    throw new ValidationError(`The CSV header must name the columns serial, secret and interval; missing: ${missing.join(', ')}`);
  }
  return columns;
}

/**
 * R22: parses a CSV of TOTP hardware tokens. The first line is a header naming the columns
 * `serial`, `secret` (Base32) and `interval` (30 or 60), and optionally `manufacturer`,
 * `model` and `digits` (default 6), in any order; Microsoft Entra's names ("serial number",
 * "secret key", "time interval") work too. Fields may be quoted ("ACME, Inc.").
 */
export async function parseOathCsv(input: string | Uint8Array): Promise<OathImportRow[]> {
  const [header, ...records] = await readCsv(input);
  if (!header) throw new ValidationError('The CSV file is empty');
  const columns = csvColumns(header.fields);
  checkTokenCount(records.length);
  const serials = new SerialRegistry();
  const field = (record: CsvLine, column: CsvColumn): string => {
    const index = columns.get(column);
    return index === undefined ? '' : (record.fields[index] ?? '');
  };

  return records.map((record): OathImportRow => {
    const serial = field(record, 'serial');
    const result = csvToken(record, serial, field, serials);
    return isFailure(result) ? errorRow(record.line, serial, result) : { row: record.line, serial, kind: 'ok', token: result };
  });
}

function csvToken(
  record: CsvLine,
  serial: string,
  field: (record: CsvLine, column: CsvColumn) => string,
  serials: SerialRegistry,
): OathToken | Failure {
  const missing = REQUIRED_CSV_COLUMNS.filter((column) => !field(record, column));
  if (missing.length) return fail('missing_field', `Missing ${missing.join(', ')}`);
  const badSerial = checkSerial(serial);
  if (badSerial) return badSerial;
  const duplicate = serials.duplicate(serial, record.line);
  if (duplicate) return duplicate;
  const manufacturer = field(record, 'manufacturer');
  const model = field(record, 'model');
  const badText = checkDeviceText({ manufacturer, model });
  if (badText) return badText;
  const step = parseInterval(field(record, 'interval'));
  if (isFailure(step)) return step;
  const digits = parseDigits(field(record, 'digits'));
  if (isFailure(digits)) return digits;
  let secret: Uint8Array;
  try {
    secret = base32Decode(field(record, 'secret'));
  } catch {
    return fail('bad_base32', 'The secret is not valid Base32 (RFC 4648: letters A–Z and digits 2–7)');
  }
  const badLength = checkSecretLength(secret);
  if (badLength) return badLength;
  return {
    type: 'totp',
    serial,
    secret,
    algorithm: 'sha1',
    digits,
    step,
    driftSteps: 0,
    ...(manufacturer ? { manufacturer } : {}),
    ...(model ? { model } : {}),
  };
}

// ---------------------------------------------------------------------------------------------
// PSKC (RFC 6030)

export interface PskcOptions {
  /**
   * The 16-byte AES-128 key the vendor shared out of band, for files whose secrets are
   * encrypted (`<EncryptionKey><ds:KeyName>`). Plaintext files need none.
   */
  readonly preSharedKey?: Uint8Array;
}

const PSKC_ALGORITHMS: Record<string, 'totp' | 'hotp'> = {
  'urn:ietf:params:xml:ns:keyprov:pskc:totp': 'totp',
  'urn:ietf:params:xml:ns:keyprov:pskc:hotp': 'hotp',
};
const AES128_CBC = 'http://www.w3.org/2001/04/xmlenc#aes128-cbc';
const MAC_ALGORITHMS: Record<string, 'sha1' | 'sha256'> = {
  'http://www.w3.org/2000/09/xmldsig#hmac-sha1': 'sha1',
  'http://www.w3.org/2001/04/xmldsig-more#hmac-sha256': 'sha256',
};
const AES_BLOCK = 16;

/**
 * The XML library, loaded and its parser built on the first PSKC file read, once per container:
 * a Lambda bundle leaves it out and it ships beside the handlers that may read PSKC
 * (infra/lambda/aliases.ts LAMBDA_DEFERRED), so no cold start loads it. Marked pure: a handler
 * that only parses CSV (admin-jobs, checking a header) does not reach it.
 *
 * The parsed tree: every element is an array (even when it occurs once), attributes are
 * `@_Name`, text is a string or `#text`. Namespace prefixes are dropped, so `pskc:Key` and a
 * default-namespace `Key` read the same.
 */
const xml = /* @__PURE__ */ once(async () => {
  const { XMLParser, XMLValidator } = await import('fast-xml-parser');
  const parser = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '@_',
    removeNSPrefix: true,
    parseTagValue: false,
    parseAttributeValue: false,
    trimValues: true,
    isArray: (_name, _path, _leaf, isAttribute) => !isAttribute,
  });
  return { parser, validator: XMLValidator };
});

type XmlNode = Record<string, unknown>;
const isNode = (value: unknown): value is XmlNode => typeof value === 'object' && value !== null && !Array.isArray(value);

function children(node: unknown, name: string): unknown[] {
  if (!isNode(node)) return [];
  const value = node[name];
  return Array.isArray(value) ? value : value === undefined ? [] : [value];
}

/** The first element at a path of child names, e.g. `child(key, 'Data', 'Secret')`. */
function child(node: unknown, ...path: string[]): unknown {
  return path.reduce<unknown>((current, name) => children(current, name)[0], node);
}

function text(node: unknown): string | undefined {
  if (typeof node === 'string') return node;
  if (isNode(node) && typeof node['#text'] === 'string') return node['#text'];
  return undefined;
}

function attribute(node: unknown, name: string): string | undefined {
  const value = isNode(node) ? node[`@_${name}`] : undefined;
  return typeof value === 'string' ? value.trim() : undefined;
}

function base64(value: string | undefined): Buffer | undefined {
  const compact = (value ?? '').replace(/\s+/g, '');
  if (!compact || compact.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(compact)) return undefined;
  return Buffer.from(compact, 'base64');
}

function integer(value: string | undefined): number | undefined {
  return value !== undefined && /^-?\d+$/.test(value) && Number.isSafeInteger(Number(value)) ? Number(value) : undefined;
}

/** What a file's `<EncryptionKey>` and `<MACMethod>` allow, worked out once per file. */
type Protection =
  | { readonly kind: 'none' }
  | { readonly kind: 'unusable'; readonly failure: Failure }
  | { readonly kind: 'pre-shared'; readonly key: Uint8Array; readonly mac: { algorithm: 'sha1' | 'sha256'; key: Buffer } | Failure };

function decryptAes128Cbc(key: Uint8Array, ivAndCiphertext: Buffer): Buffer {
  if (ivAndCiphertext.length < 2 * AES_BLOCK || ivAndCiphertext.length % AES_BLOCK !== 0) {
    throw new RangeError('not an IV followed by whole AES blocks');
  }
  const decipher = createDecipheriv('aes-128-cbc', key, ivAndCiphertext.subarray(0, AES_BLOCK));
  return Buffer.concat([decipher.update(ivAndCiphertext.subarray(AES_BLOCK)), decipher.final()]);
}

function protection(container: unknown, preSharedKey: Uint8Array | undefined): Protection {
  const encryptionKey = child(container, 'EncryptionKey');
  if (encryptionKey === undefined) return { kind: 'none' };
  const keyName = text(child(encryptionKey, 'KeyName'));
  if (keyName === undefined) {
    return {
      kind: 'unusable',
      failure: fail('unsupported_encryption', 'Only secrets encrypted with a pre-shared key (ds:KeyName) can be imported'),
    };
  }
  if (!preSharedKey) {
    return { kind: 'unusable', failure: fail('key_required', `The secret is encrypted with the pre-shared key "${keyName}"; send that key with the file`) };
  }
  return { kind: 'pre-shared', key: preSharedKey, mac: macKey(child(container, 'MACMethod'), preSharedKey) };
}

/** RFC 6030 §6.1.1: the sender's random MAC key, itself encrypted under the pre-shared key. */
function macKey(method: unknown, preSharedKey: Uint8Array): { algorithm: 'sha1' | 'sha256'; key: Buffer } | Failure {
  if (method === undefined) return fail('mac_missing', 'The file has no MACMethod; AES-CBC secrets must come with a MAC');
  const algorithm = MAC_ALGORITHMS[attribute(method, 'Algorithm') ?? ''];
  if (!algorithm) return fail('unsupported_encryption', 'The MAC algorithm must be HMAC-SHA1 or HMAC-SHA256');
  const encrypted = child(method, 'MACKey');
  if (encrypted === undefined) return fail('unsupported_encryption', 'Only a MAC key carried in the file (MACKey) is supported');
  if (attribute(child(encrypted, 'EncryptionMethod'), 'Algorithm') !== AES128_CBC) {
    return fail('unsupported_encryption', 'The MAC key must be encrypted with AES-128-CBC');
  }
  const cipher = base64(text(child(encrypted, 'CipherData', 'CipherValue')));
  if (!cipher) return fail('malformed', 'The encrypted MAC key is not valid Base64');
  try {
    return { algorithm, key: decryptAes128Cbc(preSharedKey, cipher) };
  } catch {
    return fail('wrong_key', 'The pre-shared key does not open this file (the MAC key cannot be decrypted)');
  }
}

/** A `<PlainValue>` or an authenticated `<EncryptedValue>`: the secret's bytes, or why not. */
function secretValue(secret: unknown, files: Protection): Buffer | Failure {
  const plain = child(secret, 'PlainValue');
  if (plain !== undefined) return base64(text(plain)) ?? fail('malformed', 'The secret is not valid Base64');
  const encrypted = child(secret, 'EncryptedValue');
  if (encrypted === undefined) return fail('missing_field', 'The key has no secret (Data/Secret)');
  if (files.kind === 'none') return fail('malformed', 'The secret is encrypted but the file names no EncryptionKey');
  if (files.kind === 'unusable') return files.failure;
  if (attribute(child(encrypted, 'EncryptionMethod'), 'Algorithm') !== AES128_CBC) {
    return fail('unsupported_encryption', 'Only secrets encrypted with AES-128-CBC can be imported');
  }
  if (isFailure(files.mac)) return files.mac;
  const cipher = base64(text(child(encrypted, 'CipherData', 'CipherValue')));
  if (!cipher || cipher.length < 2 * AES_BLOCK || cipher.length % AES_BLOCK !== 0) {
    return fail('malformed', 'The encrypted secret is not an IV followed by AES blocks');
  }
  const mac = base64(text(child(secret, 'ValueMAC')));
  if (!mac) return fail('mac_missing', 'The encrypted secret has no ValueMAC');
  // Encrypt-then-MAC: check the MAC over IV || ciphertext before decrypting anything.
  const expected = createHmac(files.mac.algorithm, files.mac.key).update(cipher).digest();
  if (expected.length !== mac.length || !timingSafeEqual(expected, mac)) {
    return fail('mac_mismatch', 'The secret does not match its MAC: the file was altered or the pre-shared key is wrong');
  }
  try {
    return decryptAes128Cbc(files.key, cipher);
  } catch {
    return fail('wrong_key', 'The secret cannot be decrypted with this pre-shared key');
  }
}

function hashOf(key: unknown): OtpAlgorithm | Failure {
  const suite = text(child(key, 'AlgorithmParameters', 'Suite'))?.toUpperCase().replace(/[^A-Z0-9]/g, '');
  if (!suite || suite.endsWith('SHA1')) return 'sha1';
  if (suite.endsWith('SHA256')) return 'sha256';
  if (suite.endsWith('SHA512')) return 'sha512';
  return fail('unsupported_algorithm', 'The key uses a hash other than SHA-1, SHA-256 or SHA-512');
}

function pskcToken(keyPackage: unknown, serial: string | undefined, row: number, files: Protection, serials: SerialRegistry): OathToken | Failure {
  const keys = children(keyPackage, 'Key');
  if (keys.length !== 1) return fail('malformed', 'A KeyPackage must hold exactly one Key');
  const key = keys[0];
  if (!serial) return fail('missing_field', 'The KeyPackage has no DeviceInfo/SerialNo');
  const badSerial = checkSerial(serial);
  if (badSerial) return badSerial;
  const duplicate = serials.duplicate(serial, row);
  if (duplicate) return duplicate;
  const manufacturer = text(child(keyPackage, 'DeviceInfo', 'Manufacturer'))?.trim();
  const model = text(child(keyPackage, 'DeviceInfo', 'Model'))?.trim();
  const badText = checkDeviceText({ manufacturer, model });
  if (badText) return badText;
  const type = PSKC_ALGORITHMS[attribute(key, 'Algorithm') ?? ''];
  if (!type) return fail('unsupported_algorithm', 'Only OATH TOTP and HOTP keys can be imported');
  const algorithm = hashOf(key);
  if (isFailure(algorithm)) return algorithm;
  const format = child(key, 'AlgorithmParameters', 'ResponseFormat');
  const encoding = attribute(format, 'Encoding');
  if (encoding !== undefined && encoding.toUpperCase() !== 'DECIMAL') return fail('bad_digits', 'Codes must be DECIMAL');
  const digits = parseDigits(attribute(format, 'Length'));
  if (isFailure(digits)) return digits;

  const data = child(key, 'Data');
  const plainInteger = (name: string, fallback: number): number | Failure => {
    const element = child(data, name);
    if (element === undefined) return fallback;
    const value = integer(text(child(element, 'PlainValue')));
    return value ?? fail('malformed', `Data/${name} must be a plain integer`);
  };
  let details: { type: 'totp'; step: number; driftSteps: number } | { type: 'hotp'; counter: number };
  if (type === 'totp') {
    const interval = child(data, 'TimeInterval');
    const step = interval === undefined ? TOTP_STEP_SECONDS : parseInterval(text(child(interval, 'PlainValue')) ?? '');
    if (isFailure(step)) return step;
    const driftSteps = plainInteger('TimeDrift', 0);
    if (isFailure(driftSteps)) return driftSteps;
    details = { type, step, driftSteps };
  } else {
    const counter = plainInteger('Counter', 0);
    if (isFailure(counter)) return counter;
    if (counter < 0) return fail('malformed', 'Data/Counter cannot be negative');
    details = { type, counter };
  }

  const opened = secretValue(child(data, 'Secret'), files);
  if (isFailure(opened)) return opened;
  // Copy into memory of its own and wipe the decryption buffer, so the clear secret lives only in the result.
  const secret = Uint8Array.from(opened);
  opened.fill(0);
  const badLength = checkSecretLength(secret);
  if (badLength) return badLength;
  return {
    serial,
    secret,
    algorithm,
    digits,
    ...details,
    ...(manufacturer ? { manufacturer } : {}),
    ...(model ? { model } : {}),
  };
}

async function readPskc(input: string | Uint8Array): Promise<unknown> {
  const document = typeof input === 'string' ? input : Buffer.from(input).toString('utf8');
  // PSKC never needs a DTD; refusing one rules out entity-expansion tricks before parsing.
  if (/<!DOCTYPE/i.test(document)) throw new ValidationError('PSKC files with a DOCTYPE are not accepted');
  const { parser, validator } = await xml();
  const valid = validator.validate(document);
  if (valid !== true) throw new ValidationError(`The file is not well-formed XML (line ${valid.err.line})`);
  const container = child(parser.parse(document), 'KeyContainer');
  if (!isNode(container)) throw new ValidationError('The file is not a PSKC KeyContainer (RFC 6030)');
  if (attribute(container, 'Version') !== '1.0') throw new ValidationError('Only PSKC version 1.0 (RFC 6030) is supported');
  return container;
}

/**
 * R22: parses a PSKC (RFC 6030) key container. Reads each `<KeyPackage>`'s serial
 * (`DeviceInfo/SerialNo`), manufacturer and model, the key's algorithm (OATH TOTP or HOTP), the
 * `TimeInterval` (30 or 60 s), `TimeDrift` or `Counter`, the code length (`ResponseFormat
 * Length`), and its secret: a `PlainValue`, or an `EncryptedValue` under the pre-shared
 * AES-128-CBC key with the IV prepended, whose `ValueMAC` (HMAC over IV || ciphertext, keyed
 * with the file's encrypted `MACKey`) is checked before anything is decrypted. A wrong key or
 * an altered file gives each encrypted token an error and no token.
 */
export async function parsePskc(input: string | Uint8Array, options: PskcOptions = {}): Promise<OathImportRow[]> {
  if (options.preSharedKey && options.preSharedKey.length !== AES_BLOCK) {
    throw new ValidationError('The pre-shared key for AES-128-CBC must be 16 bytes (32 hex digits)');
  }
  const container = await readPskc(input);
  const packages = children(container, 'KeyPackage');
  checkTokenCount(packages.length);
  const files = protection(container, options.preSharedKey);
  const serials = new SerialRegistry();
  try {
    return packages.map((keyPackage, index): OathImportRow => {
      const row = index + 1;
      const serial = text(child(keyPackage, 'DeviceInfo', 'SerialNo'))?.trim() || undefined;
      const result = pskcToken(keyPackage, serial, row, files, serials);
      return isFailure(result) ? errorRow(row, serial, result) : { row, serial: result.serial, kind: 'ok', token: result };
    });
  } finally {
    if (files.kind === 'pre-shared' && !isFailure(files.mac)) files.mac.key.fill(0);
  }
}
