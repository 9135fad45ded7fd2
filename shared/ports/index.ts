import type { ChallengeView } from '../domain/challenges';
import type { PushActivationRecord, PushDeviceRecord } from '../domain/push-devices';
import type { UserThrottleState } from '../domain/throttling';
import type { VoiceRolloverInput } from '../voice/schemas';
import type { AppAuthenticatorRecord, AppEnrollmentRecord, AppPasswordRecord, OathTokenRecord, OtpStepUse } from '../domain/otp/records';
import type {
  ApiKeyRecord,
  AuthLogEntry,
  Challenge,
  ChallengeOwner,
  DenialReason,
  Factor,
  LogMethod,
  LogResult,
  Notification,
  PhoneType,
  PushPlatform,
  Provider,
  Tenant,
  TenantCaps,
  TenantSettings,
  User,
  VoiceAttemptRecord,
} from '../domain/types';

/** Time, injected so tests and the local runtime can move it without sleeping. */
export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
}

/** Structured logger; Powertools' Logger satisfies it. Never pass codes, secrets or full numbers. */
export interface Log {
  debug(message: string, ...extra: Record<string, unknown>[]): void;
  info(message: string, ...extra: Record<string, unknown>[]): void;
  warn(message: string, ...extra: Record<string, unknown>[]): void;
  error(message: string, ...extra: Record<string, unknown>[]): void;
}

/** The business metrics Tessera publishes (CloudWatch, namespace `Tessera`); see shared/domain/metrics.ts. */
export const METRIC_NAMES = [
  'Challenges',
  'Verifications',
  'Approvals',
  'Denials',
  'DeliveryFailures',
  'Throttled',
  'Resends',
  'VoiceCalls',
  'VoiceRollovers',
  'SmsSent',
  'SmsProviderFailures',
  'SmsFailovers',
  'SmsUndelivered',
] as const;

export type MetricName = (typeof METRIC_NAMES)[number];

/** Dimensions kept to a few values each (never a tenant, user or number: each value is a metric billed). */
export type MetricDimensions = Readonly<Partial<Record<'method' | 'result' | 'reason' | 'provider', string>>>;

/** Counters for dashboards and alarms; Powertools Metrics (EMF) on AWS, in memory locally. */
export interface Metrics {
  count(name: MetricName, value: number, dimensions?: MetricDimensions): void;
}

export interface IdempotencyRecord {
  readonly tenantId: string;
  readonly key: string;
  /** SHA-256 of the canonical request body: same key with another body is a conflict. */
  readonly requestHash: string;
  readonly challengeId: string;
  /** Epoch milliseconds after which the record is gone. */
  readonly expiresAt: number;
  /** The answer first given, replayed if the challenge itself has expired and gone. */
  readonly view: ChallengeView;
}

/** A usage counter to bump: one per tenant, day, method and result (R23 usage report). */
export interface UsageIncrement {
  readonly tenantId: string;
  /** YYYY-MM-DD, UTC. */
  readonly day: string;
  readonly method: Factor;
  readonly result: LogResult;
  /** +1 normally; −1 to take back a count (a `sent` that turned out `failed`). */
  readonly delta: number;
}

export type CounterName = 'number_rate' | 'tenant_rate' | 'tenant_requests' | 'source_rate';

/** Throttle writes that go in the same transaction as the challenge change they allow (R6, R8). */
export interface ThrottleWrites {
  /** Compare-and-set of the user's sliding log (R6): fails if another send got there first. */
  readonly userLog?: {
    readonly tenantId: string;
    readonly userId: string;
    readonly recent: readonly number[];
    readonly expectedVersion: number;
    /** The wrong-code streak was found stale (R8): forget it. */
    readonly resetStreak?: boolean;
  };
  /**
   * Fixed-window counters that must stay below their limit: per destination number (subject:
   * the E.164 number, stored hashed) and per tenant (subject: the tenant id).
   */
  readonly counters?: readonly { readonly name: CounterName; readonly subject: string; readonly limit: number; readonly windowSeconds: number; readonly now: number }[];
  /** R8: a wrong code lengthens the user's streak; an approval ends it. */
  readonly streak?: { readonly tenantId: string; readonly userId: string; readonly change: 'wrong' | 'reset'; readonly now: number };
  /**
   * R7: the user's fatigue state after this change, compare-and-set on the version read, so that
   * prompts a finished challenge counts are counted with its final status.
   */
  readonly fatigue?: {
    readonly tenantId: string;
    readonly userId: string;
    readonly denials: readonly number[];
    readonly pausedUntil?: number;
    readonly expectedVersion: number;
  };
}

