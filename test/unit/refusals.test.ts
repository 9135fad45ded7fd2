import {
  ChallengeLockedError,
  CountryNotAllowedError,
  MethodUnavailableError,
  MfaNotEnabledError,
  NotFoundError,
  PushDeviceNotActivatedError,
  RegistrationRequiredError,
  ResendRefusedError,
  RetryLaterError,
  UserBlockedError,
  ValidationError,
} from '../../shared/domain/errors';
import { createRefusalReason, NO_SUCH_USER, resendRefusal } from '../../shared/domain/refusals';

describe('R23 how refusals are logged', () => {
  it.each<[string, unknown, string | undefined]>([
    ['an unknown user', new NotFoundError(NO_SUCH_USER), 'unknown_user'],
    ['a blocked user', new UserBlockedError('blocked', { reason: 'left' }), 'user_blocked'],
    ['MFA off', new MfaNotEnabledError('off'), 'mfa_disabled'],
    ['registration required', new RegistrationRequiredError('register', { reason: 'reset_by_admin' }), 'reset_by_admin'],
    ['a country not allowed', new CountryNotAllowedError('no', { country: 'FR' }), 'country_not_allowed'],
    ['a method unavailable', new MethodUnavailableError('no', { available: [] }), 'method_unavailable'],
    ['push not activated (R18)', new PushDeviceNotActivatedError('again', { reason: 'device_not_activated' }), 'push_not_activated'],
    ['the tenant cap, which stays unlogged', new RetryLaterError('later', 1, { reason: 'tenant_rate' }), undefined],
    ['a bad request', new ValidationError('bad'), undefined],
    ['a fault', new Error('boom'), undefined],
  ])('R23: a create refused for %s is logged as %s', (_name, error, reason) => {
    expect(createRefusalReason(error)).toBe(reason);
  });

  it.each<[string, unknown, ReturnType<typeof resendRefusal>]>([
    ['the cool-down', new RetryLaterError('wait', 3, { reason: 'resend_cooldown' }), { result: 'throttled', reason: 'resend_cooldown' }],
    ['no resends left', new ResendRefusedError('none', { resendsRemaining: 0 }), { result: 'denied', reason: 'no_resends_left' }],
    ['a locked challenge', new ChallengeLockedError('locked'), { result: 'denied', reason: 'locked' }],
    ['no such challenge', new NotFoundError('No such challenge'), undefined],
  ])('R23: a resend refused for %s is logged as %j', (_name, error, logged) => {
    expect(resendRefusal(error)).toEqual(logged);
  });
});
