import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoBillingStore } from './adapters/dynamo/billing-store';
import { DynamoChallengeReader } from './adapters/dynamo/challenge-reader';
import { DynamoChallengeStore } from './adapters/dynamo/challenge-store';
import { ChallengeProjection, PROJECTION_SKIPPED } from './adapters/dynamo/challenge-projection';
import { ProjectionReplay } from './adapters/dynamo/projection-replay';
import { DynamoJobStore } from './adapters/dynamo/job-store';
import { DynamoKeyMaterialStore } from './adapters/dynamo/key-material-store';
import { DynamoLogStore } from './adapters/dynamo/log-store';
import { DynamoNotificationStore } from './adapters/dynamo/notification-store';
import { DynamoOtpStore } from './adapters/dynamo/otp-store';
import { DynamoPasskeyStore } from './adapters/dynamo/passkey-store';
import { DynamoRememberedDeviceStore } from './adapters/dynamo/remembered-device-store';
import { DynamoRecoveryStore } from './adapters/dynamo/recovery-store';
import { DynamoStepUpStore } from './adapters/dynamo/challenge-uses';
import { DynamoPushDeviceStore } from './adapters/dynamo/push-store';
import { DynamoTenantStore } from './adapters/dynamo/tenant-store';
import { DynamoThrottleStore, DynamoUserWithThrottle } from './adapters/dynamo/throttle-store';
import { DynamoUserCredentialStore } from './adapters/dynamo/user-credentials';
import { simpleWebAuthnAssertions, simpleWebAuthnRegistrations } from './adapters/webauthn/simplewebauthn';
import { CachedPhoneClassifier } from './adapters/phone/cached-phone-classifier';
import { pinnedWebhookSender } from './adapters/webhook/fetch-webhook-sender';
import { loadConfig, type AwsConfig, type Config, type LocalConfig } from './config';
import { ApiKeyAuthenticator, ApiKeyService, RecentKeys } from './domain/api-keys';
import { AppPasswordService } from './domain/app-password-service';
import { AssertionSigner } from './domain/assertions';
import { AuthLogService } from './domain/auth-log';
import { BillingService } from './domain/billing';
import { CallerIdService } from './domain/caller-ids';
import { ChallengeService, type ChallengeDeps } from './domain/challenges';
import { ChallengeVerifier } from './domain/challenge-verifier';
import { ChallengeStatusReader } from './domain/challenge-status';
import { PageCursors } from './domain/cursors';
import { DeliveryFailedError } from './domain/errors';
import { buildFactors, buildFactorStatuses } from './domain/factors';
import type { PushFactorDeps } from './domain/factors/push';
import { JobService } from './domain/jobs/service';
import { JobCompleter } from './domain/jobs/completer';
import { JobWorker } from './domain/jobs/worker';
import { metricsOfAudits } from './domain/metrics';
import { NotificationService } from './domain/notifications';
import { AuthenticatorService } from './domain/otp/authenticator';
import { OtpChecker } from './domain/otp/checker';
import { OathTokenService } from './domain/otp/oath-tokens';
import { RememberedDeviceService } from './domain/remembered-devices';
import { PasskeyService } from './domain/passkeys';
import { AccessPassService } from './domain/access-pass-service';
import { RecoveryCodeService } from './domain/recovery-code-service';
import { MethodRegistrationService } from './domain/method-registrations';
import { PushActivation } from './domain/push-activation';
import { PushService } from './domain/push-devices';
import { PushSettlement } from './domain/push-settlement';
import { RequestCaps } from './domain/request-caps';
import { CodeKey, CursorKey, ThrottleKey } from './domain/service-secrets';
import { SettingsService } from './domain/settings';
import { TenantService } from './domain/tenants';
import { UserService } from './domain/users';
import { VoiceRolloverRecorder } from './domain/voice';
import { routeHandlers } from './http/routes';
import { API_KEY_CACHE_SECONDS } from './rules';
import { serviceLogger } from './observability';
import type { Audit, Clock, ExportSink, JobRunner, Log, Metrics, ObjectStore, PhoneClassifier, ProjectionProgress, PushSender, SecretBox, SmsSender, VoiceRollover, WebAuthnAssertions } from './ports';
import type { Tenant } from './domain/types';
import * as aws from './roots/aws';
import { once } from './once';