/** What is written atomically with a challenge change: its auth-log line, usage counts and throttle state. */
export interface Audit {
  readonly log: AuthLogEntry;
  readonly usage: readonly UsageIncrement[];
  readonly throttle?: ThrottleWrites;
  /**
   * R24: the provider its `sent` counts are billed to. The store meters them for the billing run
   * in the same transaction, so billed units always equal the usage report's `sent`.
   */
  readonly billedTo?: string;
}

/** Why a throttled change was refused by the store: a full counter, or a lost race on the user's log. */
export type ThrottleRefusal = { readonly kind: 'throttled'; readonly by: CounterName | 'user_log_changed' };

export type CreateOutcome =
  | { readonly kind: 'created' }
  | { readonly kind: 'replayed'; readonly record: IdempotencyRecord }
  | ThrottleRefusal;

/** The outcome of a conditional change: done, or refused with the item as it is now (if any). */
export type ConditionalOutcome =
  | { readonly kind: 'done' }
  | { readonly kind: 'refused'; readonly current?: Challenge }
  | ThrottleRefusal;

/** An approval's check, in the same transaction, that the challenge's user is still the one it was issued to. */
export type OwnerCheck = ChallengeOwner & { readonly tenantId: string; readonly userId: string };

/**
 * A change that may approve: `revoked` when the challenge's user was deleted or reset since it
 * started (the `owner` check failed), so it can never be approved (R19).
 */
export type SettleOutcome = ConditionalOutcome | { readonly kind: 'revoked' };

/**
 * Challenges and their Idempotency-Key records. Every change is one conditional write together
 * with its audit (log line and usage count), so concurrent verifies and resends are decided by
 * the store, and no approval exists without its log entry.
 */
export interface ChallengeStore {
  /** Stores a new challenge, atomically with its idempotency record (if any) and its audit. */
  create(challenge: Challenge, audit: Audit, idempotency?: IdempotencyRecord): Promise<CreateOutcome>;
  get(challengeId: string): Promise<Challenge | undefined>;
  /** The Idempotency-Key record of this tenant and key, if one exists. */
  getIdempotency(tenantId: string, key: string): Promise<IdempotencyRecord | undefined>;
  /**
   * Approves when the challenge belongs to the tenant, is pending, unexpired at `now`, has fewer
   * than the allowed wrong codes, and its code hash equals `codeHash`. Clears the hash (R2).
   * A code-factor challenge (app, oath) has no hash: `otp` is the time step to record instead,
   * in the same transaction, compare-and-set (R5); `step_used` when it was already recorded.
   */
  approve(
    input: { challengeId: string; tenantId: string; codeHash?: string; now: number; maxWrong: number; otp?: OtpStepUse; owner?: OwnerCheck },
    audit: Audit,
  ): Promise<ApproveOutcome>;
  /**
   * Counts one wrong code, under the same pending/unexpired/not-locked conditions, if the count
   * is still `seenWrongAttempts` (so the caller knows the new count exactly).
   */
  recordWrongCode(
    input: { challengeId: string; tenantId: string; now: number; maxWrong: number; seenWrongAttempts: number },
    audit: Audit,
  ): Promise<ConditionalOutcome>;
  /**
   * Replaces the code (R3 resend) when the challenge is pending, unexpired, not locked, has sent
   * fewer than `maxSends` codes and last sent at or before `sentBefore`.
   */
  replaceCode(
    input: {
      challengeId: string;
      tenantId: string;
      codeHash: string;
      now: number;
      expiresAt: number;
      maxWrong: number;
      maxSends: number;
      sentBefore: number;
    },
    audit: Audit,
  ): Promise<ConditionalOutcome>;
  /** Marks a pending challenge denied (for example when no SMS provider took the message). */
  deny(input: { challengeId: string; reason: DenialReason }, audit: Audit): Promise<void>;
}

