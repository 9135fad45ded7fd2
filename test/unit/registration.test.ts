import { MethodUnavailableError, RegistrationRequiredError } from '../../shared/domain/errors';
import { chooseMethod, registeredMethods, registrationRequired, usableMethods } from '../../shared/domain/registration';
import { DEFAULT_SETTINGS, type Factor, type PhoneType, type TenantSettings, type User } from '../../shared/domain/types';
import { T0 } from '../support/fakes';

const NOW = new Date(T0).toISOString();

function userWith(type: PhoneType | undefined, overrides: Partial<User> = {}): User {
  return {
    tenantId: 'tn_test',
    userId: 'alice',
    phones: { ...(type ? { primary: { e164: '+14155550100', country: 'US', type } } : {}), backup: [] },
    mfaEnabled: true,
    licensed: false,
    createdAt: NOW,
    updatedAt: NOW,
    ...overrides,
  };
}

const allowing = (...enabledMethods: Factor[]): TenantSettings => ({ ...DEFAULT_SETTINGS, enabledMethods });

function registrationError(fn: () => unknown): RegistrationRequiredError {
  try {
    fn();
  } catch (error) {
    if (error instanceof RegistrationRequiredError) return error;
    throw error;
  }
  throw new Error('expected a RegistrationRequiredError');
}

describe('R30 which methods a number can take', () => {
  it.each<[PhoneType, Factor[]]>([
    ['mobile', ['sms', 'voice']],
    ['mobile_or_landline', ['sms', 'voice']],
    ['unknown', ['voice']],
    ['landline', ['voice']],
    ['voip', []],
    ['premium_rate', []],
  ])('a %s primary number registers %j', (type, methods) => {
    expect(registeredMethods(userWith(type))).toEqual(methods);
  });

  it('a landline is voice only: never usable for SMS, and SMS cannot be chosen for it', () => {
    const landline = userWith('landline');
    expect(usableMethods(landline, DEFAULT_SETTINGS)).not.toContain('sms');
    expect(() => chooseMethod(landline, DEFAULT_SETTINGS, 'sms')).toThrow(MethodUnavailableError);
  });

  it('registers nothing without a primary number, whatever the backups', () => {
    const onlyBackup = userWith(undefined, {
      phones: { backup: [{ e164: '+14155550101', country: 'US', type: 'mobile' }] },
    });
    expect(registeredMethods(onlyBackup)).toEqual([]);
  });
});

describe('R20 when a user must register, and why', () => {
  it('needs nothing of a user with a mobile number and the defaults', () => {
    expect(registrationRequired(userWith('mobile'), DEFAULT_SETTINGS)).toBeUndefined();
  });

  it('says nothing_registered when the user has no number', () => {
    expect(registrationRequired(userWith(undefined), DEFAULT_SETTINGS)).toBe('nothing_registered');
    const error = registrationError(() => chooseMethod(userWith(undefined), DEFAULT_SETTINGS));
    expect(error.details).toEqual({ reason: 'nothing_registered' });
  });

  it('says nothing_registered when the only number cannot take codes (VoIP)', () => {
    expect(registrationRequired(userWith('voip'), DEFAULT_SETTINGS)).toBe('nothing_registered');
  });

  it('says nothing_registered when every registered method is disabled by the tenant', () => {
    expect(registrationRequired(userWith('mobile'), allowing('push', 'app'))).toBe('nothing_registered');
  });

  it('says reset_by_admin after an admin reset cleared everything', () => {
    const reset = userWith(undefined, { resetAt: NOW });
    expect(registrationRequired(reset, DEFAULT_SETTINGS)).toBe('reset_by_admin');
    const error = registrationError(() => chooseMethod(reset, DEFAULT_SETTINGS));
    expect(error.details).toEqual({ reason: 'reset_by_admin' });
    expect(error.message).toMatch(/reset/);
  });

  it('no longer asks once a reset user has registered a number again', () => {
    expect(registrationRequired(userWith('mobile', { resetAt: NOW }), DEFAULT_SETTINGS)).toBeUndefined();
  });

  it('says default_method_disabled when the admin disabled the default method, even if another one works', () => {
    const user = userWith('mobile', { defaultMethod: 'voice' });
    const settings = allowing('sms');
    expect(usableMethods(user, settings)).toEqual(['sms']);
    expect(registrationRequired(user, settings)).toBe('default_method_disabled');
    const error = registrationError(() => chooseMethod(user, settings));
    expect(error.details).toEqual({ reason: 'default_method_disabled' });
  });

  it('does not ask when the default method is still enabled', () => {
    expect(registrationRequired(userWith('mobile', { defaultMethod: 'sms' }), allowing('sms', 'voice'))).toBeUndefined();
  });
});

describe('R20 chooseMethod', () => {
  it('takes the method asked for when it is usable', () => {
    expect(chooseMethod(userWith('mobile'), DEFAULT_SETTINGS, 'sms')).toBe('sms');
  });

  it("takes the user's default when nothing is asked for", () => {
    expect(chooseMethod(userWith('mobile', { defaultMethod: 'sms' }), DEFAULT_SETTINGS)).toBe('sms');
  });

  it('takes the first usable method when there is no default', () => {
    const user = userWith('mobile');
    expect(chooseMethod(user, DEFAULT_SETTINGS)).toBe(usableMethods(user, DEFAULT_SETTINGS)[0]);
  });

  it('refuses a method the user has not registered, listing what is available', () => {
    let error: unknown;
    try {
      chooseMethod(userWith('mobile'), DEFAULT_SETTINGS, 'push');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(MethodUnavailableError);
    expect((error as MethodUnavailableError).details).toEqual({ available: usableMethods(userWith('mobile'), DEFAULT_SETTINGS) });
  });

  it('refuses a method the tenant disabled', () => {
    expect(() => chooseMethod(userWith('mobile'), allowing('voice'), 'sms')).toThrow(MethodUnavailableError);
  });
});