/**
 * The composition root: every adapter and service a handler may take, each built the first time
 * it is asked for and then kept for the life of the container (one cold start). Handlers take
 * what they use, e.g. `const users = userService()`, and construct no service themselves.
 *
 * What differs between runtimes is only the adapters of a `Runtime`: on AWS those of
 * `roots/aws.ts` (the one place the SDK clients are built); the local runtime installs its own
 * (simulators, DynamoDB Local) with `installLocalRuntime` before it loads any handler module, so
 * no simulator is imported from here and no AWS bundle carries one.
 *
 * Each accessor is its own top-level export marked pure, so esbuild leaves out of a bundle every
 * accessor its handler never reaches, with the clients only that accessor needs.
 */

/** The adapters that differ between the runtimes; each is called at most once per container. */
export interface Runtime<C extends Config> {
  clock(config: C): Clock;
  metrics(config: C): Metrics;
  documentClient(config: C): DynamoDBDocumentClient;
  secretBox(config: C): SecretBox;
  smsSender(config: C, log: Log, metrics: Metrics): SmsSender;
  voiceRollover(config: C): VoiceRollover;
  pushSender(config: C): PushSender;
  phoneClassifier(config: C): PhoneClassifier;
  exportSink(config: C): ExportSink;
  /** R24: whether the challenge projection has caught up (its event source and failure queue; the local poller drained). */
  projectionProgress(config: C): ProjectionProgress;
  /** R19/R22: the bulk jobs' files (an S3 bucket; a folder behind signed local URLs). */
  objectStore(config: C): ObjectStore;
  /** R19/R22: what runs a started job's batches (the Distributed Map; the local driver). */
  jobRunner(config: C): JobRunner;
}

let localRuntime: Runtime<LocalConfig> | undefined;

/** The local runtime's root: installed once, before any handler module is loaded. */
export function installLocalRuntime(runtime: Runtime<LocalConfig>): void {
  localRuntime = runtime;
}

/** The checked configuration (fails by name on the first use, which handlers make at cold start). */
export const config = /* @__PURE__ */ once(loadConfig);

/** One adapter from the runtime the code runs in. */
function adapter<T>(ofLocal: (runtime: Runtime<LocalConfig>, config: LocalConfig) => T, ofAws: (config: AwsConfig) => T): () => T {
  return once(() => {
    const checked = config();
    if (checked.runtime === 'aws') return ofAws(checked);
    if (!localRuntime) throw new Error('The local runtime installs its adapters before it loads a handler');
    return ofLocal(localRuntime, checked);
  });
}

/** An adapter only the deployed handlers have (calls placed by Chime, the rollover's callbacks). */
function awsOnly<T>(ofAws: (config: AwsConfig) => T): () => T {
  return adapter(() => {
    throw new Error('AWS only: the local runtime simulates this');
  }, ofAws);
}

/** The container's one Logger: every line logged during an invocation carries its request id. */
export const log = serviceLogger;
export const clock = /* @__PURE__ */ adapter((local, c) => local.clock(c), aws.clock);
export const metrics = /* @__PURE__ */ adapter((local, c) => local.metrics(c), aws.metrics);
export const secretBox = /* @__PURE__ */ adapter((local, c) => local.secretBox(c), aws.secretBox);
const db = /* @__PURE__ */ adapter((local, c) => local.documentClient(c), aws.documentClient);
const smsSender = /* @__PURE__ */ adapter((local, c) => local.smsSender(c, log(), metrics()), (c) => aws.smsSender(c, log(), metrics()));
const voiceRollover = /* @__PURE__ */ adapter((local, c) => local.voiceRollover(c), aws.voiceRollover);
const pushSender = /* @__PURE__ */ adapter((local, c) => local.pushSender(c), aws.pushSender);
const phoneClassifier = /* @__PURE__ */ adapter((local, c) => local.phoneClassifier(c), aws.phoneClassifier);
const exportSink = /* @__PURE__ */ adapter((local, c) => local.exportSink(c), aws.exportSink);
const projectionProgress = /* @__PURE__ */ adapter((local, c) => local.projectionProgress(c), (c) => aws.projectionProgress(c, clock()));
const objectStore = /* @__PURE__ */ adapter((local, c) => local.objectStore(c), aws.objectStore);
const jobRunner = /* @__PURE__ */ adapter((local, c) => local.jobRunner(c), aws.jobRunner);
export const voiceDialer = /* @__PURE__ */ awsOnly(aws.voiceDialer);
export const taskCallbacks = /* @__PURE__ */ once(aws.taskCallbacks);
export const chimeVoice = /* @__PURE__ */ once(aws.chimeVoice);