/**
 * The voice rollover's writes to its challenge (R10–R14). Kept apart from ChallengeStore because
 * only the finish step makes them; DynamoDB's challenge store implements both.
 */
export interface VoiceChallengeStore {
  get(challengeId: string): Promise<Challenge | undefined>;
  /**
   * Appends one finished call to a pending challenge, only if it is the next one
   * (`attempt.index` equals the calls recorded so far): a retried step records nothing twice.
   */
  recordAttempt(input: { challengeId: string; tenantId: string; attempt: VoiceAttemptRecord }): Promise<ConditionalOutcome>;
  /**
   * Approves or denies a pending challenge with every call of the rollover, atomically with
   * the audits (one per call, one for the result). An approval also needs the challenge
   * unexpired at `now`. Refused when it is no longer pending: the finish step is idempotent.
   */
  finish(
    input: {
      challengeId: string;
      tenantId: string;
      result: { kind: 'approve' } | { kind: 'deny'; reason: DenialReason };
      attempts: readonly VoiceAttemptRecord[];
      now: number;
      owner?: OwnerCheck;
      /** R14: the fraud report's effects are owed from this time (epoch ms) until `fraudReportDone`. */
      fraudReportPendingSince?: number;
    },
    audits: readonly Audit[],
  ): Promise<SettleOutcome>;
  /** R14: the fraud report's effects are all done; a retried finish step has nothing left to do. */
  fraudReportDone(input: { challengeId: string; tenantId: string }): Promise<void>;
}

/** A page of a list, and the opaque cursor of the next page (absent on the last). */
export interface Page<T> {
  readonly items: T[];
  readonly cursor?: string;
}

/** Tenants, their provider and settings, and the API keys that authenticate them. */
export interface TenantStore {
  /** Creates the tenant and its first keys in one transaction. */
  createTenant(tenant: Tenant, keys: readonly ApiKeyRecord[]): Promise<void>;
  getTenant(tenantId: string): Promise<Tenant | undefined>;
  /** The key and its tenant, in one read. */
  getKeyAndTenant(tenantId: string, keyId: string): Promise<{ key?: ApiKeyRecord; tenant?: Tenant }>;
  /**
   * Sets (or with `undefined`, removes) the provider, only if the tenant's provider generation
   * is still `expectedGeneration`: two admins racing cannot both win.
   */
  setProvider(
    tenantId: string,
    provider: Provider | undefined,
    expectedGeneration: number,
    /** On removal: the provider removed and when, kept in its history for billing (R17, R26). */
    removed?: { readonly provider: Provider; readonly at: string },
  ): Promise<boolean>;
  setSettings(tenantId: string, settings: TenantSettings, encryptedWebhookSecret?: string | null): Promise<void>;
  /** R6: the operator's per-second caps of a tenant (absent ones are the defaults); false when there is no such tenant. */
  setCaps(tenantId: string, caps: TenantCaps): Promise<boolean>;
  /**
   * R15: replaces the tenant's assigned caller IDs, only if its settings' callerId is still
   * `expectedCallerId` (undefined: none), and with `clearCallerId` removes that callerId in the
   * same write, keeping the other settings. False when there is no such tenant or its callerId changed.
   */
  setCallerIds(tenantId: string, callerIds: readonly string[], expectedCallerId: string | undefined, clearCallerId: boolean): Promise<boolean>;
  putApiKey(key: ApiKeyRecord): Promise<void>;
  /** Updates a key of this tenant; false when there is no such key for the tenant. */
  updateApiKey(tenantId: string, keyId: string, change: { revokedAt?: string; expiresAt?: string }): Promise<boolean>;
  listApiKeys(tenantId: string): Promise<ApiKeyRecord[]>;
}

