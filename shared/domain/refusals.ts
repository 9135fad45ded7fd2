import {
  ChallengeExpiredError,
  ChallengeFinishedError,
  ChallengeLockedError,
  CountryNotAllowedError,
  type DomainError,
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
import type { ChallengeStore } from '../ports';
import { auditOf } from './auth-log';
import { statusOf } from './challenge-status';
import type { FactorStatus } from './factors/factor';
import { passkeysOnlyRefusal } from './registration';
import type { Challenge, LogResult, Principal } from './types';

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

/** Why a challenge cannot take a code (or be resent) now, if it cannot: its reason for the log, and the refusal. */
export function refusalOf(factor: Pick<FactorStatus, 'lapse'>, challenge: Challenge, now: number): { reason: string; error: DomainError } | undefined {
  const status = statusOf(factor, challenge, now);
  switch (status) {
    case 'pending':
      return undefined;
    case 'approved':
      return { reason: 'already_used', error: new ChallengeFinishedError('The challenge is already approved', { status }) };
    case 'denied':
      return { reason: 'already_denied', error: new ChallengeFinishedError('The challenge is already denied', { status }) };
    case 'locked':
      return { reason: 'locked', error: new ChallengeLockedError('Too many wrong codes: the challenge is locked', { attemptsRemaining: 0 }) };
    case 'expired':
      return { reason: 'expired', error: new ChallengeExpiredError('The challenge has expired; start a new one') };
  }
}

/** The refusal of a code or prompt for a user (or tenant) only passkeys are accepted for. */
export const passkeysOnly = (challenge: Challenge): PhishingResistantOnlyError => passkeysOnlyRefusal(challenge.method);

/**
 * R19: the challenge's user was deleted, reset or blocked after it started: the challenge is
 * denied for good, whatever the code. A refused resend is logged, never counted; a refused verify
 * counts like any denial.
 */
export async function revoke(
  challenges: Pick<ChallengeStore, 'deny'>,
  principal: Principal,
  challenge: Challenge,
  now: number,
  event: 'verify' | 'resend' = 'verify',
): Promise<never> {
  await challenges.deny(
    { challengeId: challenge.challengeId, reason: 'revoked' },
    auditOf(principal, challenge, { event, result: 'denied', reason: 'revoked', now, ...(event === 'resend' ? { counted: false } : {}) }),
  );
  throw new ChallengeFinishedError('The challenge is already denied', { status: 'denied', reason: 'revoked' });
}
