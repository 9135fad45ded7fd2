import { PhoneNumberValidateCommand, PinpointClient, type NumberValidateResponse } from '@aws-sdk/client-pinpoint';
import { mockClient } from 'aws-sdk-client-mock';
import { PinpointPhoneClassifier } from '../../shared/adapters/phone/pinpoint-phone-classifier';
import { PhoneNotAllowedError } from '../../shared/domain/errors';
import { canReceiveSms, canReceiveVoice, registerPhone } from '../../shared/domain/phone';

const pinpoint = mockClient(PinpointClient);

beforeEach(() => pinpoint.reset());

const classifier = () => new PinpointPhoneClassifier(new PinpointClient({ region: 'us-east-1' }));

/** A PhoneNumberValidate answer as the API returns it (every field of NumberValidateResponse). */
function answer(e164: string, phoneType: string, phoneTypeCode: number, country = 'US'): { NumberValidateResponse: NumberValidateResponse } {
  return {
    NumberValidateResponse: {
      Carrier: phoneType === 'INVALID' ? undefined : 'Example Carrier',
      City: 'San Francisco',
      CleansedPhoneNumberE164: e164,
      CleansedPhoneNumberNational: e164.slice(2),
      Country: 'United States',
      CountryCodeIso2: country,
      CountryCodeNumeric: '1',
      OriginalPhoneNumber: e164,
      PhoneType: phoneType,
      PhoneTypeCode: phoneTypeCode,
      Timezone: 'America/Los_Angeles',
      ZipCode: '94105',
    },
  };
}

describe('R30 number types from Pinpoint PhoneNumberValidate', () => {
  it.each([
    ['MOBILE', 0, 'mobile'],
    ['PREPAID', 5, 'mobile'],
    ['LANDLINE', 1, 'landline'],
    ['VOIP', 2, 'voip'],
    ['INVALID', 3, 'invalid'],
    ['OTHER', 4, 'unknown'],
  ])('%s (%d) → %s, asking for exactly the number given', async (phoneType, code, expected) => {
    pinpoint.on(PhoneNumberValidateCommand).resolves(answer('+14155550100', phoneType, code));
    await expect(classifier().classify('+14155550100')).resolves.toBe(expected);
    expect(pinpoint.commandCalls(PhoneNumberValidateCommand)[0]?.args[0].input).toEqual({
      NumberValidateRequest: { PhoneNumber: '+14155550100' },
    });
  });

  it('R30: reads PhoneTypeCode when PhoneType is absent, and an empty answer is unknown', async () => {
    pinpoint.on(PhoneNumberValidateCommand).resolvesOnce({ NumberValidateResponse: { PhoneTypeCode: 2 } }).resolvesOnce({});
    await expect(classifier().classify('+14155550100')).resolves.toBe('voip');
    await expect(classifier().classify('+14155550100')).resolves.toBe('unknown');
  });

  it.each([
    ['premium-rate', '+33890123456', 'LANDLINE', 1, 'premium_rate'],
    ['shared-cost', '+33820123456', 'OTHER', 4, 'shared_cost'],
    ['UAN', '+443001234567', 'LANDLINE', 1, 'uan'],
    ['voicemail-only', '+49160131234567', 'MOBILE', 0, 'voicemail'],
  ])("R30: a %s number (%s, in the library's ranges) is refused whatever Pinpoint calls it", async (_name, e164, phoneType, code, expected) => {
    pinpoint.on(PhoneNumberValidateCommand).resolves(answer(e164, phoneType, code, 'FR'));
    await expect(classifier().classify(e164)).resolves.toBe(expected);
    await expect(registerPhone(classifier(), e164, '/phones/primary')).rejects.toThrow(PhoneNotAllowedError);
  });

  it('R30: a number Pinpoint answers INVALID is refused, although the library finds it valid', async () => {
    pinpoint.on(PhoneNumberValidateCommand).resolves(answer('+14155550100', 'INVALID', 3));
    const error = await registerPhone(classifier(), '+14155550100', '/phones/backup/0').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PhoneNotAllowedError);
    expect((error as PhoneNotAllowedError).details).toEqual({ errors: [{ pointer: '/phones/backup/0', detail: 'is an invalid number' }] });
  });

  it('R30: a VoIP answer wins over a library mobile range (a ported number)', async () => {
    pinpoint.on(PhoneNumberValidateCommand).resolves(answer('+4915123456789', 'VOIP', 2, 'DE'));
    await expect(classifier().classify('+4915123456789')).resolves.toBe('voip');
  });

  it('R30: a type Pinpoint cannot name takes no text (fail closed), even in a mobile range; voice stays', async () => {
    pinpoint.on(PhoneNumberValidateCommand).resolves(answer('+4915123456789', 'OTHER', 4, 'DE'));
    const phone = await registerPhone(classifier(), '+4915123456789', '/phones/primary');
    expect(phone.type).toBe('unknown');
    expect(canReceiveSms(phone.type)).toBe(false);
    expect(canReceiveVoice(phone.type)).toBe(true);
  });
});
