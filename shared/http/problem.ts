import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import {
  AppPasswordsDisabledError,
  ChallengeExpiredError,
  PushDeviceNotActivatedError,
  ConflictError,
  ChallengeFinishedError,
  ChallengeLockedError,
  DeliveryFailedError,
  DomainError,
  ForbiddenScopeError,
  IdempotencyConflictError,
  MethodUnavailableError,
  MfaNotEnabledError,
  NotFoundError,
  PayloadTooLargeError,
  RegistrationRequiredError,
  ResendRefusedError,
  RetryLaterError,
  UnauthenticatedError,
  ServiceUnavailableError,
  UnsupportedMediaTypeError,
  ValidationError,
  WrongCodeError,
  ProviderRequiredError,
  ProviderConflictError,
  UserBlockedError,
  CountryNotAllowedError,
  PhoneNotAllowedError,
  PasskeysNotConfiguredError,
  StepUpRequiredError,
  PasskeyLimitError,
  PhishingResistantOnlyError,
  PasskeyNotAcceptedError,
  PasskeyRejectedError,
  RememberedDevicesDisabledError,
  DeviceNotRememberedError,
} from '../domain/errors';

type ErrorClass = abstract new (...args: never[]) => DomainError;

/** The one place domain errors become HTTP: status and title per error class. */
const STATUS: ReadonlyArray<readonly [ErrorClass, number, string]> = [
  [ValidationError, 400, 'Your request is not valid'],
  [UnauthenticatedError, 401, 'Authentication required'],
  [ForbiddenScopeError, 403, 'Not allowed with this key'],
  [MfaNotEnabledError, 403, 'MFA is not enabled for this user'],
  [RegistrationRequiredError, 403, 'Registration required'],
  [UserBlockedError, 403, 'User blocked'],
  [CountryNotAllowedError, 403, 'Country not allowed'],
  [AppPasswordsDisabledError, 403, 'App passwords are turned off'],
  [PushDeviceNotActivatedError, 403, 'Device not activated'],
  [StepUpRequiredError, 403, 'Step-up required'],
  [PhishingResistantOnlyError, 403, 'Only passkeys are accepted'],
  [NotFoundError, 404, 'Not found'],
  [ConflictError, 409, 'Conflict'],
  [IdempotencyConflictError, 409, 'Idempotency-Key reused'],
  [ChallengeFinishedError, 409, 'Challenge already finished'],
  [ResendRefusedError, 409, 'Resend refused'],
  [ProviderRequiredError, 409, 'No MFA provider'],
  [ProviderConflictError, 409, 'Provider cannot be changed'],
  [PasskeysNotConfiguredError, 409, 'Passkeys not configured'],
  [PasskeyLimitError, 409, 'Too many passkeys'],
  [RememberedDevicesDisabledError, 409, 'Remembered devices are turned off'],
  [DeviceNotRememberedError, 409, 'Device not remembered'],
  [ChallengeExpiredError, 410, 'Challenge expired'],
  [PayloadTooLargeError, 413, 'Request body too large'],
  [UnsupportedMediaTypeError, 415, 'Unsupported media type'],
  [PasskeyNotAcceptedError, 422, 'Passkey not accepted'],
  [WrongCodeError, 422, 'Wrong code'],
  [MethodUnavailableError, 422, 'Method unavailable'],
  [PhoneNotAllowedError, 422, 'Phone number not allowed'],
  [PasskeyRejectedError, 422, 'Passkey rejected'],
  [ChallengeLockedError, 423, 'Challenge locked'],
  [RetryLaterError, 429, 'Too many requests'],
  [DeliveryFailedError, 503, 'Delivery failed'],
  [ServiceUnavailableError, 503, 'Service unavailable'],
];

/** AWS SDK error names that mean "busy or briefly unavailable": the same request may succeed later. */
const TRANSIENT_NAMES = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'Throttling',
  'RequestLimitExceeded',
  'TooManyRequestsException',
  'InternalServerError',
  'InternalFailure',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
]);

