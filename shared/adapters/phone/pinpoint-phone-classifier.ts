import { PhoneNumberValidateCommand, type PinpointClient } from '@aws-sdk/client-pinpoint';
import type { PhoneType } from '../../domain/types';
import type { PhoneClassifier } from '../../ports';

/**
 * R30 on AWS: Pinpoint's PhoneNumberValidate (an API that outlives Pinpoint's end of support)
 * says whether a number is mobile, landline, VoIP, prepaid or invalid.
 */
export class PinpointPhoneClassifier implements PhoneClassifier {
  constructor(private readonly pinpoint: PinpointClient) {}

  async classify(e164: string): Promise<PhoneType> {
    const out = await this.pinpoint.send(new PhoneNumberValidateCommand({ NumberValidateRequest: { PhoneNumber: e164 } }));
    switch (out.NumberValidateResponse?.PhoneType) {
      case 'MOBILE':
      case 'PREPAID':
        return 'mobile';
      case 'LANDLINE':
        return 'landline';
      case 'VOIP':
        return 'voip';
      default:
        return 'unknown';
    }
  }
}