/** Per-user throttling state (R6–R8); writes that must be atomic with a challenge go through ChallengeStore. */
export interface ThrottleStore {
  getUserState(tenantId: string, userId: string): Promise<UserThrottleState>;
  /** The admin clears a fatigue pause and the wrong-code streak. */
  clear(tenantId: string, userId: string): Promise<void>;
  /**
   * Takes one unit of a fixed-window counter if it is below its limit (one conditional write,
   * outside any transaction: a counter every request of a tenant touches must not make their
   * transactions conflict). False when the window is full.
   */
  take(counter: { name: CounterName; subject: string; limit: number; windowSeconds: number; now: number }): Promise<boolean>;
}

/** Where a tenant's users live: the provider's user space (R18). */
export interface UserScope {
  readonly tenantId: string;
  readonly space: string;
}

export interface UserQuery {
  readonly limit: number;
  readonly cursor?: string;
  /** Users whose id starts with this. */
  readonly prefix?: string;
  readonly mfaEnabled?: boolean;
  readonly blocked?: boolean;
}

/** A conditional user write: `written` with the version stored, or `changed` when the user was not as read. */
export type UserWrite = { readonly kind: 'written'; readonly version: number } | { readonly kind: 'changed' };

export interface UserStore {
  /**
   * Creates or replaces the user, only if it is still as read (optimistic locking):
   * `expectedVersion` is the version read (0 for a user stored before versions existed), or
   * undefined to create a user that must not exist yet. The stored version is one more.
   */
  putUser(scope: UserScope, user: User, expectedVersion?: number): Promise<UserWrite>;
  getUser(scope: UserScope, userId: string): Promise<User | undefined>;
  listUsers(scope: UserScope, query: UserQuery): Promise<Page<User>>;
}

/**
 * R19/R21/R22: ends everything a user can authenticate with — app passwords, the authenticator
 * app and its enrolment, the OATH token assignment (the token goes back to the pool) and the
 * push device — in one transaction with the change to the user item, conditional on the
 * version read: it applies whole or not at all. Credentials it cannot find (pending challenges,
 * activation codes) die with the user's credential epoch.
 */
export interface UserCredentialStore {
  /** Deletes the user as read and its credentials; `changed` when the user is gone or was changed meanwhile. */
  deleteUser(scope: UserScope, user: User): Promise<UserWrite>;
  /** Replaces the user as read by `after` (its reset) and deletes its credentials, app passwords included. */
  resetUser(scope: UserScope, before: User, after: User): Promise<UserWrite>;
}

export interface AuthLogQuery {
  readonly from: string;
  readonly to: string;
  readonly userId?: string;
  readonly method?: LogMethod;
  readonly result?: LogResult;
  readonly limit: number;
  readonly cursor?: string;
}

/** Auth logs (R23), newest first; kept 90 days. */
export interface AuthLogStore {
  /** For log lines that do not go with a challenge change (a refused or throttled request). */
  append(audit: Audit): Promise<void>;
  list(tenantId: string, query: AuthLogQuery): Promise<Page<AuthLogEntry>>;
}

export interface UsageRow {
  readonly day: string;
  readonly method: Factor;
  readonly result: LogResult;
  readonly count: number;
}

export interface UsageStore {
  /** Every counter of the tenant for a month (YYYY-MM). */
  month(tenantId: string, month: string): Promise<UsageRow[]>;
}

export interface NotificationStore {
  add(notification: Notification): Promise<void>;
  listNotifications(tenantId: string, query: { limit: number; cursor?: string }): Promise<Page<Notification>>;
}

