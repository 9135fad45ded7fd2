import * as z from 'zod';
import { BILLING_MODELS, FACTORS, LOG_METHODS, LOG_RESULTS } from '../domain/types';
import { OTP_MAX_DIGITS } from '../domain/otp/rules';
import { CODE_DIGITS, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, MAX_TENANT_CAP_PER_SECOND, REMEMBERED_DEVICE_DAYS, USER_CHALLENGES_PER_WINDOW } from '../rules';
import { authenticationResponseSchema, passkeyPolicySchema } from './passkeys';
import { countryCodeSchema, e164Schema } from './phone';
import { accessPassSchema, recoveryCodeSchema } from './recovery';

/** Every request shape, checked at the edge (R29). Objects are strict: unknown fields are refused. */

export const userIdSchema = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9._@+-]+$/, 'may contain letters, digits and . _ @ + - only');

export const challengeIdSchema = z.string().regex(/^ch_[A-Za-z0-9_-]{22}$/, 'is not a challenge id');

export const idempotencyKeySchema = z
  .string()
  .min(1)
  .max(255)
  .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces');

export const createChallengeBody = z.strictObject({
  userId: userIdSchema,
  method: z.enum(FACTORS).optional(),
  context: z
    .strictObject({
      clientIp: z.union([z.ipv4(), z.ipv6()]).optional(),
      appName: z.string().min(1).max(64).optional(),
      location: z.string().min(1).max(128).optional(),
      // R23: a relay (the RADIUS front end) names the gateway that asked, for the auth log.
      gateway: z.strictObject({ name: z.string().min(1).max(64), ip: z.union([z.ipv4(), z.ipv6()]).optional() }).optional(),
    })
    .optional(),
});

/** A code (text, call, app, token, a recovery code, an access pass), or a passkey's assertion (the browser's AuthenticationResponseJSON). */
export const verifyChallengeBody = z.union([
  z.strictObject({
    // Text codes have CODE_DIGITS digits; hardware tokens may show OTP_MAX_DIGITS (R22).
    code: z.string().regex(new RegExp(`^(\\d{${CODE_DIGITS}}|\\d{${OTP_MAX_DIGITS}})$`), `must be ${CODE_DIGITS} or ${OTP_MAX_DIGITS} digits`),
  }),
  z.strictObject({ credential: authenticationResponseSchema }),
  // A recovery code or a Temporary Access Pass (issue 16).
  z.strictObject({ code: recoveryCodeSchema }),
  z.strictObject({ code: accessPassSchema }),
]);

/** A relying app generates a user's recovery codes; `challengeId` is the step-up once the user has a method. */
export const generateRecoveryCodesBody = z.strictObject({ userId: userIdSchema, challengeId: challengeIdSchema.optional() });

/** POST /v1/authenticators: a relying app enrols a user's authenticator app (a step-up once the user has a method). */
export const startAuthenticatorBody = z.strictObject({ userId: userIdSchema, challengeId: challengeIdSchema.optional() });

/** POST /v1/authenticators/confirm: the first code from the app, for the enrolment the relying app started. */
export const confirmAppAuthenticatorBody = z.strictObject({
  userId: userIdSchema,
  enrollmentId: z.string().regex(/^en_[A-Za-z0-9_-]{22}$/, 'is not an enrollment id'),
  // As otpCodeSchema (declared below, with the admin's bodies).
  code: z.string().regex(/^(\d{6}|\d{8})$/, 'must be 6 or 8 digits'),
});

/** PUT /v1/phones: a relying app sets a user's primary phone (and backups when given; absent: kept). */
export const setPhonesBody = z.strictObject({
  userId: userIdSchema,
  challengeId: challengeIdSchema.optional(),
  primary: e164Schema,
  backup: z.array(e164Schema).max(5).optional(),
});

/** Resend takes no fields; an empty body or {} are both fine. */
export const emptyBody = z.strictObject({}).optional();