/** Stands in for the SMS route in services that never send a text (verify, status). */
const noSms: SmsSender = {
  name: 'none',
  send: async () => {
    throw new DeliveryFailedError('This handler does not send text messages');
  },
};

/** Stands in for the voice rollover in services that never start a call (verify, status, resend). */
const noVoice: VoiceRollover = {
  start: async () => {
    throw new DeliveryFailedError('This handler does not start voice calls');
  },
};

/** Stands in for push notifications in services that never send one. */
const noPush: PushSender = {
  register: async () => {
    throw new Error('This handler does not register push devices');
  },
  send: async () => {
    throw new DeliveryFailedError('This handler does not send push notifications');
  },
};

const keyMaterial = /* @__PURE__ */ once(() => new DynamoKeyMaterialStore(db(), config().tenantsTable));
// R28: loaded (and on a new deployment created) only by a handler that counts a phone number.
const throttleKey = /* @__PURE__ */ once(() => new ThrottleKey({ secrets: keyMaterial(), box: secretBox() }));
const auditTables = /* @__PURE__ */ once(() => ({
  logsTable: config().logsTable,
  usageTable: config().usageTable,
  throttleTable: config().throttleTable,
  throttleKey: throttleKey(),
  // Challenges, verifications, denials by reason, throttles and rollovers, as the auth log records them.
  onCommitted: (audits: readonly Audit[]) => {
    for (const point of metricsOfAudits(audits)) metrics().count(point.name, point.value, point.dimensions);
  },
}));

/** R6/R27: the relying app's keys and tenants this container read (API_KEY_CACHE_SECONDS). */
export const recentKeys = /* @__PURE__ */ once(() => new RecentKeys(API_KEY_CACHE_SECONDS * 1000));
export const tenantStore = /* @__PURE__ */ once(() => new DynamoTenantStore(db(), config().tenantsTable, clock(), (tenantId) => recentKeys().forgetTenant(tenantId)));
export const billingStore = /* @__PURE__ */ once(() => new DynamoBillingStore(db(), { tenantsTable: config().tenantsTable, usageTable: config().usageTable }));
export const challengeStore = /* @__PURE__ */ once(() => new DynamoChallengeStore(db(), config().challengesTable, auditTables(), config().tenantsTable));
/** Reads challenges, writes none: the step-up checks of the credential services. */
const challengeReader = /* @__PURE__ */ once(() => new DynamoChallengeReader(db(), config().challengesTable));
/** R23/R24: the Challenges table's stream to log lines, usage and the billing meter. */
export const challengeProjection = /* @__PURE__ */ once(() => new ChallengeProjection(db(), { logsTable: config().logsTable, usageTable: config().usageTable }));
/**
 * Issue 18: the ranges of the Challenges stream the projection's event source gave up on, replayed
 * from its failure queue (AWS only: locally nothing gives up on a range).
 */
export const projectionReplay = /* @__PURE__ */ awsOnly((c) => {
  const { streams, streamArn, sqs, queueUrl } = aws.projectionFailures(c);
  const replay = new ProjectionReplay(streams, streamArn, challengeProjection(), (sequenceNumber, error) =>
    log().error(PROJECTION_SKIPPED, { sequenceNumber, error: error instanceof Error ? error.name : 'unknown' }),
  );
  return { replay, sqs, queueUrl };
});
export const otpStore = /* @__PURE__ */ once(() => new DynamoOtpStore(db(), config().tenantsTable));
export const logStore = /* @__PURE__ */ once(() => new DynamoLogStore(db(), auditTables()));
/** R14: the admins' notifications, apart from the auth log (no audit lines, counters or metrics). */
const notificationStore = /* @__PURE__ */ once(() => new DynamoNotificationStore(db(), config().logsTable));
export const throttleStore = /* @__PURE__ */ once(() => new DynamoThrottleStore(db(), config().throttleTable, throttleKey()));
/** R19: deletes and resets users together with their credentials. */
export const userCredentials = /* @__PURE__ */ once(() => new DynamoUserCredentialStore(db(), config().tenantsTable, tenantStore(), clock()));
const pushStore = /* @__PURE__ */ once(() => new DynamoPushDeviceStore(db(), config().tenantsTable));
const passkeyStore = /* @__PURE__ */ once(() => new DynamoPasskeyStore(db(), config().tenantsTable, config().challengesTable));
const rememberedDeviceStore = /* @__PURE__ */ once(() => new DynamoRememberedDeviceStore(db(), config().tenantsTable, config().challengesTable));
const recoveryStore = /* @__PURE__ */ once(() => new DynamoRecoveryStore(db(), config().tenantsTable, config().challengesTable));