/** POSTs a signed admin notification to a tenant's webhook. Best effort: never throws. */
export interface WebhookSender {
  post(url: string, body: string, headers: Record<string, string>): Promise<{ ok: boolean; status?: number }>;
}

/** R30: what kind of line a number is. Pinpoint's PhoneNumberValidate on AWS, the library locally. */
export interface PhoneClassifier {
  classify(e164: string): Promise<PhoneType>;
}

export interface SigningKeyRecord {
  readonly kid: string;
  /** Public key as a JWK (kty EC, crv P-256). */
  readonly publicJwk: Record<string, unknown>;
  /** Private key JWK, encrypted by the SecretBox. */
  readonly encryptedPrivateKey: string;
  readonly createdAt: number;
  /** Epoch ms from which it signs (R4: a "next" key is published first); absent: from `createdAt`. */
  readonly signsFrom?: number;
}

/** Assertion signing keys (R4). Old keys stay listed so assertions already issued still verify. */
export interface SigningKeyStore {
  list(): Promise<SigningKeyRecord[]>;
  put(record: SigningKeyRecord): Promise<void>;
}

/** Small service-wide secrets (the code HMAC key), stored encrypted. */
export interface ServiceSecretStore {
  get(name: string): Promise<string | undefined>;
  /** Stores only if absent; returns what is stored afterwards (the winner of a race). */
  putIfAbsent(name: string, encrypted: string): Promise<string>;
}

/** R28: the kinds of sealed secret. On AWS each handler may seal or open only the kinds it needs. */
export const SECRET_KINDS = [
  'code-hmac-key',
  'cursor-hmac-key',
  'throttle-hmac-key',
  'assertion-signing-key',
  'totp-secret',
  'oath-secret',
  'push-device-key',
  'webhook-secret',
] as const;
export type SecretKind = (typeof SECRET_KINDS)[number];

/** What a ciphertext is bound to: its kind, its tenant (none for service-wide secrets) and its record. */
export interface SecretContext {
  readonly kind: SecretKind;
  readonly tenantId?: string;
  /** The one record it belongs to (user, token, device), e.g. `otp:app:<tenant>:<space>:<user>`. */
  readonly binding: string;
}

/**
 * Encrypts secrets at rest (R28): KMS on AWS, an AES-256-GCM master key locally. `context`
 * binds a ciphertext to its kind, tenant and record, so one cannot be replayed as another.
 */
export interface SecretBox {
  encrypt(plaintext: Uint8Array, context: SecretContext): Promise<string>;
  decrypt(ciphertext: string, context: SecretContext): Promise<Uint8Array>;
}

export interface SmsMessage {
  /** E.164 destination. */
  readonly to: string;
  readonly body: string;
}

/** Sends one SMS (R16). Throws when the provider refuses; the failover sender tries the next. */
export interface SmsSender {
  readonly name: string;
  send(message: SmsMessage): Promise<{ readonly provider: string; readonly messageId: string }>;
}

// Voice factor (R10–R15)

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** One call to place: the callee answers it by pressing keys (R10). */
export interface VoiceCall {
  /** E.164 number to call. */
  readonly to: string;
  /** E.164 number shown to the callee: the tenant's caller ID (R15, best effort). */
  readonly callerId: string;
  /** What the call says (R10). */
  readonly prompt: string;
  /** The Step Functions task token the call's outcome is reported with. Never logged. */
  readonly taskToken: string;
}

/**
 * Places voice calls: Chime SDK PSTN audio on AWS, the telephone simulator locally. `dial` only
 * starts the call; its outcome arrives later, through TaskCallbacks, with the call's task token.
 * Throws when the call cannot be placed.
 */
export interface VoiceDialer {
  dial(call: VoiceCall): Promise<{ readonly callId: string }>;
}

/**
 * Whether a callback reached a waiting task. `expired`: the task is no longer waiting (it timed
 * out, or its execution ended), so the report changed nothing.
 */
export type CallbackDelivery = { readonly kind: 'delivered' } | { readonly kind: 'expired' };

