import type { NumberType } from 'libphonenumber-js/max';
import { once } from '../once';
import { PhoneNotAllowedError, ValidationError } from './errors';
import type { PhoneClassifier } from '../ports';
import type { PhoneNumber, PhoneType } from './types';

/**
 * The phone-number library (its metadata is ~190 KiB), loaded on the first number parsed or
 * country checked, once per container: a Lambda bundle leaves it out and it ships beside the
 * handlers that parse numbers (infra/lambda/aliases.ts LAMBDA_DEFERRED), so no cold start builds
 * the metadata. Marked pure: a handler that only uses this module's other functions (whether a
 * type takes a text or a call) does not reach it.
 */
export const phoneLibrary = /* @__PURE__ */ once((): Promise<typeof import('libphonenumber-js/max')> => import('libphonenumber-js/max'));

/** The library's number types in Tessera's terms (R30). */
export function phoneTypeOf(type: NumberType): PhoneType {
  switch (type) {
    case 'MOBILE':
      return 'mobile';
    case 'FIXED_LINE':
      return 'landline';
    case 'FIXED_LINE_OR_MOBILE':
      return 'mobile_or_landline';
    case 'VOIP':
      return 'voip';
    case 'PREMIUM_RATE':
      return 'premium_rate';
    case 'SHARED_COST':
      return 'shared_cost';
    case 'UAN':
      return 'uan';
    case 'VOICEMAIL':
      return 'voicemail';
    default:
      return 'unknown';
  }
}

/** R30: numbers that must never receive a code, whatever the method. */
const REFUSED: ReadonlySet<PhoneType> = new Set<PhoneType>(['voip', 'premium_rate', 'shared_cost', 'uan', 'voicemail', 'invalid']);

const REFUSED_AS: Record<string, string> = {
  voip: 'A VoIP number',
  premium_rate: 'A premium-rate number',
  shared_cost: 'A shared-cost number',
  uan: 'A universal access number',
  voicemail: 'A voicemail-only number',
  invalid: 'A number the carrier lookup does not know',
};

/**
 * R30 on AWS: the carrier lookup's answer (PhoneNumberValidate) combined with the library's.
 * The lookup knows the live line (a number ported from mobile to VoIP, one that no longer
 * exists); only the library knows the number ranges that bill the caller or forward elsewhere
 * (premium rate, shared cost, UAN, voicemail-only), which the lookup reports as landline or other.
 * Either one refusing a number refuses it; a type neither can name stays `unknown`.
 */
export function combinePhoneTypes(library: PhoneType, carrier: PhoneType): PhoneType {
  if (carrier === 'invalid') return 'invalid';
  if (REFUSED.has(library)) return library;
  if (carrier === 'voip' || carrier === 'mobile' || carrier === 'landline') return carrier;
  return 'unknown';
}

/**
 * Parses a number given in E.164 (a leading + and the country code) and keeps its country and
 * the library's idea of its type. Numbers that are not valid for their country are refused
 * with the pointer of the field.
 */
export async function parsePhone(input: string, pointer: string): Promise<PhoneNumber> {
  const fail = (detail: string): never => {
    throw new ValidationError('Invalid phone number', [{ pointer, detail }]);
  };
  if (!/^\+[1-9]\d{6,14}$/.test(input)) fail('must be E.164: a + followed by 7 to 15 digits');
  const { parsePhoneNumberWithError, ParseError } = await phoneLibrary();
  try {
    const parsed = parsePhoneNumberWithError(input);
    if (!parsed.isValid() || !parsed.country) fail('is not a valid number for any country');
    return { e164: parsed.number, country: parsed.country as string, type: phoneTypeOf(parsed.getType()) };
  } catch (error) {
    if (error instanceof ParseError) return fail(`cannot be parsed (${error.message})`);
    throw error;
  }
}

/**
 * Parses, classifies (PhoneNumberValidate on AWS) and checks a number a user registers (R30):
 * VoIP, premium-rate, shared-cost, UAN, voicemail-only and invalid numbers cannot receive codes
 * (NIST SP 800-63B; a number that bills the caller invites SMS pumping), so they are refused.
 */
export async function registerPhone(classifier: PhoneClassifier, input: string, pointer: string): Promise<PhoneNumber> {
  const parsed = await parsePhone(input, pointer);
  const type = await classifier.classify(parsed.e164);
  if (REFUSED.has(type)) {
    throw new PhoneNotAllowedError(`${REFUSED_AS[type] ?? 'This number'} cannot receive codes`, {
      errors: [{ pointer, detail: `is ${/^[aeiou]/.test(type) ? 'an' : 'a'} ${type} number` }],
    });
  }
  return { ...parsed, type };
}

/** The local classifier: the library's metadata stands in for Pinpoint's PhoneNumberValidate. */
export const libraryPhoneClassifier: PhoneClassifier = {
  classify: async (e164) => (await parsePhone(e164, '')).type,
};

/**
 * Whether a number of this type can take a text (landlines are voice-only, R30). A type nobody
 * could name takes no text: fail closed.
 */
export function canReceiveSms(type: PhoneType): boolean {
  return type === 'mobile' || type === 'mobile_or_landline';
}

export function canReceiveVoice(type: PhoneType): boolean {
  return !REFUSED.has(type);
}
