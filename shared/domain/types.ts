/** Second factors Tessera knows. A closed union: every switch over it is checked for exhaustiveness. */
export const FACTORS = ['sms', 'voice', 'push', 'app', 'oath', 'passkey', 'recovery', 'tap'] as const;
export type Factor = (typeof FACTORS)[number];

/**
 * The ways back (recovery codes, Temporary Access Passes): never a default method, and never the
 * challenge a remembered device is issued on (a ten-minute pass must not become a year-long token).
 */
export const WAYS_BACK: readonly Factor[] = ['recovery', 'tap'];

/** Factors this release can deliver; the others are refused with a clear problem. */
export const AVAILABLE_FACTORS: readonly Factor[] = ['sms', 'voice', 'app', 'oath', 'push', 'passkey', 'recovery', 'tap'];

export type ApiScope = 'auth' | 'admin';

export const BILLING_MODELS = ['per_user', 'per_authentication'] as const;
export type BillingModel = (typeof BILLING_MODELS)[number];

/** R17/R18: a tenant's one MFA provider. Its billing model never changes. */
export interface Provider {
  readonly providerId: string;
  readonly billingModel: BillingModel;
  readonly directoryId?: string;
  readonly createdAt: string;
  /** Increases with every provider created for the tenant; push activations carry it (R18). */
  readonly generation: number;
  /** Where the users live: the directory, or this provider alone when it has none (R18). */
  readonly userSpace: string;
}

/** The tenant's methods policy and settings (console: PUT /v1/admin/settings). */
export interface TenantSettings {
  readonly enabledMethods: readonly Factor[];
  /** R15: caller ID for voice calls, E.164. */
  readonly callerId?: string;
  readonly appPasswordsAllowed: boolean;
  /** R14: block the user from MFA when they report fraud. */
  readonly blockOnFraud: boolean;
  /** ISO 3166-1 alpha-2 countries SMS and voice may go to; absent means all. */
  readonly allowedCountries?: readonly string[];
  /** R23: whether auth logs keep the optional fields (first and last name, email). */
  readonly logOptionalFields: boolean;
  /** Admin notifications are also POSTed here, signed (HMAC-SHA256). */
  readonly webhookUrl?: string;
  /** R6 limits this tenant sets for itself, where it differs from the defaults. */
  readonly limits?: { readonly challengesPerUserPerWindow?: number; readonly challengesPerSecond?: number };
  /** Passkeys (WebAuthn): absent until an admin sets the relying party; until then passkeys are refused. */
  readonly passkeys?: PasskeyPolicy;
  /** Remembered devices (issue 16): absent means off. */
  readonly rememberedDevices?: RememberedDevicesPolicy;
}

/** Whether relying apps may remember a device after an approved challenge, and for how long. */
export interface RememberedDevicesPolicy {
  readonly enabled: boolean;
  /** 1..365: a token is good this long after it was issued (a lower window shortens tokens already issued). */
  readonly days: number;
  /**
   * The tenant's remembered-devices epoch: drawn anew when the tenant turns remembered devices
   * off or turns on phishing-resistant only, which revokes every token stamped with the old one.
   * Never shown or set through the API.
   */
  readonly epoch?: string;
}

/** The tenant's passkey policy: who the relying party is and what a passkey must be to be accepted. */
export interface PasskeyPolicy {
  /** The WebAuthn relying-party id: a registrable domain every origin's host is, or ends with. */
  readonly rpId: string;
  readonly rpName: string;
  /** The pages that may register and use passkeys: https, or http on localhost. */
  readonly origins: readonly string[];
  readonly userVerification: 'required' | 'preferred';
  readonly attestation: 'none' | 'direct';
  /**
   * Lower-case AAGUIDs a passkey's authenticator must have; absent: any. Only an attestation whose
   * certificate chain verifies to one of `attestationRoots` proves the AAGUID: self attestation or
   * none never satisfies the list.
   */
  readonly aaguids?: readonly string[];
  /** Trusted attestation root certificates (PEM), e.g. the vendors' roots of the allowed models. */
  readonly attestationRoots?: readonly string[];
  /** Whether synced (backup-eligible) passkeys are accepted; false: only device-bound ones. */
  readonly allowSynced: boolean;
  /** Only passkeys are offered and accepted for every user of the tenant. */
  readonly phishingResistantOnly: boolean;
}

