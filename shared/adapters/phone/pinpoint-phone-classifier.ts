import { PhoneNumberValidateCommand, type NumberValidateResponse, type PinpointClient } from '@aws-sdk/client-pinpoint';
import { combinePhoneTypes, parsePhone } from '../../domain/phone';
import type { PhoneType } from '../../domain/types';
import type { PhoneClassifier } from '../../ports';

/**
 * R30 on AWS: Pinpoint's PhoneNumberValidate (an API that outlives Pinpoint's end of support)
 * says whether a number is mobile, landline, VoIP, prepaid or invalid; the phone-number
 * library adds what only its ranges know (premium rate, shared cost, UAN, voicemail-only).
 */
export class PinpointPhoneClassifier implements PhoneClassifier {
  constructor(private readonly pinpoint: PinpointClient) {}

  async classify(e164: string): Promise<PhoneType> {
    const out = await this.pinpoint.send(new PhoneNumberValidateCommand({ NumberValidateRequest: { PhoneNumber: e164 } }));
    return combinePhoneTypes((await parsePhone(e164, '')).type, carrierType(out.NumberValidateResponse));
  }
}

/** PhoneType is MOBILE, LANDLINE, VOIP, INVALID, PREPAID or OTHER; PhoneTypeCode 0–5 says the same. */
function carrierType(response: NumberValidateResponse | undefined): PhoneType {
  const named = response?.PhoneType ?? ['MOBILE', 'LANDLINE', 'VOIP', 'INVALID', 'OTHER', 'PREPAID'][response?.PhoneTypeCode ?? -1];
  switch (named) {
    case 'MOBILE':
    case 'PREPAID':
      return 'mobile';
    case 'LANDLINE':
      return 'landline';
    case 'VOIP':
      return 'voip';
    case 'INVALID':
      return 'invalid';
    default:
      return 'unknown';
  }
}