const e164 = e164Schema;


const nullableText = (max: number) => z.string().trim().min(1).max(max).nullable().optional();

const userFields = {
  firstName: nullableText(100),
  lastName: nullableText(100),
  email: z.email().max(254).nullable().optional(),
  mfaEnabled: z.boolean(),
  licensed: z.boolean().optional(),
  defaultMethod: z.enum(FACTORS).nullable().optional(),
  /** Only passkeys are offered and accepted for this user; absent keeps what is stored. */
  phishingResistantOnly: z.boolean().optional(),
};

const phonesBody = z.strictObject({
  primary: e164.nullable().optional(),
  backup: z.array(e164).max(5).optional(),
  office: e164.nullable().optional(),
});

/** PUT /v1/admin/users/{userId}: the whole user. */
export const userBody = z.strictObject({ ...userFields, phones: phonesBody });

/** PATCH /v1/admin/users/{userId}: only what changes; null removes an optional field. */
export const userPatchBody = z.strictObject({
  ...userFields,
  mfaEnabled: z.boolean().optional(),
  phones: phonesBody.optional(),
});

const pageQuery = {
  limit: z.coerce.number().int().min(1).max(MAX_PAGE_SIZE).default(DEFAULT_PAGE_SIZE),
  cursor: z.string().min(1).max(2048).optional(),
};

const booleanQuery = z.enum(['true', 'false']).transform((v) => v === 'true');

export const listUsersQuery = z.strictObject({
  ...pageQuery,
  prefix: userIdSchema.optional(),
  mfaEnabled: booleanQuery.optional(),
  blocked: booleanQuery.optional(),
});

export const blockBody = z.strictObject({ reason: z.string().trim().min(1).max(200).default('blocked by an admin') }).optional();

export const providerBody = z.strictObject({
  billingModel: z.enum(BILLING_MODELS),
  directoryId: z.string().min(1).max(128).optional(),
});

export const createTenantBody = z.strictObject({
  name: z.string().trim().min(1).max(100),
  provider: providerBody.optional(),
  /** R15: the caller-ID numbers the operator assigns; the tenant's callerId must be one of them. */
  callerIds: z.array(z.string().regex(/^\+[1-9]\d{6,14}$/, 'must be an E.164 number')).max(20).optional(),
});

const settingsFields = {
  enabledMethods: z.array(z.enum(FACTORS)).min(1).max(FACTORS.length),
  callerId: e164.nullable(),
  appPasswordsAllowed: z.boolean(),
  blockOnFraud: z.boolean(),
  allowedCountries: z.array(countryCodeSchema).max(250).nullable(),
  logOptionalFields: z.boolean(),
  webhookUrl: z.url().max(2048).nullable(),
  limits: z
    .strictObject({
      // R6: a tenant may lower the per-user limit, never raise it; its per-second cap is checked
      // against the one the operator set (SettingsService).
      challengesPerUserPerWindow: z.number().int().min(1).max(USER_CHALLENGES_PER_WINDOW).optional(),
      challengesPerSecond: z.number().int().min(1).max(MAX_TENANT_CAP_PER_SECOND).optional(),
    })
    .nullable(),
  /** Passkeys: the relying party and what a passkey must be; null (or absent from a PUT) turns passkeys off. */
  passkeys: passkeyPolicySchema.nullable().optional(),
  /** Remembered devices (issue 16): off by default; a token is good `days` (1..365) after it was issued. Absent from a PUT: off. */
  rememberedDevices: z
    .strictObject({ enabled: z.boolean(), days: z.number().int().min(REMEMBERED_DEVICE_DAYS.min).max(REMEMBERED_DEVICE_DAYS.max) })
    .optional(),
};

export const settingsBody = z.strictObject(settingsFields);

