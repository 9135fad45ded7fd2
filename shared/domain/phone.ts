import { parsePhoneNumberWithError, ParseError, type NumberType } from 'libphonenumber-js/max';
import { PhoneNotAllowedError, ValidationError } from './errors';
import type { PhoneClassifier } from '../ports';
import type { PhoneNumber, PhoneType } from './types';

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
    case 'SHARED_COST':
      return 'premium_rate';
    default:
      return 'unknown';
  }
}

/**
 * Parses a number given in E.164 (a leading + and the country code) and keeps its country and
 * the library's idea of its type. Numbers that are not valid for their country are refused
 * with the pointer of the field.
 */
export function parsePhone(input: string, pointer: string): PhoneNumber {
  const fail = (detail: string): never => {
    throw new ValidationError('Invalid phone number', [{ pointer, detail }]);
  };
  if (!/^\+[1-9]\d{6,14}$/.test(input)) fail('must be E.164: a + followed by 7 to 15 digits');
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
 * VoIP and premium-rate numbers cannot receive codes (NIST SP 800-63B), so they are refused.
 */
export async function registerPhone(classifier: PhoneClassifier, input: string, pointer: string): Promise<PhoneNumber> {
  const parsed = parsePhone(input, pointer);
  const type = await classifier.classify(parsed.e164);
  if (type === 'voip' || type === 'premium_rate') {
    throw new PhoneNotAllowedError(`A ${type === 'voip' ? 'VoIP' : 'premium-rate'} number cannot receive codes`, {
      errors: [{ pointer, detail: `is a ${type} number` }],
    });
  }
  return { ...parsed, type };
}

/** The local classifier: the library's metadata stands in for Pinpoint's PhoneNumberValidate. */
export const libraryPhoneClassifier: PhoneClassifier = {
  classify: async (e164) => parsePhone(e164, '').type,
};

/** Whether a number of this type can take a text (landlines are voice-only, R30). */
export function canReceiveSms(type: PhoneType): boolean {
  return type === 'mobile' || type === 'mobile_or_landline' || type === 'unknown';
}

export function canReceiveVoice(type: PhoneType): boolean {
  return type !== 'voip' && type !== 'premium_rate';
}
