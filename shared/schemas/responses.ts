import * as z from 'zod';
import { BILLING_MODELS, FACTORS, LOG_METHODS, LOG_RESULTS, PUSH_PLATFORMS } from '../domain/types';
import { countryCodeSchema, e164Schema } from './phone';

/**
 * What the API answers, for the OpenAPI document and the typed client. Handlers do not parse
 * their own answers; these describe them. Objects are loose: a client must accept fields added
 * later, so only the fields a client relies on are named.
 */

const time = z.iso.datetime();
const factor = z.enum(FACTORS);
const page = <T extends z.ZodType>(item: T) => z.looseObject({ items: z.array(item), cursor: z.string().optional() });

export const challengeView = z.looseObject({
  challengeId: z.string(),
  userId: z.string(),
  method: factor,
  status: z.enum(['pending', 'approved', 'denied', 'expired', 'locked']),
  reason: z.string().optional().describe('Why it was denied: delivery_failed, denied, fraud_reported, unreachable, wrong_number, timeout, revoked (its user was deleted or reset)'),
  destination: z.string().describe('The masked number or device the challenge went to'),
  createdAt: time,
  expiresAt: time,
  attemptsRemaining: z.number().int(),
  resendsRemaining: z.number().int(),
  number: z.number().int().optional().describe('R9: push only: the number the sign-in screen shows, to enter on the phone'),
  voice: z
    .looseObject({
      calling: z.string().optional(),
      attempts: z.array(z.looseObject({ number: z.string(), outcome: z.string(), at: time })),
    })
    .optional()
    .describe('R13: voice only: the number being called now (masked) and the calls that ended'),
  publicKey: z
    .looseObject({
      challenge: z.string(),
      rpId: z.string(),
      timeout: z.number().int(),
      userVerification: z.enum(['required', 'preferred']),
      allowCredentials: z.array(z.looseObject({ id: z.string(), type: z.literal('public-key'), transports: z.array(z.string()).optional() })),
    })
    .optional()
    .describe('Passkey only, while pending: PublicKeyCredentialRequestOptionsJSON for navigator.credentials.get() (startAuthentication of @simplewebauthn/browser)'),
  assertion: z.string().optional().describe('R4: once approved, an ES256 JWT checkable against /.well-known/jwks.json'),
});

export const verifiedChallenge = challengeView.extend({ assertion: z.string() });

export const jwks = z.looseObject({ keys: z.array(z.looseObject({ kty: z.string(), kid: z.string(), alg: z.string().optional() })) });

const phone = z.looseObject({ e164: e164Schema, country: countryCodeSchema, type: z.string() });

export const userView = z.looseObject({
  userId: z.string(),
  firstName: z.string().optional(),
  lastName: z.string().optional(),
  email: z.string().optional(),
  phones: z.looseObject({ primary: phone.optional(), backup: z.array(phone), office: phone.optional() }),
  mfaEnabled: z.boolean(),
  licensed: z.boolean(),
  defaultMethod: factor.optional(),
  blocked: z.looseObject({ at: time, reason: z.string() }).optional(),
  authenticator: z.looseObject({ enrolledAt: time }).optional(),
  oathToken: z.looseObject({ serial: z.string() }).optional(),
  push: z.looseObject({ deviceId: z.string(), platform: z.enum(PUSH_PLATFORMS), activatedAt: time }).optional(),
  passkeyCount: z.number().int().optional().describe('How many passkeys the user has'),
  phishingResistantOnly: z.boolean().optional().describe('Only passkeys are offered and accepted for this user'),
  createdAt: time,
  updatedAt: time,
});

export const userWithThrottling = userView.extend({ throttling: z.looseObject({}).optional() });
export const userPage = page(userView);

export const importReport = z.looseObject({
  summary: z.looseObject({ rows: z.number(), created: z.number(), updated: z.number(), unchanged: z.number(), errors: z.number() }),
  rows: z.array(z.looseObject({ row: z.number(), userId: z.string().optional(), status: z.enum(['created', 'updated', 'unchanged', 'error']) })),
});

export const providerView = z.looseObject({
  providerId: z.string(),
  billingModel: z.enum(BILLING_MODELS),
  directoryId: z.string().optional(),
  createdAt: time,
  generation: z.number().int(),
});

