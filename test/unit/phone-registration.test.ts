import { PhoneNotAllowedError, ValidationError } from '../../shared/domain/errors';
import { canReceiveSms, canReceiveVoice, libraryPhoneClassifier, registerPhone } from '../../shared/domain/phone';
import type { PhoneType } from '../../shared/domain/types';
import { toProblem } from '../../shared/http/problem';
import { FakePhoneClassifier } from '../support/fakes';

const NUMBER = '+14155550100';

describe('R30 registering a phone number', () => {
  it('keeps the number in E.164 with its country and the type the classifier gives', async () => {
    const classifier = new FakePhoneClassifier({ [NUMBER]: 'mobile' });
    await expect(registerPhone(classifier, NUMBER, '/phones/primary')).resolves.toEqual({ e164: NUMBER, country: 'US', type: 'mobile' });
    expect(classifier.asked).toEqual([NUMBER]);
  });

  it("trusts the classifier's type over the library's (PhoneNumberValidate on AWS)", async () => {
    // The library says mobile_or_landline for this US number; the carrier lookup knows better.
    const classifier = new FakePhoneClassifier({ [NUMBER]: 'landline' });
    await expect(registerPhone(classifier, NUMBER, '/phones/primary')).resolves.toMatchObject({ type: 'landline' });
  });

  it('refuses a VoIP number with PhoneNotAllowedError, pointing at the field (NIST SP 800-63B)', async () => {
    const classifier = new FakePhoneClassifier({ [NUMBER]: 'voip' });
    const error = await registerPhone(classifier, NUMBER, '/phones/backup/0').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PhoneNotAllowedError);
    expect((error as PhoneNotAllowedError).message).toMatch(/VoIP/);
    expect((error as PhoneNotAllowedError).details).toEqual({ errors: [{ pointer: '/phones/backup/0', detail: 'is a voip number' }] });
    expect(toProblem(error).statusCode).toBe(422);
  });

  it.each<PhoneType>(['premium_rate', 'shared_cost', 'uan', 'voicemail', 'invalid'])('R30: refuses a %s number', async (type) => {
    const classifier = new FakePhoneClassifier({ [NUMBER]: type });
    await expect(registerPhone(classifier, NUMBER, '/phones/primary')).rejects.toThrow(PhoneNotAllowedError);
  });

  it('refuses a malformed number before asking the classifier', async () => {
    const classifier = new FakePhoneClassifier();
    await expect(registerPhone(classifier, '0612345678', '/phones/primary')).rejects.toThrow(ValidationError);
    expect(classifier.asked).toEqual([]);
  });

  it.each<[string, PhoneType]>([
    ['+33612345678', 'mobile'],
    ['+442079460958', 'landline'],
    ['+445612345678', 'voip'],
    ['+33820123456', 'shared_cost'],
    ['+443001234567', 'uan'],
    ['+49160131234567', 'voicemail'],
  ])('locally classifies %s as %s from the library metadata', async (e164, type) => {
    await expect(libraryPhoneClassifier.classify(e164)).resolves.toBe(type);
  });
});

describe('R30 what each number type can receive', () => {
  it.each<[PhoneType, boolean, boolean]>([
    ['mobile', true, true],
    ['mobile_or_landline', true, true],
    ['unknown', false, true],
    ['landline', false, true],
    ['voip', false, false],
    ['premium_rate', false, false],
    ['shared_cost', false, false],
    ['uan', false, false],
    ['voicemail', false, false],
    ['invalid', false, false],
  ])('R30: %s: SMS %s, voice %s', (type, sms, voice) => {
    expect(canReceiveSms(type)).toBe(sms);
    expect(canReceiveVoice(type)).toBe(voice);
  });
});
