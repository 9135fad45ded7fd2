/**
 * Product rules as numbers, in one place. The rule named beside each constant is the one in
 * the product brief that it implements; change a value here and every handler, test and
 * the local runtime follow.
 */
import { VOICE_CALL_TIMEOUT_SECONDS } from './voice/rules';

/** R1: an SMS or voice code is valid for this long after it was sent. */
export const CODE_TTL_SECONDS = 180;

/** R1: codes are six decimal digits from a CSPRNG. */
export const CODE_DIGITS = 6;

/** R3: wrong codes allowed per challenge; the fifth wrong code locks it. */
export const MAX_WRONG_CODES = 5;

/** R3: resends allowed per challenge (each issues a new code and voids the old one). */
export const MAX_RESENDS_PER_CHALLENGE = 4;

/** R3: a resend within this many seconds of the last send is refused, so two racing resends send one code. */
export const RESEND_COOLDOWN_SECONDS = 20;

/** R4: lifetime of a signed assertion. It proves a fresh second factor, so it is short. */
export const ASSERTION_TTL_SECONDS = 300;

/** R4: how long a process keeps using the signing key it loaded before looking for a newer one. */
export const SIGNING_KEY_CACHE_SECONDS = 60;

/** Idempotency-Key records live as long as the challenge they created could still be verified. */
export const IDEMPOTENCY_TTL_SECONDS = 24 * 60 * 60;

/** R29: largest JSON body a handler reads; anything larger is a 413 before parsing. */
export const MAX_JSON_BODY_BYTES = 64 * 1024;

/** R23: auth logs and notifications are kept this long (DynamoDB TTL). */
export const LOG_RETENTION_DAYS = 90;

/**
 * R23/R24: a challenge change's auth-log line, usage count and billed unit are written from the
 * Challenges table's stream; they appear within this long while the projection is healthy (an
 * alarm fires past it; a failing batch is retried, never dropped, until the stream's 24 hours).
 */
export const PROJECTION_BOUND_SECONDS = 60;

/**
 * How long the projection's event source retries a record before it gives up on it and sends its
 * range to the failure queue (well before the stream drops it, at 24 hours, so it can be replayed).
 * So, this long after an instant, every change made before it is either projected or named in
 * that queue: the billing run relies on it (`BILLING_AFTER_MONTH_END_HOURS`).
 */
export const PROJECTION_MAX_RECORD_AGE_HOURS = 6;

/**
 * R26: how long after a month's end its billing run may start on AWS: the projection's record age
 * and an hour for the event source to act on it. The schedule runs an hour after that.
 */
export const BILLING_AFTER_MONTH_END_HOURS = PROJECTION_MAX_RECORD_AGE_HOURS + 1;

/** R26: the hour (UTC) of the 1st at which the scheduled billing run bills the month before. */
export const BILLING_RUN_HOUR_UTC = BILLING_AFTER_MONTH_END_HOURS + 1;

/** Console lists: page size when none is asked for, and the largest page. */
export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 200;

/** API key rotation: how long the old key keeps working when the admin does not say. */
export const DEFAULT_KEY_ROTATION_GRACE_SECONDS = 24 * 60 * 60;

/** CSV user import: largest body and most rows per request. */
export const MAX_IMPORT_BYTES = 1024 * 1024;
export const MAX_IMPORT_ROWS = 5000;

/**
 * R19/R22 bulk jobs: the largest file a user import, a token import (CSV) may have, in rows and
 * bytes. The upload URL is signed for the declared size, so a larger file is refused at upload.
 */
export const JOB_LIMITS = {
  'user-import': { maxRows: 1_000_000, maxBytes: 200 * 1024 * 1024 },
  'token-import': { maxRows: 100_000, maxBytes: 16 * 1024 * 1024 },
} as const;

/** Rows one batch of a job handles: one Lambda invocation, one data key for token secrets, one report part. */
export const JOB_BATCH_ROWS = 500;

/** Batches of one job run at once (DynamoDB, KMS and phone-lookup quotas are shared with sign-ins). */
export const JOB_MAX_CONCURRENCY = 8;

/** How long an upload or download URL of a job works. */
export const JOB_URL_TTL_SECONDS = 15 * 60;


/** R6: challenges per user (any method, resends included) in any sliding window of this length. */
export const USER_CHALLENGES_PER_WINDOW = 5;
export const USER_CHALLENGE_WINDOW_SECONDS = 5 * 60;

/** R6: texts and calls to one number, across all tenants, per clock hour (fixed window). */
export const MESSAGES_PER_NUMBER_PER_HOUR = 10;

/**
 * R6: challenges and resends a tenant may start per second (fixed one-second window). A ceiling:
 * a tenant may lower it in its settings; only the operator raises a tenant's cap.
 */
export const TENANT_CHALLENGES_PER_SECOND = 50;

/**
 * R6: requests a tenant's API keys may make per second, on every route (fixed one-second window),
 * taken before the handler does any work. A ceiling the operator may raise per tenant.
 */
export const TENANT_REQUESTS_PER_SECOND = 100;

/**
 * R6: a container counts the units of a tenant's per-second caps it takes itself and writes them
 * to the shared counter only every `max(1, min(cap / 10, 100))` units (a request that writes
 * learns the tenant's total). One container stays exactly within a cap; a fleet of C warm
 * containers may admit up to C such batches more in one second. See ContainerWindowCounter.
 */
export const TENANT_CAP_FLUSH_FRACTION = 10;
export const TENANT_CAP_FLUSH_MAX_UNITS = 100;

