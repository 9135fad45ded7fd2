import { ValidationError } from '../../shared/domain/errors';
import { maskPhone } from '../../shared/domain/mask';
import { parsePhone } from '../../shared/domain/phone';

describe('R30 parsePhone', () => {
  it.each([
    ['+14155550100', 'US', 'mobile_or_landline'],
    ['+33612345678', 'FR', 'mobile'],
    ['+4915123456789', 'DE', 'mobile'],
    ['+442079460958', 'GB', 'landline'],
    ['+445612345678', 'GB', 'voip'],
    ['+33890123456', 'FR', 'premium_rate'],
  ])('keeps %s in E.164 with its country %s and its type %s', async (input, country, type) => {
    expect(await parsePhone(input, '/phones/primary')).toEqual({ e164: input, country, type });
  });

  it.each([
    ['a national number', '0612345678'],
    ['a country code alone', '+1'],
    ['an unassigned country code', '+999123456789'],
    ['letters', 'abc'],
    ['spaces', '+1 415 555 0100'],
    ['an empty string', ''],
    ['too many digits', '+1415555010012345'],
    ['a number too short for its country', '+3361234'],
  ])('refuses %s with the pointer of the field', async (_name, input) => {
    let error: unknown;
    try {
      await parsePhone(input, '/phones/backup/1');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).errors).toEqual([{ pointer: '/phones/backup/1', detail: expect.any(String) }]);
  });
});

describe('R28 maskPhone', () => {
  it('keeps the last four digits only', () => {
    const masked = maskPhone('+14155550100');
    expect(masked).toBe('••••••••0100');
    expect(masked).not.toContain('415');
    expect(masked).toHaveLength('+14155550100'.length);
  });

  it('masks numbers of any length', () => {
    expect(maskPhone('+4915123456789')).toBe(`${'•'.repeat(10)}6789`);
    expect(maskPhone('1234')).toBe('1234');
  });
});
