/**
 * Product rules for the code-generating factors (authenticator apps and OATH hardware tokens),
 * with the rule from the product brief beside each. `shared/rules.ts` holds the rules for SMS
 * and voice codes; these are kept apart because they follow RFC 6238 rather than R1.
 */

/** R5: RFC 6238 time step. Authenticator apps use 30 s; hardware tokens carry their own (R22). */
export const TOTP_STEP_SECONDS = 30;

/** R5: codes are accepted up to this many time steps either side of the expected one. */
export const TOTP_WINDOW_STEPS = 1;

/** R5: authenticator apps show six digits unless the key URI says otherwise. */
export const TOTP_DIGITS = 6;

/** R5: the HMAC every authenticator app supports; SHA-256/512 exist but many apps ignore them. */
export const TOTP_ALGORITHM = 'sha1' as const;

/** R5: RFC 6238 T0, the Unix time (seconds) from which time steps are counted. */
export const TOTP_T0_SECONDS = 0;

/** R5/R22: codes may have 6 to 8 digits (RFC 4226 §5.3 needs at least 6). */
export const OTP_MIN_DIGITS = 6;
export const OTP_MAX_DIGITS = 8;

/** R5: size of a new authenticator-app secret: 160 bits, the HMAC-SHA-1 block RFC 4226 §4 recommends. */
export const TOTP_SECRET_BYTES = 20;

/** R22: RFC 4226 §4 requires at least 128-bit shared secrets; shorter imports are refused. */
export const OTP_MIN_SECRET_BYTES = 16;

/** R22: a 64-byte secret is the SHA-512 block size; nothing larger is meaningful. */
export const OTP_MAX_SECRET_BYTES = 64;

/** R22: hardware TOTP tokens come with a 30 s or 60 s time interval. */
export const HARDWARE_TOKEN_INTERVALS: readonly number[] = [30, 60];

/**
 * R5: an admin resynchronisation looks this many time steps either side of the server clock
 * for two consecutive codes (±5 minutes at 30 s). Two codes in a row make a chance match
 * about one in 10^12 per candidate step, so the window could be far wider if tokens need it.
 */
export const HARDWARE_RESYNC_MAX_STEPS = 10;

/** R22: most tokens one import may carry, so one request stays well inside a handler's time. */
export const OATH_IMPORT_MAX_TOKENS = 10_000;