/**
 * R6/R27: how long a container may answer from the API key and tenant it read: a revoked or
 * expired key, or a tenant's changed settings, caps or provider, takes effect on the
 * relying app's (`auth`-scope) routes within this time. Admin routes read them on every call.
 */
export const API_KEY_CACHE_SECONDS = 30;

/** R6: the most the operator may set either per-second cap of one tenant to. */
export const MAX_TENANT_CAP_PER_SECOND = 10_000;

/** R6: requests one source address may make to the public push routes per minute (fixed window). */
export const PUSH_REQUESTS_PER_SOURCE_PER_MINUTE = 30;

/**
 * R8: wrong codes across challenges. From the 5th wrong code in a row (a whole locked challenge)
 * a new challenge waits a cool-down that doubles with every further 5, capped, never a lockout;
 * a streak is forgotten after an hour without wrong codes, or at the next approval.
 */
export const WRONG_CODE_STREAK_BEFORE_COOLDOWN = 5;
export const WRONG_CODE_COOLDOWN_BASE_SECONDS = 30;
export const WRONG_CODE_COOLDOWN_MAX_SECONDS = 15 * 60;
export const WRONG_CODE_STREAK_RESET_SECONDS = 60 * 60;

/** R7: push and voice prompts denied or ignored: this many within the window pause both for the pause. */
export const FATIGUE_DENIALS = 3;
export const FATIGUE_WINDOW_SECONDS = 15 * 60;
export const FATIGUE_PAUSE_SECONDS = 15 * 60;

/**
 * R12/R13: a voice challenge stays open while its rollover can still be calling: one call
 * timeout (VOICE_CALL_TIMEOUT_SECONDS) per number, plus this margin for placing the calls and
 * recording the result. An approval that arrives after that is refused.
 */
export const VOICE_CHALLENGE_MARGIN_SECONDS = 60;

export function voiceChallengeTtlSeconds(numbers: number): number {
  return numbers * VOICE_CALL_TIMEOUT_SECONDS + VOICE_CHALLENGE_MARGIN_SECONDS;
}

/** R21: app passwords a user may have; verify checks at most this many scrypt hashes. */
export const APP_PASSWORDS_PER_USER = 10;

/** R5: how long an authenticator-app enrolment waits for its confirming code. */
export const APP_ENROLLMENT_TTL_SECONDS = 10 * 60;

/** R22: largest token file one import takes (CSV or PSKC). */
export const OATH_IMPORT_MAX_BYTES = 4 * 1024 * 1024;

/** R9 (issue 6): a push prompt unanswered this long is denied as `timeout` and counts for fatigue (R7). */
export const PUSH_TIMEOUT_SECONDS = 60;

/** R7: how often the sweep settles pushes past their deadline, so an ignored prompt counts unread. */
export const PUSH_SWEEP_INTERVAL_SECONDS = 60;

/**
 * R18: how long a push activation code stays valid. With ~59 random bits, single use and this
 * short a life, guessing one is out of reach.
 */
export const PUSH_ACTIVATION_TTL_SECONDS = 10 * 60;

/**
 * R4: how long a verifier may cache the JWKS (its cache-control max-age). A new signing key is
 * published at once but signs only this long after it was created, and a replaced key stays
 * published until every assertion it may have signed has expired, plus this long.
 */
export const JWKS_MAX_AGE_SECONDS = 300;

/** Passkeys: a user has at most this many (issue 15). */
export const PASSKEYS_PER_USER = 10;

/** Passkeys: a registration ceremony's challenge is single use and valid this long (R1's rule: expiry checked on every read). */
export const PASSKEY_REGISTRATION_TTL_SECONDS = 5 * 60;

/** Passkeys: a sign-in challenge is valid this long; the browser's timeout is the same. */
export const PASSKEY_CHALLENGE_TTL_SECONDS = 5 * 60;

/** Passkeys: how recently a relying app's step-up challenge must have been approved to authorise a new passkey. */
export const PASSKEY_STEP_UP_SECONDS = 10 * 60;

/** Passkeys: origins one policy may list. */
export const MAX_PASSKEY_ORIGINS = 10;

/** Remembered devices (issue 16): the tenant's window, in days, is one of 1..365 (Entra's range); 30 until set. */
export const REMEMBERED_DEVICE_DAYS = { min: 1, max: 365, default: 30 } as const;

/** Remembered devices: how recently the challenge a token is asked with must have been approved. */
export const REMEMBERED_DEVICE_STEP_UP_SECONDS = 10 * 60;

/**
 * Remembered devices: how long an expired token's item is kept before DynamoDB's TTL may delete
 * it, so a check still answers `expired` (not `unknown`) for a while after the expiry.
 */
export const REMEMBERED_DEVICE_KEPT_AFTER_EXPIRY_SECONDS = 30 * 24 * 3600;

/** Remembered devices: a listing (and a revocation's count) reads a user's tokens this many at a time, every page. */
export const REMEMBERED_DEVICES_LISTED = 200;
/** Recovery codes and access passes: a challenge answered with one is open this long (issue 16). */
export const RECOVERY_CHALLENGE_TTL_SECONDS = 5 * 60;

/** Temporary Access Pass: its lifetime, in minutes (10 minutes to 30 days). */
export const ACCESS_PASS_MIN_MINUTES = 10;
export const ACCESS_PASS_MAX_MINUTES = 30 * 24 * 60;

/** Temporary Access Pass: how far ahead its start may be set. */
export const ACCESS_PASS_MAX_START_DAYS = 30;

/** Temporary Access Pass: passes a user may hold at once (expired ones count until they are revoked or gone). */
export const ACCESS_PASSES_PER_USER = 5;