export const signer = /* @__PURE__ */ once(() => new AssertionSigner({ keys: keyMaterial(), box: secretBox(), clock: clock(), issuer: config().issuer }));
export const requestCaps = /* @__PURE__ */ once(() => new RequestCaps({ throttle: throttleStore(), clock: clock() }));
export const authenticator = /* @__PURE__ */ once(() => new ApiKeyAuthenticator(tenantStore(), clock(), requestCaps(), recentKeys()));
/** An HTTP handler from its function's inputs table (shared/schemas/routes.ts) and a map of its routes, authenticated by their scope in ROUTES (`shared/http/routes.ts`). */
export const routeHandler = /* @__PURE__ */ routeHandlers({ authenticator, operatorKeySha256: () => config().operatorKeySha256, requestCaps, log });
/** R29: signs and checks every list cursor the API hands out. */
export const cursors = /* @__PURE__ */ once(() => new PageCursors(new CursorKey({ secrets: keyMaterial(), box: secretBox() })));
export const notifications = /* @__PURE__ */ once(
  () =>
    new NotificationService({
      store: notificationStore(),
      // SSRF: checked on every delivery; the local runtime may post to loopback so webhooks can be tried on one machine.
      webhook: pinnedWebhookSender({ allowLoopback: config().runtime === 'local' }),
      box: secretBox(),
      clock: clock(),
      log: log(),
    }),
);

export const tenantService = /* @__PURE__ */ once(() => new TenantService({ tenants: tenantStore(), clock: clock() }));
/** R15: the caller IDs the operator assigns a tenant. */
export const callerIdService = /* @__PURE__ */ once(() => new CallerIdService({ tenants: tenantStore() }));
export const settingsService = /* @__PURE__ */ once(() => new SettingsService({ tenants: tenantStore(), box: secretBox(), allowLoopbackWebhooks: config().runtime === 'local' }));
export const apiKeyService = /* @__PURE__ */ once(() => new ApiKeyService({ tenants: tenantStore(), clock: clock() }));
export const userService = /* @__PURE__ */ once(
  () => new UserService({ users: tenantStore(), credentials: userCredentials(), clock: clock(), phones: phoneClassifier(), notifications: notifications(), cursors: cursors() }),
);
/** R21: app passwords; a verification is written to the auth log. */
export const appPasswordService = /* @__PURE__ */ once(() => new AppPasswordService({ store: otpStore(), users: tenantStore(), clock: clock(), logs: logStore() }));
export const authenticatorService = /* @__PURE__ */ once(() => new AuthenticatorService({ store: otpStore(), users: tenantStore(), box: secretBox(), clock: clock() }));
export const oathTokenService = /* @__PURE__ */ once(() => new OathTokenService({ store: otpStore(), users: tenantStore(), box: secretBox(), clock: clock(), cursors: cursors() }));
/** Passkeys: registration (relying app after a step-up, or the console) and management. */
export const passkeyService = /* @__PURE__ */ once(
  () => new PasskeyService({ store: passkeyStore(), users: tenantStore(), challenges: challengeReader(), clock: clock(), log: log(), webauthn: simpleWebAuthnRegistrations }),
);
/** Remembered devices (issue 16): tokens after an approved challenge, checks, an admin's revocation. */
export const rememberedDeviceService = /* @__PURE__ */ once(
  () => new RememberedDeviceService({ store: rememberedDeviceStore(), users: tenantStore(), challenges: challengeReader(), clock: clock(), logs: logStore(), log: log() }),
);
/** Recovery codes: generated by a relying app (after a step-up) or an admin; the admin's status view. */
export const recoveryCodeService = /* @__PURE__ */ once(() => new RecoveryCodeService({ store: recoveryStore(), users: tenantStore(), challenges: challengeReader(), clock: clock(), log: log() }));
/** Temporary Access Passes: issued, listed and revoked by admins. */
export const methodRegistrationService = /* @__PURE__ */ once(
  () =>
    new MethodRegistrationService({
      users: tenantStore(),
      userService: userService(),
      authenticators: authenticatorService(),
      challenges: challengeReader(),
      stepUps: new DynamoStepUpStore(db(), config().challengesTable),
      clock: clock(),
      log: log(),
    }),
);
export const accessPassService = /* @__PURE__ */ once(() => new AccessPassService({ store: recoveryStore(), users: tenantStore(), clock: clock(), log: log() }));
export const authLogService = /* @__PURE__ */ once(() => new AuthLogService({ logs: logStore(), usage: logStore(), notifications: notificationStore(), cursors: cursors() }));
/** R19/R22: bulk jobs as the admin drives them (create, start, poll, cancel, download). */
const jobStore = /* @__PURE__ */ once(() => new DynamoJobStore(db(), config().tenantsTable));
export const jobService = /* @__PURE__ */ once(() => new JobService({ jobs: jobStore(), objects: objectStore(), runner: jobRunner(), clock: clock(), log: log() }));
/** R19/R22: a job's last step (its report, or an export's CSV), which imports no rows and so builds no user or token service. */
export const jobCompleter = /* @__PURE__ */ once(() => new JobCompleter({ jobs: jobStore(), objects: objectStore(), userStore: tenantStore(), clock: clock() }));
/**
 * R19/R22: a job's batches. Its users' numbers are classified through a cache
 * (Pinpoint has no batch lookup), its users read in batches, its token secrets sealed per batch.
 */