export const settingsView = z.looseObject({
  enabledMethods: z.array(factor),
  callerId: z.optional(z.nullable(e164Schema)),
  appPasswordsAllowed: z.boolean(),
  blockOnFraud: z.boolean(),
  allowedCountries: z.array(countryCodeSchema).nullable().optional(),
  logOptionalFields: z.boolean(),
  webhookUrl: z.string().nullable().optional(),
  limits: z.looseObject({ challengesPerUserPerWindow: z.number().optional(), challengesPerSecond: z.number().optional() }).nullable().optional(),
  passkeys: z
    .looseObject({
      rpId: z.string(),
      rpName: z.string(),
      origins: z.array(z.string()),
      userVerification: z.enum(['required', 'preferred']),
      attestation: z.enum(['none', 'direct']),
      aaguids: z.array(z.string()).optional(),
      attestationRoots: z.array(z.string()).optional(),
      allowSynced: z.boolean(),
      phishingResistantOnly: z.boolean(),
    })
    .nullable()
    .optional()
    .describe('The passkey policy; null when passkeys are not configured'),
  rememberedDevices: z
    .looseObject({ enabled: z.boolean(), days: z.number().int() })
    .optional()
    .describe('Remembered devices: off by default; a token is good `days` after it was issued'),
});

export const apiKeyView = z.looseObject({ keyId: z.string(), name: z.string(), scope: z.enum(['auth', 'admin']), createdAt: time, expiresAt: time.optional() });
export const createdApiKey = apiKeyView.extend({ key: z.string().describe('The key itself, shown once') });
export const apiKeyList = z.looseObject({ items: z.array(apiKeyView) });

export const authLogEntry = z.looseObject({
  logId: z.string(),
  time,
  userId: z.string(),
  method: z.enum(LOG_METHODS).optional(),
  event: z.enum(['challenge', 'verify', 'resend', 'call']),
  result: z.enum(LOG_RESULTS),
  reason: z.string().optional(),
  challengeId: z.string().optional(),
  phone: z.string().optional(),
  deviceToken: z.string().optional().describe('Push: the id of the device the prompt went to (R23)'),
  apiKeyId: z.string(),
  apiKeyName: z.string(),
  serverIp: z.string().optional(),
  clientIp: z.string().optional(),
  gatewayName: z.string().optional().describe('The gateway a relay (the RADIUS front end) named: its configured client name'),
  gatewayIp: z.string().optional().describe("That gateway's address (its NAS-IP-Address)"),
});
export const authLogPage = page(authLogEntry);

export const usageReport = z.looseObject({
  month: z.string(),
  days: z.array(z.looseObject({ day: z.string(), method: factor, result: z.string(), count: z.number().int() })),
  totals: z.looseObject({ byMethod: z.record(z.string(), z.number()), byResult: z.record(z.string(), z.number()), all: z.number() }),
});

export const billView = z.looseObject({
  month: z.string(),
  status: z.enum(['draft', 'final']).describe('draft while the month runs'),
  rows: z.array(
    z.looseObject({
      providerId: z.string(),
      billingModel: z.enum(BILLING_MODELS),
      activeFrom: z.string(),
      activeUntil: z.string(),
      billableUnits: z.number(),
      unitPrice: z.string(),
      currency: z.string(),
      amountMinor: z.number().int(),
      amount: z.string(),
    }),
  ),
});

export const notificationPage = page(
  z.looseObject({ notificationId: z.string(), time, type: z.enum(['user_blocked', 'user_unblocked', 'fraud_reported', 'passkey_counter_regressed', 'recovery_code_used']), userId: z.string().optional(), message: z.string() }),
);

export const authenticatorEnrollment = z.looseObject({ enrollmentId: z.string(), otpauthUri: z.string(), qrCode: z.string().optional() });
export const oathImportReport = z.looseObject({
  imported: z.number().int(),
  failed: z.number().int(),
  results: z.array(z.looseObject({ row: z.number().int(), serial: z.string().optional(), status: z.enum(['imported', 'error']), detail: z.string().optional() })),
});
export const oathTokenView = z.looseObject({ serial: z.string(), digits: z.number().int(), step: z.number().int(), driftSteps: z.number().int(), importedAt: time, assignee: z.looseObject({ userId: z.string(), assignedAt: time }).optional() });
export const oathTokenPage = page(oathTokenView);
export const appPasswordCreated = z.looseObject({ passwordId: z.string(), name: z.string(), password: z.string().describe('Shown once') });
export const appPasswordList = z.looseObject({ items: z.array(z.looseObject({ passwordId: z.string(), name: z.string(), createdAt: time })) });
export const appPasswordsDeleted = z.looseObject({ deleted: z.number().int() });
export const appPasswordVerified = z.looseObject({});
export const pushActivation = z.looseObject({ activationCode: z.string(), expiresAt: time, qr: z.looseObject({ uri: z.string(), svg: z.string() }) });
export const pushActivated = z.looseObject({ deviceId: z.string(), deviceKey: z.string() });
export const pushResponded = z.looseObject({});
export const passkeyView = z.looseObject({
  passkeyId: z.string().describe('The credential id, base64url'),
  name: z.string(),
  aaguid: z.string().describe('The authenticator model (all zeros when not disclosed)'),
  transports: z.array(z.string()),
  deviceType: z.enum(['singleDevice', 'multiDevice']).describe('multiDevice: a synced (backup-eligible) passkey'),
  backedUp: z.boolean(),
  createdAt: time,
  lastUsedAt: time.optional(),
});
export const passkeyList = z.looseObject({ items: z.array(passkeyView) });
export const passkeyRegistrationStarted = z.looseObject({
  registrationId: z.string(),
  expiresAt: time,
  options: z
    .looseObject({
      rp: z.looseObject({ id: z.string().optional(), name: z.string() }),
      user: z.looseObject({ id: z.string(), name: z.string(), displayName: z.string() }),
      challenge: z.string(),
      pubKeyCredParams: z.array(z.looseObject({ type: z.literal('public-key'), alg: z.number().int() })),
      timeout: z.number().int().optional(),
      excludeCredentials: z.array(z.looseObject({ id: z.string(), type: z.literal('public-key'), transports: z.array(z.string()).optional() })).optional(),
      authenticatorSelection: z.looseObject({}).optional(),
      attestation: z.enum(['none', 'direct']).optional(),
    })
    .describe('PublicKeyCredentialCreationOptionsJSON for navigator.credentials.create() (startRegistration of @simplewebauthn/browser)'),
});
export const passkeyRegistered = z.looseObject({ passkey: passkeyView });
export const createdTenant = z.looseObject({
  tenantId: z.string(),
  name: z.string(),
  adminKey: z.string(),
  authKey: z.string(),
  callerIds: z.array(z.string()).optional().describe('R15: caller-ID numbers assigned by the operator'),
});
export const signingKey = z.looseObject({
  kid: z.string(),
  signsFrom: z.string().describe('ISO time from which the new key signs; it is in the JWKS at once (R4)'),
});
export const tenantCaps = z.looseObject({
  tenantId: z.string(),
  caps: z.looseObject({ challengesPerSecond: z.number().int(), requestsPerSecond: z.number().int() }),
});

