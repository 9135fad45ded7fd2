import { PhoneNumberValidateCommand, PinpointClient } from '@aws-sdk/client-pinpoint';
import { mockClient } from 'aws-sdk-client-mock';
import { PinpointPhoneClassifier } from '../../shared/adapters/phone/pinpoint-phone-classifier';

const pinpoint = mockClient(PinpointClient);

beforeEach(() => pinpoint.reset());

describe('R30 number types from Pinpoint PhoneNumberValidate', () => {
  it.each([
    ['MOBILE', 'mobile'],
    ['PREPAID', 'mobile'],
    ['LANDLINE', 'landline'],
    ['VOIP', 'voip'],
    ['INVALID', 'unknown'],
    ['OTHER', 'unknown'],
  ])('%s → %s, asking for exactly the number given', async (phoneType, expected) => {
    pinpoint.on(PhoneNumberValidateCommand).resolves({ NumberValidateResponse: { PhoneType: phoneType } });
    const classifier = new PinpointPhoneClassifier(new PinpointClient({ region: 'us-east-1' }));
    await expect(classifier.classify('+14155550100')).resolves.toBe(expected);
    expect(pinpoint.commandCalls(PhoneNumberValidateCommand)[0]?.args[0].input).toEqual({
      NumberValidateRequest: { PhoneNumber: '+14155550100' },
    });
  });
});
