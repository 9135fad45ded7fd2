import { KMSClient } from '@aws-sdk/client-kms';
import { createDocumentClient } from './adapters/dynamo/client';
import { DynamoBillingStore } from './adapters/dynamo/billing-store';
import { DynamoChallengeStore } from './adapters/dynamo/challenge-store';
import { DynamoKeyMaterialStore } from './adapters/dynamo/key-material-store';
import { DynamoLogStore } from './adapters/dynamo/log-store';
import { DynamoOtpStore } from './adapters/dynamo/otp-store';
import { DynamoPushDeviceStore } from './adapters/dynamo/push-store';
import { DynamoTenantStore } from './adapters/dynamo/tenant-store';
import { DynamoThrottleStore } from './adapters/dynamo/throttle-store';
import { DynamoUserCredentialStore } from './adapters/dynamo/user-credentials';
import { systemClock } from './adapters/local/clock';
import { localClock, localMetrics } from './adapters/local/world';
import { KmsSecretBox } from './adapters/secrets/kms-secret-box';
import { LocalSecretBox } from './adapters/secrets/local-secret-box';
import { pinnedWebhookSender } from './adapters/webhook/fetch-webhook-sender';
import { EmfMetrics } from './adapters/metrics/emf-metrics';
import { loadConfig, type Config } from './config';
import { ApiKeyAuthenticator } from './domain/api-keys';
import { AssertionSigner } from './domain/assertions';
import { ChallengeService } from './domain/challenges';
import { DeliveryFailedError } from './domain/errors';
import { buildFactors } from './domain/factors';
import { NotificationService } from './domain/notifications';
import { PushService } from './domain/push-devices';
import { RequestCaps } from './domain/request-caps';
import { OtpChecker } from './domain/otp/checker';
import { PageCursors } from './domain/cursors';
import { CodeKey, CursorKey, ThrottleKey } from './domain/service-secrets';
import { VoiceRolloverRecorder } from './domain/voice';
import { metricsOfAudits } from './domain/metrics';
import { SERVICE_NAME, serviceLogger, traced } from './observability';
import type { Audit, Clock, Log, Metrics, PushSender, SecretBox, SmsSender, VoiceRollover } from './ports';

/** Stands in for the SMS route in handlers that never send a text (verify, status). */
const noSms: SmsSender = {
  name: 'none',
  send: async () => {
    throw new DeliveryFailedError('This handler does not send text messages');
  },
};

/** Stands in for the voice rollover in handlers that never start a call (verify, status, resend). */
const noVoice: VoiceRollover = {
  start: async () => {
    throw new DeliveryFailedError('This handler does not start voice calls');
  },
};

/** Stands in for push notifications in handlers that never send one. */
const noPush: PushSender = {
  register: async () => {
    throw new Error('This handler does not register push devices');
  },
  send: async () => {
    throw new DeliveryFailedError('This handler does not send push notifications');
  },
};

/**
 * Builds the adapters for where the code runs (AWS or the local runtime) from the checked
 * configuration. Handlers call this at module scope, once per cold start, and take only the
 * services they use; adapters with heavy clients (SMS, phone classification) are passed in by
 * the handlers that need them, so the others do not bundle them.
 */
