import {
  ChallengeExpiredError,
  ChallengeFinishedError,
  ChallengeLockedError,
  CountryNotAllowedError,
  DomainError,
  MethodUnavailableError,
  MfaNotEnabledError,
  NotFoundError,
  PasskeysNotConfiguredError,
  PhishingResistantOnlyError,
  ProviderRequiredError,
  PushDeviceNotActivatedError,
  RegistrationRequiredError,
  ResendRefusedError,
  RetryLaterError,
  UserBlockedError,
} from './errors';
import type { LogResult } from './types';

/** The message of the 404 for a user id the tenant does not have. */
export const NO_SUCH_USER = 'No such user';

const detailReason = (error: DomainError): string | undefined => (typeof error.details.reason === 'string' ? error.details.reason : undefined);

/**
 * R23: the reason a refused challenge create is logged with, or undefined for what is not a
 * refusal of this user (a throttle, logged where it happens; a bad request; a fault). The
 * tenant's per-second cap is checked before and is not logged: a flood would be a log write each.
 */
export function createRefusalReason(error: unknown): string | undefined {
  if (error instanceof NotFoundError) return error.message === NO_SUCH_USER ? 'unknown_user' : 'push_not_activated';
  if (error instanceof UserBlockedError) return 'user_blocked';
  if (error instanceof MfaNotEnabledError) return 'mfa_disabled';
  if (error instanceof RegistrationRequiredError) return detailReason(error) ?? 'registration_required';
  if (error instanceof CountryNotAllowedError) return 'country_not_allowed';
  if (error instanceof PushDeviceNotActivatedError) return 'push_not_activated';
  if (error instanceof MethodUnavailableError) return detailReason(error) ?? 'method_unavailable';
  if (error instanceof ProviderRequiredError) return 'provider_required';
  if (error instanceof PhishingResistantOnlyError) return 'phishing_resistant_only';
  if (error instanceof PasskeysNotConfiguredError) return 'passkeys_not_configured';
  return undefined;
}

/** R23: how a refused resend is logged, or undefined for what is not a refusal (no such challenge, a fault). */
export function resendRefusal(error: unknown): { result: LogResult; reason: string } | undefined {
  if (error instanceof RetryLaterError) return { result: 'throttled', reason: detailReason(error) ?? 'throttled' };
  if (error instanceof ResendRefusedError) return { result: 'denied', reason: 'no_resends_left' };
  if (error instanceof MethodUnavailableError) return { result: 'denied', reason: 'method_unavailable' };
  if (error instanceof ChallengeExpiredError) return { result: 'denied', reason: 'expired' };
  if (error instanceof ChallengeLockedError) return { result: 'denied', reason: 'locked' };
  // A revoked challenge's refusal was logged when it was revoked.
  if (error instanceof ChallengeFinishedError) return error.details.reason === 'revoked' ? undefined : { result: 'denied', reason: 'finished' };
  return undefined;
}