/**
 * Completes a `.waitForTaskToken` task: Step Functions' SendTaskSuccess / SendTaskFailure on AWS,
 * the in-process callback registry locally. Throws for a token that was never issued.
 */
export interface TaskCallbacks {
  sendTaskSuccess(taskToken: string, output: JsonValue): Promise<CallbackDelivery>;
  sendTaskFailure(taskToken: string, failure: { readonly error: string; readonly cause?: string }): Promise<CallbackDelivery>;
  /** Whether the task still waits (SendTaskHeartbeat): `expired` once it timed out or its execution ended. Changes nothing. */
  sendTaskHeartbeat(taskToken: string): Promise<CallbackDelivery>;
}

/**
 * Starts one voice rollover (R13): a Standard Step Functions execution on AWS, the same
 * definition run in-process locally. Returns at once with the execution's id; the result comes
 * back through the finish step, never through the caller.
 */
export interface VoiceRollover {
  start(input: VoiceRolloverInput): Promise<string>;
}

// Code factors (R5, R22) and app passwords (R21)

/** The outcome of an approval: a code factor's time step can also have been used meanwhile (R5). */
export type ApproveOutcome = SettleOutcome | { readonly kind: 'step_used' };

/**
 * Authenticator-app secrets, enrolments and OATH hardware tokens (R5, R22), all sealed by the
 * SecretBox before they get here. Changes that must agree with the user record (the user's
 * `authenticator` and `oathToken` markers) are one transaction.
 */
export interface OtpCredentialStore {
  putAppEnrollment(enrollment: AppEnrollmentRecord): Promise<void>;
  getAppEnrollment(scope: UserScope, userId: string): Promise<AppEnrollmentRecord | undefined>;
  /**
   * Makes the enrolment the user's authenticator (replacing any earlier one), removes the
   * enrolment and marks the user, atomically. False when the enrolment or the user is gone.
   */
  confirmAppEnrollment(scope: UserScope, enrollmentId: string, authenticator: AppAuthenticatorRecord): Promise<boolean>;
  getAppAuthenticator(scope: UserScope, userId: string): Promise<AppAuthenticatorRecord | undefined>;
  /** Removes the authenticator and the user's marker; false when there was none. */
  deleteAppAuthenticator(scope: UserScope, userId: string): Promise<boolean>;
  /** Stores a token unless the tenant already has that serial (false then). */
  putOathToken(token: OathTokenRecord): Promise<boolean>;
  getOathToken(tenantId: string, serial: string): Promise<OathTokenRecord | undefined>;
  listOathTokens(tenantId: string, query: { limit: number; cursor?: string }): Promise<Page<OathTokenRecord>>;
  /** Assigns an unassigned token to a user without one, atomically with the user's marker. */
  assignOathToken(
    tenantId: string,
    serial: string,
    scope: UserScope,
    userId: string,
    at: string,
  ): Promise<'done' | 'no_token' | 'token_assigned' | 'no_user' | 'user_has_token'>;
  /** Takes the token from its user; false when it was not assigned. */
  unassignOathToken(tenantId: string, serial: string): Promise<boolean>;
  /** Records an accepted step outside a challenge (enrolment, resync); false when a later one is already recorded. */
  useStep(use: OtpStepUse): Promise<boolean>;
}

/** R21: app passwords, hashed. */
export interface AppPasswordStore {
  /** Adds one unless the user already has `max` (false then). */
  addAppPassword(record: AppPasswordRecord, max: number): Promise<boolean>;
  /** At most `max` of the user's app passwords. */
  listAppPasswords(scope: UserScope, userId: string, max: number): Promise<AppPasswordRecord[]>;
  deleteAppPassword(scope: UserScope, userId: string, passwordId: string): Promise<boolean>;
  /** Deletes them all (lost phone); returns how many there were. */
  deleteAllAppPasswords(scope: UserScope, userId: string): Promise<number>;
}

