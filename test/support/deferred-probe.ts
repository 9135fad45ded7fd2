import { parsePhone } from '../../shared/domain/phone';
import { parseOathCsv, parsePskc } from '../../shared/domain/otp/oath-import';
import { qrSvg } from '../../shared/domain/otp/otpauth';
import { ValidationError } from '../../shared/domain/errors';

/**
 * One call into each path that loads a deferred package (infra/lambda/aliases.ts LAMBDA_DEFERRED,
 * but WebAuthn, which test/unit/bundled-webauthn.test.ts runs): a number parsed and one refused by
 * the phone-number library, a QR code drawn, a CSV and a PSKC file of tokens read. Its answer is
 * plain JSON, so the sources and a bundle can be compared (test/unit/deferred-packages.test.ts).
 */
export async function probe(files: { readonly csv: string; readonly pskc: string }): Promise<unknown> {
  const phone = await parsePhone('+14155552671', '/phone');
  const refused = await parsePhone('+10000000000', '/phone').then(
    () => 'accepted',
    (error: unknown) => (error instanceof ValidationError ? error.errors : `not a validation error: ${String(error)}`),
  );
  const qr = await qrSvg('otpauth://totp/Example:alice?secret=JBSWY3DPEHPK3PXP&issuer=Example');
  const csv = await parseOathCsv(files.csv);
  const pskc = await parsePskc(files.pskc);
  return JSON.parse(JSON.stringify({ phone, refused, qr, csv, pskc })) as unknown;
}