/** R6: the operator's per-second caps of one tenant; null (or absent) means the default. */
export const tenantCapsBody = z.strictObject({
  challengesPerSecond: z.number().int().min(1).max(MAX_TENANT_CAP_PER_SECOND).nullable().optional(),
  requestsPerSecond: z.number().int().min(1).max(MAX_TENANT_CAP_PER_SECOND).nullable().optional(),
});

/**
 * R15: the operator's new list of a tenant's caller-ID numbers; the tenant's callerId must be one of
 * them. A number twice is refused rather than merged: the list is the operator's whole intent.
 */
export const callerIdsBody = z.strictObject({
  callerIds: z
    .array(e164Schema)
    .max(20)
    .superRefine((ids, ctx) => {
      ids.forEach((id, i) => {
        if (ids.indexOf(id) !== i) ctx.addIssue({ code: 'custom', message: 'is already in the list', path: [i] });
      });
    }),
});

export const tenantIdSchema = z.string().regex(/^tn[0-9a-f]{24}$/, 'is not a tenant id');
export const settingsPatchBody = z.strictObject(settingsFields).partial();

export const apiKeyIdSchema = z.string().regex(/^[0-9a-f]{16}$/, 'is not an API key id');

export const createApiKeyBody = z.strictObject({
  name: z.string().trim().min(1).max(100),
  scope: z.enum(['auth', 'admin']),
});

export const rotateApiKeyBody = z
  .strictObject({ graceSeconds: z.number().int().min(0).max(7 * 24 * 3600).optional() })
  .optional();

export const authLogsQuery = z.strictObject({
  ...pageQuery,
  from: z.iso.datetime().optional(),
  to: z.iso.datetime().optional(),
  userId: userIdSchema.optional(),
  method: z.enum(LOG_METHODS).optional(),
  result: z.enum(LOG_RESULTS).optional(),
});

export const usageQuery = z.strictObject({
  month: z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'must be YYYY-MM'),
});

export const notificationsQuery = z.strictObject(pageQuery);

// Code factors (R5, R22) and app passwords (R21)

export const otpCodeSchema = z.string().regex(/^(\d{6}|\d{8})$/, 'must be 6 or 8 digits');

export const confirmAuthenticatorBody = z.strictObject({
  code: otpCodeSchema,
  enrollmentId: z.string().regex(/^en_[A-Za-z0-9_-]{22}$/, 'is not an enrollment id').optional(),
});

export const oathSerialSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9._:-]+$/, 'may contain letters, digits and . _ : - only');

export const assignOathTokenBody = z.strictObject({ userId: userIdSchema });

export const resyncOathTokenBody = z.strictObject({ firstCode: otpCodeSchema, secondCode: otpCodeSchema });

export const oathTokensQuery = z.strictObject(pageQuery);

/** R22: the PSKC pre-shared key, 16 bytes as 32 hex digits (header Tessera-PSKC-Key). */
export const pskcKeySchema = z.string().regex(/^[0-9A-Fa-f]{32}$/, 'must be 32 hex digits (an AES-128 key)');

export const createAppPasswordBody = z.strictObject({ name: z.string().trim().min(1).max(100) });

export const appPasswordIdSchema = z.string().regex(/^ap_[A-Za-z0-9_-]{16}$/, 'is not an app password id');

export const verifyAppPasswordBody = z.strictObject({ userId: userIdSchema, password: z.string().min(1).max(128) });

// Remembered devices (issue 16)

/** The relying app's own value a token is bound to (a hash of its long-lived device cookie, say). */
export const rememberedBindingSchema = z
  .string()
  .min(16)
  .max(256)
  .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces');

export const rememberDeviceBody = z.strictObject({ challengeId: challengeIdSchema, binding: rememberedBindingSchema });

export const rememberedTokenSchema = z.string().regex(/^rdt_[A-Za-z0-9_-]{43}$/, 'is not a remembered-device token');

export const checkRememberedDeviceBody = z.strictObject({ userId: userIdSchema, token: rememberedTokenSchema, binding: rememberedBindingSchema });