// Billing (R24–R26)

/** A provider from the tenant's history, with its deletion time once it was deleted. */
export interface ProviderPeriod {
  readonly provider: Provider;
  readonly deletedAt?: string;
}

export interface BillingTenant {
  readonly tenantId: string;
  readonly name: string;
}

/** What one tenant used in one month, read from the per-tenant monthly meters (never a Scan). */
export interface MonthlyMeter {
  /** R24: challenges created and delivered, per provider id. */
  readonly authentications: Readonly<Record<string, number>>;
  /** R25: users enabled for MFA and not licensed at some moment of the month, per user space. */
  readonly users: Readonly<Record<string, number>>;
}

/** The billing run's reads: tenants from the tenant index, provider history, monthly meters. */
export interface BillingStore {
  /** Every tenant, a page at a time, from the tenant index. */
  tenantPages(): AsyncIterable<BillingTenant[]>;
  providerHistory(tenantId: string): Promise<ProviderPeriod[]>;
  /** `month` is YYYY-MM; `end` the ISO instant the month ends (exclusive). */
  meter(tenantId: string, month: string, end: string): Promise<MonthlyMeter>;
}

/** Where the finance export goes: the export bucket on AWS, a folder of the data directory locally. */
export interface ExportSink {
  put(key: string, body: string, contentType: string): Promise<void>;
}

// Push (R9, R18)

/** Push activation codes and activated devices (R18), in the tenants table. */
export interface PushDeviceStore {
  putActivation(activation: PushActivationRecord): Promise<void>;
  /** The activation with this code hash, if it is unexpired at `now`; nothing is spent (R18). */
  findActivation(codeHash: string, now: number): Promise<PushActivationRecord | undefined>;
  /**
   * Spends the activation code (still unexpired at `now`), stores the device and points the user
   * at it (`User.push`), in one transaction: a code is spent only by an activation that succeeds,
   * and works once even when two phones race with it (`code_spent`); `no_user` when the user is gone.
   */
  activateDevice(
    activation: { codeHash: string; now: number },
    scope: UserScope,
    device: PushDeviceRecord,
    marker: NonNullable<User['push']>,
  ): Promise<'done' | 'code_spent' | 'no_user'>;
  getDevice(deviceId: string): Promise<PushDeviceRecord | undefined>;
}

/** The writes that finish a push challenge (R9); DynamoDB's challenge store implements them. */
export interface PushChallengeStore {
  get(challengeId: string): Promise<Challenge | undefined>;
  /**
   * Approves or denies a pending push challenge of the tenant, with its audit. The device's
   * answer needs the challenge unexpired at `now`; a `timeout` denial needs it expired, so of
   * all who observe a timeout exactly one writes it (and counts it for fatigue, R7).
   */
  settlePush(
    input: { challengeId: string; tenantId: string; result: { kind: 'approve' } | { kind: 'deny'; reason: DenialReason }; now: number; owner?: OwnerCheck },
    audit: Audit,
  ): Promise<SettleOutcome>;
  /**
   * R7: ids of pushes still listed as open whose deadline is at or before `now`, a page at a
   * time. The listing may lag a write: read each challenge before acting on it.
   */
  duePushes(now: number): AsyncIterable<string[]>;
}

/** What a push prompt shows on the phone (R9): never the number to match. */
export interface PushPrompt {
  readonly deviceId: string;
  readonly challengeId: string;
  readonly appName?: string;
  readonly location?: string;
  readonly clientIp?: string;
  readonly expiresAt: string;
}

/**
 * Push notifications to phones: SNS mobile push (platform endpoints) on AWS, the device
 * simulator locally. Throws when the notification cannot be sent.
 */
export interface PushSender {
  /** Registers the phone's push token; returns the endpoint to send to (an SNS endpoint ARN on AWS). */
  register(input: { platform: PushPlatform; token: string; deviceId: string }): Promise<string>;
  send(endpoint: string, prompt: PushPrompt): Promise<void>;
}