export const jobWorker = /* @__PURE__ */ once(() => {
  const users = new UserService({
    users: tenantStore(),
    credentials: userCredentials(),
    clock: clock(),
    phones: new CachedPhoneClassifier(phoneClassifier(), () => clock().now()),
    notifications: notifications(),
    cursors: cursors(),
  });
  return new JobWorker({ jobs: jobStore(), objects: objectStore(), tenants: tenantStore(), users, userStore: tenantStore(), tokens: oathTokenService(), completer: jobCompleter(), clock: clock() });
});
/** R26: a tenant's bills. */
export const billingService = /* @__PURE__ */ once(() => new BillingService({ store: billingStore(), clock: clock() }));
/** R26: the monthly run, which writes the export. */
export const billingRun = /* @__PURE__ */ once(() => new BillingService({ store: billingStore(), clock: clock(), sink: exportSink(), progress: projectionProgress(), seeder: tenantStore(), log: log() }));

/** R9/R18: push activation and answers, with a sender where devices are registered or notified. */
function pushServiceWith(sender: PushSender): PushService {
  return new PushService({ devices: pushStore(), challenges: challengeStore(), tenants: tenantStore(), users: tenantStore(), throttle: throttleStore(), sender, box: secretBox(), clock: clock(), log: log() });
}
export const pushService = /* @__PURE__ */ once(() => pushServiceWith(pushSender()));
/** R18: the phone's activation, which needs only the devices, the tenant's provider and the push sender. */
export const pushActivation = /* @__PURE__ */ once(
  () => new PushActivation({ devices: pushStore(), tenants: tenantStore(), sender: pushSender(), box: secretBox(), clock: clock(), log: log() }),
);
export const pushServiceSendingNothing = /* @__PURE__ */ once(() => pushServiceWith(noPush));

/** The voice rollover's record step (R10–R14, R7). */
export const voiceRecorder = /* @__PURE__ */ once(
  () =>
    new VoiceRolloverRecorder({ challenges: challengeStore(), tenants: tenantStore(), users: tenantStore(), throttle: throttleStore(), notifications: notifications(), clock: clock(), log: log() }),
);

/**
 * What checks an answer and signs an approval. Only verification has them; starting and
 * resending a challenge never check an answer or sign, and get stand-ins (`notVerifying`), so that
 * their bundles carry no code checks, alerts or signing.
 */
interface Verification {
  readonly otp: Pick<OtpChecker, 'check'>;
  readonly webauthn: WebAuthnAssertions;
  /** Tells the tenant's admins (a notification and the webhook): a possibly cloned passkey, a recovery code used. */
  readonly alert: (type: 'passkey_counter_regressed' | 'recovery_code_used') => (tenant: Tenant, userId: string, message: string) => Promise<unknown>;
  readonly signer: ChallengeDeps['signer'];
}

const verifying = (): Verification => ({
  otp: new OtpChecker({ store: otpStore(), users: tenantStore(), box: secretBox() }),
  webauthn: simpleWebAuthnAssertions,
  alert: (type) => (tenant, userId, message) => notifications().notify(tenant, { type, userId, message }),
  signer: signer(),
});