export const DEFAULT_SETTINGS: TenantSettings = {
  // Passkeys are enabled too: they stay refused until the tenant sets its passkey policy.
  // Recovery codes and access passes too: they work only once generated or issued for a user.
  enabledMethods: ['sms', 'voice', 'push', 'app', 'oath', 'passkey', 'recovery', 'tap'],
  appPasswordsAllowed: false,
  blockOnFraud: false,
  logOptionalFields: true,
};

export interface Tenant {
  readonly tenantId: string;
  readonly name: string;
  readonly createdAt: string;
  readonly provider?: Provider;
  /** Generation of the newest provider ever created (0 when none yet). */
  readonly providerGeneration: number;
  readonly settings: TenantSettings;
  /** R15: the caller-ID numbers the operator assigned to the tenant; only these can be its `callerId`. */
  readonly callerIds?: readonly string[];
  /** The webhook signing secret, sealed by the SecretBox. */
  readonly encryptedWebhookSecret?: string;
  /** R6: per-second caps the operator set for this tenant, where they differ from the defaults. */
  readonly caps?: TenantCaps;
}

/** R6: a tenant's per-second ceilings; only the operator sets them, the tenant may only go lower. */
export interface TenantCaps {
  readonly challengesPerSecond?: number;
  readonly requestsPerSecond?: number;
}

export interface ApiKeyRecord {
  readonly keyId: string;
  readonly tenantId: string;
  readonly scope: ApiScope;
  readonly name: string;
  /** SHA-256 of the secret part, hex. The secret itself is shown once and never stored. */
  readonly secretHash: string;
  readonly createdAt: string;
  readonly revokedAt?: string;
  /** Set on a rotated key: it keeps working until then (the grace period). */
  readonly expiresAt?: string;
  /** The key this one replaced, when it came from a rotation. */
  readonly rotatedFrom?: string;
}

/** The caller, as established from its key: the tenant never comes from a request body (R27). */
export interface Principal {
  readonly tenantId: string;
  readonly keyId: string;
  readonly keyName: string;
  readonly scope: ApiScope;
  /** The tenant as loaded with the key (one read for both). */
  readonly tenant: Tenant;
  /** The calling server's IP (R23). */
  readonly sourceIp?: string;
}

/**
 * Number types (R30): VoIP numbers are refused for SMS and voice; landlines are voice-only.
 * `premium_rate`, `shared_cost`, `uan` (a universal access number that
 * forwards elsewhere), `voicemail` (voicemail-only) and `invalid` (the carrier lookup knows no
 * such line) are refused like VoIP; `unknown` takes no text (fail closed).
 */
export type PhoneType =
  | 'mobile'
  | 'landline'
  | 'mobile_or_landline'
  | 'voip'
  | 'premium_rate'
  | 'shared_cost'
  | 'uan'
  | 'voicemail'
  | 'invalid'
  | 'unknown';

export interface PhoneNumber {
  /** E.164, e.g. +14155550100. */
  readonly e164: string;
  /** ISO 3166-1 alpha-2 country, e.g. US. */
  readonly country: string;
  readonly type: PhoneType;
}

export type RegistrationReason = 'nothing_registered' | 'default_method_disabled' | 'reset_by_admin' | 'passkey_required';

