/**
 * The closed set of errors the domain raises. `shared/http/problem.ts` maps each to one
 * RFC 9457 problem; anything else becomes a generic 500 that leaks nothing.
 */
export abstract class DomainError extends Error {
  /** Stable slug, the last segment of the problem `type`. */
  abstract readonly code: string;
  /** Extra members for the problem document (never secrets). */
  readonly details: Record<string, unknown>;

  constructor(message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.details = details;
  }
}

/** The request is malformed: bad JSON, wrong types, unknown fields, bad phone number. */
export class ValidationError extends DomainError {
  readonly code = 'validation-failed';
  constructor(message: string, readonly errors: { pointer: string; detail: string }[] = []) {
    super(message, { errors });
  }
}

export class UnsupportedMediaTypeError extends DomainError {
  readonly code = 'unsupported-media-type';
}

export class PayloadTooLargeError extends DomainError {
  readonly code = 'payload-too-large';
}

/** Missing, malformed, unknown or revoked credentials. */
export class UnauthenticatedError extends DomainError {
  readonly code = 'unauthenticated';
}

/** A valid key used outside its scope (an admin key creating challenges, an auth key managing users). */
export class ForbiddenScopeError extends DomainError {
  readonly code = 'forbidden';
}

/** R21: the tenant has turned app passwords off. */
export class AppPasswordsDisabledError extends DomainError {
  readonly code = 'app-passwords-disabled';
}

/** The change conflicts with what is stored (a token already assigned, a cap reached). */
export class ConflictError extends DomainError {
  readonly code = 'conflict';
}

/** No such thing, or not the caller's: the answer is the same so tenants cannot probe each other. */
export class NotFoundError extends DomainError {
  readonly code = 'not-found';
}

export class IdempotencyConflictError extends DomainError {
  readonly code = 'idempotency-key-reused';
}

export class MfaNotEnabledError extends DomainError {
  readonly code = 'mfa-not-enabled';
}

/** R20: the user has to register a method first; `reason` says why. */
export class RegistrationRequiredError extends DomainError {
  readonly code = 'registration-required';
}

export class MethodUnavailableError extends DomainError {
  readonly code = 'method-unavailable';
}

export class WrongCodeError extends DomainError {
  readonly code: string = 'wrong-code';
}

/** A passkey's assertion refused: a wrong attempt like a wrong code (counted), with its own type. */
export class PasskeyNotAcceptedError extends WrongCodeError {
  override readonly code = 'passkey-not-accepted';
}

export class ChallengeExpiredError extends DomainError {
  readonly code = 'challenge-expired';
}

export class ChallengeLockedError extends DomainError {
  readonly code = 'challenge-locked';
}

/** The challenge was already approved or denied (R2: the loser of a race lands here). */
export class ChallengeFinishedError extends DomainError {
  readonly code = 'challenge-finished';
}

export class ResendRefusedError extends DomainError {
  readonly code = 'resend-refused';
}

/** Too soon: carries the seconds to wait, sent as Retry-After. */
export class RetryLaterError extends DomainError {
  readonly code = 'retry-later';
  constructor(message: string, readonly retryAfterSeconds: number, details: Record<string, unknown> = {}) {
    super(message, { ...details, retryAfter: retryAfterSeconds });
  }
}

/**
 * A backing service (DynamoDB, KMS, …) was throttled or unreachable after the SDK's own retries.
 * Each change is one transaction, so none is left half-written. A verify loads its signing key
 * before it spends the code, so the same verify may be repeated; a create is repeated safely
 * with the same Idempotency-Key.
 */
export class ServiceUnavailableError extends DomainError {
  readonly code = 'service-unavailable';
  constructor(message: string, readonly retryAfterSeconds: number, options?: { cause?: unknown }) {
    super(message, { retryAfter: retryAfterSeconds }, options);
  }
}

/** R16: neither SMS provider accepted the message. `nextMethods` tells the relying app what to try. */
export class DeliveryFailedError extends DomainError {
  readonly code = 'delivery-failed';
}

/** The tenant has no MFA provider (R17): nothing can be challenged until an admin creates one. */
export class ProviderRequiredError extends DomainError {
  readonly code = 'provider-required';
}

/** R17: a provider exists and the request would change it (billing model, directory). */
export class ProviderConflictError extends DomainError {
  readonly code = 'provider-conflict';
}

/** R19: an admin blocked the user (or R14: the user reported fraud and the tenant blocks on it). */
export class UserBlockedError extends DomainError {
  readonly code = 'user-blocked';
}

/** The destination's country is not in the tenant's allowed countries. */
export class CountryNotAllowedError extends DomainError {
  readonly code = 'country-not-allowed';
}

/** R30: a number that cannot receive codes (VoIP, premium rate) — NIST SP 800-63B. */
export class PhoneNotAllowedError extends DomainError {
  readonly code = 'phone-not-allowed';
}

/** R18: the push device was activated under an earlier provider; the user must activate it again. */
export class PushDeviceNotActivatedError extends DomainError {
  readonly code = 'device-not-activated';
}

/** Passkeys: the tenant has set no passkey policy (relying party, origins), so none can be registered or used. */
export class PasskeysNotConfiguredError extends DomainError {
  readonly code = 'passkeys-not-configured';
}

/** Passkeys: a relying app adds a passkey to a user who has a method only after a fresh approved challenge of that user. */
export class StepUpRequiredError extends DomainError {
  readonly code = 'step-up-required';
}

/** Passkeys: the user already has the most passkeys allowed. */
export class PasskeyLimitError extends DomainError {
  readonly code = 'passkey-limit';
}

/** Passkeys: only passkeys are offered and accepted for this user (tenant or user policy). */
export class PhishingResistantOnlyError extends DomainError {
  readonly code = 'phishing-resistant-only';
}

/** Passkeys: the browser's new credential failed a check (origin, RP id, challenge, flags, attestation, AAGUID, synced). */
export class PasskeyRejectedError extends DomainError {
  readonly code = 'passkey-rejected';
}

/** Remembered devices: the tenant has not turned them on (settings.rememberedDevices.enabled). */
export class RememberedDevicesDisabledError extends DomainError {
  readonly code = 'remembered-devices-disabled';
}

/** Remembered devices: the challenge named cannot remember a device (not approved, too old, already used, or its user changed). */
export class DeviceNotRememberedError extends DomainError {
  readonly code = 'device-not-remembered';
}