/** Node and undici codes of a connection that failed or dropped. */
// Not ENOTFOUND: a name that does not resolve is a wrong endpoint or region, a bug to see as a 500, not a 503 to retry forever.
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_SOCKET']);

/** Seconds a client should wait before repeating a request that met a throttled or unreachable service. */
export const TRANSIENT_RETRY_AFTER_SECONDS = 1;

/**
 * A throttled or unreachable backing service (after the SDK's own retries), as a retriable 503
 * rather than a 500: looks at the error and its causes, never at domain errors.
 */
export function transientFailure(error: unknown): ServiceUnavailableError | undefined {
  let current: unknown = error;
  // Not `instanceof Error`: errors raised by Node's own modules may come from another realm.
  for (let depth = 0; depth < 4 && typeof current === 'object' && current !== null && !(current instanceof DomainError); depth++) {
    const e = current as { name?: unknown; message?: unknown; code?: unknown; cause?: unknown; $fault?: unknown; $retryable?: unknown };
    // The SDK's retry step re-wraps a throwable that is not an Error of its own realm as
    // "AWS SDK error wrapper for <name>: <message>", dropping its name and code.
    const wrapped = typeof e.message === 'string' ? /^AWS SDK error wrapper for (\w+)/.exec(e.message)?.[1] : undefined;
    const transient =
      [e.name, wrapped].some((name) => typeof name === 'string' && TRANSIENT_NAMES.has(name)) ||
      e.$fault === 'server' ||
      Boolean(e.$retryable) ||
      (typeof e.code === 'string' && NETWORK_CODES.has(e.code));
    if (transient) {
      return new ServiceUnavailableError('A backing service is busy or unreachable; try again shortly.', TRANSIENT_RETRY_AFTER_SECONDS, { cause: error });
    }
    current = e.cause;
  }
  return undefined;
}

export const PROBLEM_TYPE_PREFIX = 'urn:tessera:problem:';

export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail?: string;
  readonly instance?: string;
  readonly [extension: string]: unknown;
}

export function problemResponse(problem: Problem, headers: Record<string, string> = {}): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode: problem.status,
    headers: { 'content-type': 'application/problem+json', 'cache-control': 'no-store', ...headers },
    body: JSON.stringify(problem),
  };
}

/**
 * RFC 9457 problem for any error. Domain errors keep their message and details; anything
 * else is a bare 500 that says nothing about the cause (the cause goes to the log only).
 */
export function toProblem(thrown: unknown, instance?: string): APIGatewayProxyStructuredResultV2 {
  const error = transientFailure(thrown) ?? thrown;
  const entry = error instanceof DomainError ? STATUS.find(([cls]) => error instanceof cls) : undefined;
  if (!entry || !(error instanceof DomainError)) {
    return problemResponse({
      type: `${PROBLEM_TYPE_PREFIX}internal`,
      title: 'Internal error',
      status: 500,
      detail: 'Something went wrong on our side; nothing was changed. Try again.',
      ...(instance ? { instance } : {}),
    });
  }
  const [, status, title] = entry;
  const headers: Record<string, string> = {};
  if (error instanceof RetryLaterError || error instanceof ServiceUnavailableError) headers['retry-after'] = String(error.retryAfterSeconds);
  if (error instanceof UnauthenticatedError) headers['www-authenticate'] = 'Bearer';
  return problemResponse(
    { ...error.details, type: `${PROBLEM_TYPE_PREFIX}${error.code}`, title, status, detail: error.message, ...(instance ? { instance } : {}) },
    headers,
  );
}

/** Every problem type the API answers, with its status and title: the reference documentation is generated from this. */
export function problemTypes(): { slug: string; status: number; title: string }[] {
  const types = STATUS.map(([cls, status, title]) => {
    // Each entry is a concrete error class; its slug is an instance field.
    const sample = new (cls as unknown as new (message: string) => DomainError)('');
    return { slug: sample.code, status, title };
  });
  return [...types, { slug: 'internal', status: 500, title: 'Internal error' }];
}