/** Stands in for what only a verification uses, in services that never verify (start, resend). */
const notVerifying: Verification = {
  otp: {
    check: async () => {
      throw new Error('This handler does not check codes');
    },
  },
  // Starting a passkey challenge needs none of WebAuthn's checks (its request options are made by the factor).
  webauthn: {
    verifyAuthentication: async () => {
      throw new Error('This handler does not verify passkeys');
    },
  },
  alert: () => async () => {
    throw new Error('This handler raises no alerts');
  },
  signer: {
    sign: async () => {
      throw new Error('This handler signs no assertions');
    },
    signingKey: async () => {
      throw new Error('This handler signs no assertions');
    },
    signWith: async () => {
      throw new Error('This handler signs no assertions');
    },
  },
};

/** Stands in for push in services that never start or answer one (resend: only texts are resent, R3). */
const noPushFactor: PushFactorDeps['push'] = {
  deviceFor: () => {
    throw new Error('This handler does not start push challenges');
  },
  notify: async () => {
    throw new DeliveryFailedError('This handler does not send push notifications');
  },
  settleTimeout: async () => {
    throw new Error('This handler does not read push challenges');
  },
};

/** What a challenge service (or, alone, a verifier) is built from: the stores, and each factor with what it uses. */
function challengeDeps(delivery: { sms: SmsSender; voice: VoiceRollover; push: PushFactorDeps['push'] }, verification: Verification): ChallengeDeps {
  const { otp, webauthn, alert } = verification;
  return {
    challenges: challengeStore(),
    users: tenantStore(),
    logs: logStore(),
    throttle: throttleStore(),
    clock: clock(),
    signer: verification.signer,
    log: log(),
    // Each factor gets exactly what it uses (shared/domain/factors).
    factors: buildFactors({
      sms: { sender: delivery.sms, codeKey: new CodeKey({ secrets: keyMaterial(), box: secretBox() }) },
      voice: { rollover: delivery.voice },
      push: { push: delivery.push },
      app: { otp },
      oath: { otp },
      passkey: {
        passkeys: passkeyStore(),
        // A possibly cloned passkey is reported like a fraud report: a notification and the webhook.
        alert: alert('passkey_counter_regressed'),
        webauthn,
      },
      recovery: {
        codes: recoveryStore(),
        users: tenantStore(),
        // Every use of a recovery code is news to the admins: a notification and the webhook.
        alert: alert('recovery_code_used'),
      },
      tap: { passes: recoveryStore(), users: tenantStore(), clock: clock() },
    }),
  };
}
/**
 * Starts challenges: texts, calls and pushes (R1, R9, R10–R16). Typed down to `create`: it checks
 * no answer and signs nothing, so it cannot verify.
 */
export const challengeService = /* @__PURE__ */ once(
  (): Pick<ChallengeService, 'create'> =>
    new ChallengeService({
      ...challengeDeps({ sms: smsSender(), voice: voiceRollover(), push: pushService() }, notVerifying),
      // A create reads the user and the user's throttling state in one request.
      usersWithThrottle: new DynamoUserWithThrottle(db(), { tenantsTable: config().tenantsTable, throttleTable: config().throttleTable }),
    }),
);
/**
 * Resends codes: only texts are ever resent (R3). Typed down to `resend`, so a handler holding it
 * cannot start a challenge whose call or push would reach a stand-in.
 */
export const challengeServiceTextsOnly = /* @__PURE__ */ once(
  (): Pick<ChallengeService, 'resend'> => new ChallengeService(challengeDeps({ sms: smsSender(), voice: noVoice, push: noPushFactor }, notVerifying)),
);
/**
 * Verification: checks codes and passkeys' assertions (the one path with WebAuthn's checks) and
 * sends nothing. A verifier alone, without the service that starts and resends challenges.
 */
export const challengeVerifier = /* @__PURE__ */ once(
  (): Pick<ChallengeVerifier, 'verify'> => new ChallengeVerifier(challengeDeps({ sms: noSms, voice: noVoice, push: pushServiceSendingNothing() }, verifying())),
);
/**
 * Status: reads a challenge (settling what its deadline decided: a push's timeout) and does
 * nothing else. Its own path: what a status read needs of each factor, and no challenge service,
 * factor module, push service or delivery.
 */
export const challengeStatus = /* @__PURE__ */ once(
  (): Pick<ChallengeStatusReader, 'get'> =>
    new ChallengeStatusReader({
      challenges: challengeStore(),
      clock: clock(),
      signer: signer(),
      factors: buildFactorStatuses({ push: new PushSettlement({ challenges: challengeStore(), throttle: throttleStore(), log: log() }) }),
    }),
);