export function compose(
  options: {
    sms?: (config: Config, log: Log, metrics: Metrics) => SmsSender;
    voice?: (config: Config) => VoiceRollover;
    push?: (config: Config) => PushSender;
    config?: Config;
  } = {},
) {
  const config = options.config ?? loadConfig();
  const log = serviceLogger();
  const metrics: Metrics = config.runtime === 'local' ? localMetrics : new EmfMetrics(SERVICE_NAME);
  const db = createDocumentClient(config.runtime === 'local' ? { endpoint: config.dynamoEndpoint } : {});
  const box: SecretBox =
    config.runtime === 'local'
      ? new LocalSecretBox(config.localMasterKey)
      : new KmsSecretBox(traced(new KMSClient({})), config.secretsKmsKeyId);
  const keyMaterial = new DynamoKeyMaterialStore(db, config.tenantsTable);
  // R28: loaded (and on a new deployment created) only by a handler that counts a phone number.
  const throttleKey = new ThrottleKey({ secrets: keyMaterial, box });
  const auditTables = {
    logsTable: config.logsTable,
    usageTable: config.usageTable,
    throttleTable: config.throttleTable,
    throttleKey,
    // Challenges, verifications, denials by reason, throttles and rollovers, as the auth log records them.
    onCommitted: (audits: readonly Audit[]) => {
      for (const point of metricsOfAudits(audits)) metrics.count(point.name, point.value, point.dimensions);
    },
  };
  const clock: Clock = config.runtime === 'local' ? localClock : systemClock;
  const tenantStore = new DynamoTenantStore(db, config.tenantsTable, clock);
  const billingStore = new DynamoBillingStore(db, { tenantsTable: config.tenantsTable, usageTable: config.usageTable });
  const challengeStore = new DynamoChallengeStore(db, config.challengesTable, auditTables, config.tenantsTable);
  const otpStore = new DynamoOtpStore(db, config.tenantsTable);
  const logStore = new DynamoLogStore(db, auditTables);
  const throttleStore = new DynamoThrottleStore(db, config.throttleTable, throttleKey);
  const signer = new AssertionSigner({ keys: keyMaterial, box, clock, issuer: config.issuer });
  const sms = options.sms ? options.sms(config, log, metrics) : noSms;
  const voice = options.voice?.(config);
  const pushStore = new DynamoPushDeviceStore(db, config.tenantsTable);
  const pushSenderOf = options.push;
  /** R9/R18: push activation and answers; a sender only where a handler registers or notifies devices. */
  const push = (): PushService =>
    new PushService({
      devices: pushStore,
      challenges: challengeStore,
      tenants: tenantStore,
      users: tenantStore,
      throttle: throttleStore,
      sender: pushSenderOf ? pushSenderOf(config) : noPush,
      box,
      clock,
      log,
    });
  const requestCaps = new RequestCaps({ throttle: throttleStore, clock });
  // SSRF: checked on every delivery; the local runtime may post to loopback so webhooks can be tried on one machine.
  const webhook = pinnedWebhookSender({ allowLoopback: config.runtime === 'local' });
  const notifications = new NotificationService({ store: logStore, webhook, box, clock, log });

  return {
    config,
    log,
    metrics,
    clock,
    box,
    tenantStore,
    /** R19: deletes and resets users together with their credentials. */
    userCredentials: new DynamoUserCredentialStore(db, config.tenantsTable, tenantStore, clock),
    challengeStore,
    otpStore,
    logStore,
    throttleStore,
    billingStore,
    signer,
    authenticator: new ApiKeyAuthenticator(tenantStore, clock, requestCaps),
    requestCaps,
    /** R29: signs and checks every list cursor the API hands out. */
    cursors: new PageCursors(new CursorKey({ secrets: keyMaterial, box })),
    notifications,
    pushService: push,
    /** The voice rollover's record step (R10–R14, R7). */
    voiceRecorder: () =>
      new VoiceRolloverRecorder({
        challenges: challengeStore,
        tenants: tenantStore,
        users: tenantStore,
        throttle: throttleStore,
        notifications,
        clock,
        log,
      }),
    challengeService: () => {
      const otp = new OtpChecker({ store: otpStore, users: tenantStore, box });
      return new ChallengeService({
        challenges: challengeStore,
        users: tenantStore,
        logs: logStore,
        throttle: throttleStore,
        clock,
        signer,
        log,
        // Each factor gets exactly what it uses (shared/domain/factors).
        factors: buildFactors({
          sms: { sender: sms, codeKey: new CodeKey({ secrets: keyMaterial, box }) },
          voice: { rollover: voice ?? noVoice },
          push: { push: push() },
          app: { otp },
          oath: { otp },
        }),
      });
    },
  };
}
