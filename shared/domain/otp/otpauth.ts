/**
 * Enrolment of an authenticator app (R5): the `otpauth://` key URI of the Google Authenticator
 * "Key Uri Format", and its QR code.
 *
 * The URI and the QR code carry the secret in clear (R28): return them to the user once, in the
 * enrolment response, and never log or store them.
 */
import { once } from '../../once';
import { ValidationError } from '../errors';
import { TOTP_ALGORITHM, TOTP_DIGITS, TOTP_STEP_SECONDS } from './rules';
import { base32Encode, type OtpAlgorithm } from './totp';

export interface KeyUriInput {
  /** Shown as the account's heading in the app: the tenant or product name. */
  readonly issuer: string;
  /** Who the code is for, usually the user's sign-in name or e-mail. */
  readonly account: string;
  readonly secret: Uint8Array;
  readonly algorithm?: OtpAlgorithm;
  readonly digits?: number;
  /** Time step in seconds. */
  readonly period?: number;
}

/** RFC 3986 percent-encoding of everything but unreserved characters (encodeURIComponent leaves `!'()*`). */
function percentEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * `otpauth://totp/<Issuer>:<account>?secret=…&issuer=…&algorithm=SHA1&digits=6&period=30`.
 *
 * Issuer and account are percent-encoded (a space is `%20`, never `+`, which some apps show
 * literally). The issuer appears both in the label and as a parameter, as the format recommends,
 * and neither may contain a colon: the label's one colon separates them. Every parameter is
 * written out, even the defaults, so apps that guess differently still agree with the server.
 */
export function keyUri(input: KeyUriInput): string {
  const issuer = input.issuer.trim();
  const account = input.account.trim();
  if (!issuer || !account) throw new ValidationError('A key URI needs an issuer and an account name');
  if (issuer.includes(':') || account.includes(':')) {
    throw new ValidationError('The issuer and account name of a key URI cannot contain a colon');
  }
  const params = [
    ['secret', base32Encode(input.secret)],
    ['issuer', issuer],
    ['algorithm', (input.algorithm ?? TOTP_ALGORITHM).toUpperCase()],
    ['digits', String(input.digits ?? TOTP_DIGITS)],
    ['period', String(input.period ?? TOTP_STEP_SECONDS)],
  ]
    .map(([name, value]) => `${name}=${percentEncode(value ?? '')}`)
    .join('&');
  return `otpauth://totp/${percentEncode(issuer)}:${percentEncode(account)}?${params}`;
}

/** Error correction M (15 %) survives a phone camera at an angle without making the code dense. */
const QR_OPTIONS = { errorCorrectionLevel: 'M', margin: 4 } as const;

/**
 * The QR and PNG encoders, loaded on the first QR code drawn, once per container: a Lambda bundle
 * leaves them out and they ship beside the enrolment handlers (infra/lambda/aliases.ts
 * LAMBDA_DEFERRED), so no cold start loads them (their other routes never draw one).
 */
const qrcode = /* @__PURE__ */ once((): Promise<typeof import('qrcode')> => import('qrcode'));

/** The key URI as a QR code, an SVG document to inline in the enrolment page. */
export async function qrSvg(uri: string): Promise<string> {
  return (await qrcode()).toString(uri, { ...QR_OPTIONS, type: 'svg' });
}

/** The key URI as a QR code, a `data:image/png;base64,…` URL for an `<img src>`. */
export async function qrPngDataUrl(uri: string): Promise<string> {
  return (await qrcode()).toDataURL(uri, { ...QR_OPTIONS, type: 'image/png', scale: 6 });
}