export interface User {
  readonly tenantId: string;
  readonly userId: string;
  readonly firstName?: string;
  readonly lastName?: string;
  readonly email?: string;
  readonly phones: {
    readonly primary?: PhoneNumber;
    readonly backup: readonly PhoneNumber[];
    readonly office?: PhoneNumber;
  };
  readonly mfaEnabled: boolean;
  /** R25: licensed users are not billed per user. */
  readonly licensed: boolean;
  readonly defaultMethod?: Factor;
  /** R19: blocked users cannot use MFA until an admin unblocks them. */
  readonly blocked?: { readonly at: string; readonly reason: string };
  /** R5: set when an authenticator app is confirmed; its sealed secret is kept apart from the user. */
  readonly authenticator?: { readonly enrolledAt: string };
  /** R22: the hardware token assigned to the user, by serial. */
  readonly oathToken?: { readonly serial: string };
  /** R9/R18: the user's activated push device; set only by activation. */
  readonly push?: PushRegistration;
  /** How many passkeys the user has; changed in the same transaction as the passkeys themselves. */
  readonly passkeyCount?: number;
  /** Only passkeys are offered and accepted for this user, whatever the tenant's policy says. */
  readonly phishingResistantOnly?: boolean;
  /** When an admin last unblocked the user: recovery codes and access passes from before it died with the block. */
  readonly unblockedAt?: string;
  /** R20: set by an admin reset, cleared when the user registers again. */
  readonly resetAt?: string;
  /**
   * R19/R21: the user's credential epoch, a random id drawn when the user is created and again
   * at every reset. Every credential and challenge is stamped with the epoch it was issued under
   * and is dead once the user's epoch differs (deleted, recreated, reset), even where a cleanup
   * never reached it. Absent on users stored before epochs existed.
   */
  readonly credentialEpoch?: string;
  /**
   * Remembered devices (issue 16): drawn anew when an admin revokes the user's remembered
   * devices, blocks the user, turns on phishing-resistant only for them, or the user reports
   * fraud. Every token is stamped with it and is revoked once it differs: no token is touched.
   */
  readonly rememberedEpoch?: string;
  /** Optimistic locking: bumped by every write of the user item; a write names the version it read. */
  readonly version?: number;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** Where a challenge's user lives and the credential epoch it was issued under (see `User.credentialEpoch`). */
export interface ChallengeOwner {
  readonly space: string;
  /** Absent when the user had no epoch (stored before epochs existed). */
  readonly epoch?: string;
}

/** Stored state of a challenge. `expired` and `locked` are derived on read, never trusted from TTL. */
export type StoredStatus = 'pending' | 'approved' | 'denied';
export type ChallengeStatus = StoredStatus | 'expired' | 'locked';

/** Why a challenge was denied: no provider took the text (R16), or how a voice rollover ended (R11, R13, R14). */
export type DenialReason =
  | 'delivery_failed'
  | 'denied'
  | 'fraud_reported'
  | 'unreachable'
  | 'wrong_number'
  | 'timeout'
  | 'revoked'
  /** A passkey's sign counter did not increase: possibly a cloned authenticator. */
  | 'counter_regressed';

/** One call of a voice rollover, as stored and shown: the number masked (R28). */
export interface VoiceAttemptRecord {
  /** Position of the number: 0 is the primary. */
  readonly index: number;
  /** Masked number. */
  readonly number: string;
  /** An AttemptOutcome of shared/voice/outcomes.ts. */
  readonly outcome: string;
  /** ISO 8601, when the attempt ended. */
  readonly at: string;
}

/** What a voice challenge keeps besides the common fields (R10–R15). */
export interface VoiceChallengeState {
  /** The numbers called in order, masked: primary first, then the backups (R13). */
  readonly numbers: readonly string[];
  readonly attempts: readonly VoiceAttemptRecord[];
}

export interface Challenge {
  readonly challengeId: string;
  readonly tenantId: string;
  readonly userId: string;
  readonly method: Factor;
  readonly status: StoredStatus;
  readonly denialReason?: DenialReason;
  /** HMAC of the current code (R1); absent once the challenge is finished. */
  readonly codeHash?: string;
  readonly wrongAttempts: number;
  readonly sends: number;
  readonly createdAt: number;
  readonly lastSentAt: number;
  /** Epoch milliseconds after which the code is void (R1). */
  readonly expiresAt: number;
  readonly approvedAt?: number;
  /** Masked destination, for status answers and logs. */
  readonly destination: string;
  /** Where codes for this challenge go (kept for resends; never logged or returned). */
  readonly destinationE164: string;
  /** What the auth log repeats on every event of this challenge (R23). */
  readonly audit: ChallengeAudit;
  /** Voice challenges only: the numbers and the calls so far. */
  readonly voice?: VoiceChallengeState;
  /** Push challenges only: the device prompted and the number the sign-in screen shows (R9). */
  readonly push?: { readonly deviceId: string; readonly number: number };
  /**
   * Passkey challenges only: the WebAuthn request options the browser gets (with this challenge's
   * own random challenge), and the policy the assertion is checked against, as it was at creation.
   */
  readonly passkey?: { readonly options: PasskeyRequestOptions; readonly origins: readonly string[]; readonly allowSynced: boolean };
  /** The user as it was when the challenge started: an approval needs it unchanged (not deleted or reset). */
  readonly owner?: ChallengeOwner;
  /**
   * R8: the user had a wrong-code streak when the challenge started, so its approval must end it.
   * Without one (and without a wrong code on this challenge) the approval writes no streak reset.
   */
  readonly streakAtStart?: true;
  /**
   * R14: set with the final status of a challenge denied for a fraud report (epoch ms), and
   * removed once the report's effects (notifications, block) are done: until then they are owed.
   */
  readonly fraudReportPendingSince?: number;
}

/** The user's details and the request's context, copied once at creation for the auth log. */
export interface ChallengeAudit {
  readonly firstName?: string;
  readonly lastName?: string;
  readonly email?: string;
  readonly clientIp?: string;
  readonly appName?: string;
  /** The gateway a relay named (the RADIUS front end's client), for the auth log (R23). */
  readonly gateway?: Gateway;
  /**
   * The calling application (R23), for events that happen after the request that created the
   * challenge returned: the voice rollover's calls and its result.
   */
  readonly caller?: Caller;
}

/** What the API answers about a challenge: never the code, its hash or the full number. */
export interface ChallengeView {
  readonly challengeId: string;
  readonly userId: string;
  readonly method: Factor;
  readonly status: ChallengeStatus;
  readonly reason?: string;
  readonly destination: string;
  readonly createdAt: string;
  readonly expiresAt: string;
  readonly attemptsRemaining: number;
  readonly resendsRemaining: number;
  /** R9: push challenges: the number the sign-in screen shows, which the user enters on the phone. */
  readonly number?: number;
  /** Voice challenges: the number being called now (masked) and the calls that ended (R13). */
  readonly voice?: {
    readonly calling?: string;
    readonly attempts: readonly { readonly number: string; readonly outcome: string; readonly at: string }[];
  };
  /** Passkey challenges, while pending: the options for the browser's `navigator.credentials.get()`. */
  readonly publicKey?: PasskeyRequestOptions;
}

/** WebAuthn's PublicKeyCredentialRequestOptionsJSON, as Tessera fills it in. */
export interface PasskeyRequestOptions {
  readonly challenge: string;
  readonly rpId: string;
  readonly timeout: number;
  readonly userVerification: 'required' | 'preferred';
  readonly allowCredentials: readonly { readonly id: string; readonly type: 'public-key'; readonly transports?: readonly string[] }[];
}

/** The relying application behind a request, as the auth log names it (R23). */
export interface Caller {
  readonly keyId: string;
  readonly keyName: string;
  readonly sourceIp?: string;
}

export const LOG_RESULTS = ['sent', 'approved', 'denied', 'failed', 'throttled'] as const;
export type LogResult = (typeof LOG_RESULTS)[number];

/** What an auth-log line is about: a factor, a legacy client's app password (R21), or a remembered-device check (issue 16). */
export const LOG_METHODS = [...FACTORS, 'app_password', 'remembered_device'] as const;
export type LogMethod = (typeof LOG_METHODS)[number];

/** One auth-log line (R23). Phone numbers are masked before they get here. */
export interface AuthLogEntry {
  readonly logId: string;
  readonly tenantId: string;
  readonly time: string;
  readonly userId: string;
  readonly firstName?: string;
  readonly lastName?: string;
  readonly email?: string;
  readonly phone?: string;
  readonly deviceToken?: string;
  /** Absent only on a challenge refused before a method was chosen (an unknown user, say). */
  readonly method?: LogMethod;
  readonly event: 'challenge' | 'verify' | 'resend' | 'call';
  readonly result: LogResult;
  readonly reason?: string;
  readonly challengeId?: string;
  readonly apiKeyId: string;
  readonly apiKeyName: string;
  readonly serverIp?: string;
  readonly clientIp?: string;
  readonly gatewayName?: string;
  readonly gatewayIp?: string;
}

/** A gateway behind a relay (a VPN gateway behind the RADIUS front end): its name and address. */
export interface Gateway {
  readonly name: string;
  readonly ip?: string;
}

export interface Notification {
  readonly notificationId: string;
  readonly tenantId: string;
  readonly time: string;
  readonly type: 'user_blocked' | 'user_unblocked' | 'fraud_reported' | 'passkey_counter_regressed' | 'recovery_code_used';
  readonly userId?: string;
  readonly message: string;
}

/** Phone platforms push notifications go to: APNs (iOS) and FCM (Android). */
export const PUSH_PLATFORMS = ['ios', 'android'] as const;
export type PushPlatform = (typeof PUSH_PLATFORMS)[number];

/** R18: which device a user's pushes go to, and under which provider generation it was activated. */
export interface PushRegistration {
  readonly deviceId: string;
  readonly platform: PushPlatform;
  readonly generation: number;
  readonly activatedAt: string;
}