export const tenantCallerIds = z.looseObject({
  tenantId: z.string(),
  callerIds: z.array(e164Schema).describe('R15: the caller-ID numbers now assigned to the tenant'),
  callerIdCleared: z.boolean().describe('Whether the tenant’s `callerId` was taken away and so cleared from its settings'),
});

/** RFC 9457 problem details, the one error shape (R29). */
export const problem = z.looseObject({
  type: z.string().describe('urn:tessera:problem:<code>'),
  title: z.string(),
  status: z.number().int(),
  detail: z.string().optional(),
  instance: z.string().optional(),
  errors: z.array(z.looseObject({ pointer: z.string().optional(), detail: z.string() })).optional(),
});

// Remembered devices (issue 16)
export const rememberedDeviceIssued = z.looseObject({
  token: z.string().describe('Shown once: the relying app keeps it with the device (never stored by Tessera, only its hash)'),
  deviceId: z.string().describe('Names the device in the console and the logs; not a secret'),
  expiresAt: time,
});
export const rememberedDeviceChecked = z.looseObject({
  status: z.enum(['remembered', 'expired', 'revoked', 'unknown']).describe('unknown: never issued, another user or tenant, or another binding'),
  expiresAt: time.optional().describe('When remembered: until when'),
});
export const rememberedDeviceList = z.looseObject({
  count: z.number().int().describe('Live remembered devices: not expired, not revoked'),
  items: z.array(z.looseObject({ deviceId: z.string(), createdAt: time, expiresAt: time })),
});
export const rememberedDevicesRevoked = z.looseObject({ revoked: z.number().int().describe('How many were live') });
/** Recovery codes, shown once. */
export const recoveryCodes = z.looseObject({ codes: z.array(z.string()).length(10).describe('Shown once; each is accepted once'), createdAt: time });
/** A relying app's authenticator confirmation, and the phones it set (masked). */
export const authenticatorConfirmed = z.looseObject({ enrolledAt: time });
export const phonesRegistered = z.looseObject({
  userId: z.string(),
  phones: z.looseObject({ primary: z.string().describe('Masked'), backup: z.array(z.string().describe('Masked')) }),
  methods: z.array(z.string()).describe('The methods the user can now be challenged with'),
});
export const recoveryCodeStatus = z.looseObject({ remaining: z.number().int().min(0).max(10), createdAt: time.optional() });
export const accessPassIssued = z.looseObject({
  passId: z.string(),
  pass: z.string().describe('Shown once; the user posts it as `code` to a challenge of method "tap"'),
  startsAt: time,
  expiresAt: time,
  oneTime: z.boolean(),
});
export const accessPassView = z.looseObject({
  passId: z.string(),
  startsAt: time,
  expiresAt: time,
  oneTime: z.boolean(),
  state: z.enum(['not_started', 'active', 'used', 'expired']),
  uses: z.number().int(),
  lastUsedAt: time.optional(),
  createdAt: time,
  createdBy: z.string().describe('The admin API key id that issued it'),
});
export const accessPassList = z.looseObject({ items: z.array(accessPassView) });
