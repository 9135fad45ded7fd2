import { CfnOutput, Duration, Stack, Validations, type StackProps } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { ENV } from '../shared/config';
import { METRICS_NAMESPACE } from '../shared/adapters/metrics/emf-metrics';
import { DEPLOY_FUNCTIONS, JOB_FUNCTIONS, OPERATOR_FUNCTIONS, ROUTES, STREAM_FUNCTIONS, SWEEP_FUNCTIONS, VOICE_FUNCTIONS, type FunctionName, type Scope } from '../shared/routes';
import { CHALLENGES_TABLE, LOGS_TABLE, TENANTS_TABLE, THROTTLE_TABLE, USAGE_TABLE } from '../shared/tables';
import { BillingExport } from './billing-export';
import { BulkJobs } from './jobs';
import type { TableBinding } from './data-stack';
import { PUSH_APPLICATION_TYPES, pushApplicationName, TesseraFunction, type HandlerAccess } from './function';
import type { PushPlatform } from '../shared/domain/types';
import { Monitoring } from './monitoring';
import { PushSweep } from './push-sweep';
import { ChallengeProjectionSource } from './challenge-projection';
import { REPLAY_TIMEOUT_SECONDS } from '../shared/adapters/sqs/projection-failures';
import type { StageSettings } from './stages';
import { VoiceRollover } from './voice-rollover';

export type { HandlerAccess } from './function';

/**
 * Least privilege per handler, read off `shared/composition.ts` and the services each handler
 * calls. Handlers behind a tenant API key look the key up in the tenants table, hence its read,
 * and take the tenant's request counter (R6), hence a write to the throttle table; so do the
 * public push routes, with a counter per source address.
 */
export const HANDLER_ACCESS: Record<FunctionName, HandlerAccess> = {
  // Writes the challenge, its Idempotency-Key record and its auth-log line and usage count in
  // one transaction; creates the code HMAC key on first use (sealed with the secrets key,
  // stored in the tenants table); texts the code, starts the voice rollover (R13), or publishes
  // a push prompt to the user's platform endpoint (R9).
  'create-challenge': {
    readWrite: [CHALLENGES_TABLE, TENANTS_TABLE, LOGS_TABLE, USAGE_TABLE, THROTTLE_TABLE],
    // The per-number counters are keyed by the throttle HMAC key (R28), which it may create.
    secrets: { encrypt: ['code-hmac-key', 'throttle-hmac-key'], decrypt: ['code-hmac-key', 'throttle-hmac-key'] },
    sendsSms: true,
    startsVoiceRollovers: true,
    push: ['send'],
  },
  // Approves or counts a wrong code with its log line; signs the assertion, creating the first
  // signing key (and the code HMAC key) when none exists yet; unseals authenticator and token secrets (R5).
  // A passkey whose sign counter went back is reported: a notification (logs table) and the
  // webhook, whose secret is sealed.
  'verify-challenge': {
    readWrite: [CHALLENGES_TABLE, TENANTS_TABLE, LOGS_TABLE, USAGE_TABLE, THROTTLE_TABLE],
    secrets: {
      encrypt: ['code-hmac-key', 'assertion-signing-key'],
      decrypt: ['code-hmac-key', 'assertion-signing-key', 'totp-secret', 'oath-secret', 'webhook-secret'],
    },
  },
  // A voice challenge approved on the call is answered with its assertion (R4), signed here;
  // on a new deployment this may be the first signature, which creates the signing key.
  // R9/R7: the first read of a push past its deadline writes the timeout with its log line and
  // usage, and counts it for fatigue.
  'get-challenge': {
    readWrite: [CHALLENGES_TABLE, TENANTS_TABLE, LOGS_TABLE, USAGE_TABLE, THROTTLE_TABLE],
    secrets: { encrypt: ['assertion-signing-key'], decrypt: ['assertion-signing-key'] },
  },
  // Replaces the code with its log line. May be the first handler to need the code HMAC key on
  // a new deployment, so it may create it. Texts the new code.
  'resend-challenge': {
    readWrite: [CHALLENGES_TABLE, TENANTS_TABLE, LOGS_TABLE, USAGE_TABLE, THROTTLE_TABLE],
    secrets: { encrypt: ['code-hmac-key', 'throttle-hmac-key'], decrypt: ['code-hmac-key', 'throttle-hmac-key'] },
    sendsSms: true,
  },
  // Lists the signing keys for their public halves; without KMS it cannot unseal the private ones.
  jwks: { read: [TENANTS_TABLE] },
  // Users; block and unblock raise notifications (logs table) and may call the webhook, whose
  // secret is sealed. Signs list cursors (R29), creating the cursor HMAC key on first use.
  'admin-users': {
    readWrite: [TENANTS_TABLE, LOGS_TABLE, THROTTLE_TABLE],
    secrets: { encrypt: ['cursor-hmac-key'], decrypt: ['webhook-secret', 'cursor-hmac-key'] },
    validatesPhones: true,
  },
  'admin-users-import': { readWrite: [TENANTS_TABLE, THROTTLE_TABLE], validatesPhones: true },
  // R19/R22 bulk jobs: the job items; its bucket and state machine grants come with the jobs construct
  // (presigned upload and download URLs, a HeadObject and a streamed read of the upload, the manifest written).
  'admin-jobs': { readWrite: [TENANTS_TABLE, THROTTLE_TABLE] },
  'admin-provider': { readWrite: [TENANTS_TABLE, THROTTLE_TABLE] },
  // Seals a new webhook signing secret.
  'admin-settings': { readWrite: [TENANTS_TABLE, THROTTLE_TABLE], secrets: { encrypt: ['webhook-secret'] } },
  'admin-api-keys': { readWrite: [TENANTS_TABLE, THROTTLE_TABLE] },
  // Reads logs and usage; signs list cursors (R29), so it may be the first to create the cursor
  // HMAC key (sealed, in the tenants table).
  'admin-logs': {
    read: [LOGS_TABLE, USAGE_TABLE],
    readWrite: [TENANTS_TABLE, THROTTLE_TABLE],
    secrets: { encrypt: ['cursor-hmac-key'], decrypt: ['cursor-hmac-key'] },
  },
  // R5: seals a new authenticator secret at enrolment and unseals it to check the confirming code.
  'admin-authenticator': { readWrite: [TENANTS_TABLE, THROTTLE_TABLE], secrets: { encrypt: ['totp-secret'], decrypt: ['totp-secret'] } },
  // R22: seals imported token secrets (one data key per import); unseals one to resynchronise its drift. Signs the token list's cursors (R29).
  'admin-oath-tokens': {
    readWrite: [TENANTS_TABLE, THROTTLE_TABLE],
    secrets: { encrypt: ['oath-secret', 'cursor-hmac-key'], decrypt: ['oath-secret', 'cursor-hmac-key'], generateDataKey: ['oath-secret'] },
  },
  // R21: app passwords are scrypt hashes, not sealed: no KMS.
  'admin-app-passwords': { readWrite: [TENANTS_TABLE, THROTTLE_TABLE] },
  // R23: every verification is a log line; the tenant's caps are taken first.
  'verify-app-password': { read: [TENANTS_TABLE], readWrite: [LOGS_TABLE, THROTTLE_TABLE] },
  // R18: stores the activation code's hash; reads the user.
  'admin-push-activations': { readWrite: [TENANTS_TABLE, THROTTLE_TABLE] },
  // Passkeys: ceremonies, passkeys and the user's count in the tenants table; a relying app's
  // step-up challenge is marked used in the challenges table. Public keys are not secrets: no KMS.
  'passkey-registrations': { readWrite: [TENANTS_TABLE, CHALLENGES_TABLE, THROTTLE_TABLE] },
  'admin-passkeys': { readWrite: [TENANTS_TABLE, THROTTLE_TABLE] },
  // Remembered devices: token hashes in the tenants table; the approving challenge is marked used
  // once in the challenges table; every check is an auth-log line. Hashes, not sealed: no KMS.
  'remembered-devices': { readWrite: [TENANTS_TABLE, CHALLENGES_TABLE, LOGS_TABLE, THROTTLE_TABLE] },
  // Revoking draws a new epoch on the user item.
  'admin-remembered-devices': { readWrite: [TENANTS_TABLE, THROTTLE_TABLE] },
  // Recovery codes (scrypt hashes) in the tenants table; a relying app's step-up challenge is
  // marked used in the challenges table. Access passes (SHA-256) are the admin's. No KMS: nothing sealed.
  'recovery-codes': { readWrite: [TENANTS_TABLE, CHALLENGES_TABLE, THROTTLE_TABLE] },
  'admin-recovery': { readWrite: [TENANTS_TABLE, THROTTLE_TABLE] },
  // A relying app registers an authenticator app (seals its secret, unseals it for the first code)
  // or phones (classified, R30); a step-up challenge is marked used in the challenges table.
  'method-registrations': {
    readWrite: [TENANTS_TABLE, CHALLENGES_TABLE, THROTTLE_TABLE],
    secrets: { encrypt: ['totp-secret'], decrypt: ['totp-secret'] },
    validatesPhones: true,
  },
  // R18: takes the code, seals the device key, registers the phone as an SNS platform endpoint.
  'push-activate': { readWrite: [TENANTS_TABLE, THROTTLE_TABLE], secrets: { encrypt: ['push-device-key'] }, push: ['register'] },
  // R9: unseals the device key to check the answer; approves or denies with the log line and
  // usage, and counts a denial for fatigue (R7).
  'push-respond': {
    readWrite: [CHALLENGES_TABLE, TENANTS_TABLE, LOGS_TABLE, USAGE_TABLE, THROTTLE_TABLE],
    secrets: { decrypt: ['push-device-key'] },
  },
  'operator-tenants': { readWrite: [TENANTS_TABLE] },
  // Seals a new private key; never needs to unseal one.
  'operator-signing-keys': { readWrite: [TENANTS_TABLE], secrets: { encrypt: ['assertion-signing-key'] } },
  // GET /openapi.json and /docs: built from the schemas in the bundle; touches no table or key.
  openapi: {},
  // Voice rollover (R10–R15). Placing a call takes the number's hourly cap first (R6: one
  // conditional write to the throttle table, keyed by the throttle HMAC key, which it may create
  // in the tenants table); answering Chime touches no table. Their voice grants
  // (chime:CreateSipMediaApplicationCall, states:SendTask*) come with the machine.
  'voice-place-call': {
    readWrite: [TENANTS_TABLE, THROTTLE_TABLE],
    secrets: { encrypt: ['throttle-hmac-key'], decrypt: ['throttle-hmac-key'] },
  },
  'voice-call-events': {},
  // Records each call and the result with its log lines and usage (R23), counts fatigue (R7),
  // blocks the user and notifies the admin on fraud (R14, webhook secret unsealed).
  // R15: deploy time only, the caller IDs' SIP rules; its Chime grant comes with the voice construct.
  'voice-sip-rules': {},
  'voice-finish': {
    readWrite: [CHALLENGES_TABLE, TENANTS_TABLE, LOGS_TABLE, USAGE_TABLE, THROTTLE_TABLE],
    secrets: { decrypt: ['webhook-secret'] },
  },
  // R7: every minute, queries the open pushes past their deadline (the challenges' gsi1) and
  // writes each timeout with its log line and usage, counting it for fatigue. Unseals nothing.
  'push-sweep': { readWrite: [CHALLENGES_TABLE, LOGS_TABLE, USAGE_TABLE, THROTTLE_TABLE] },
  // R26: reads the tenant index, provider history and monthly meters (Queries, no Scan); its
  // PutObject on the export bucket comes with the bucket (BillingExport).
  // R25: the run also seeds, once, the per-user counters of tenants from before them (a mark and
  // one counter item each, in one transaction of updates and condition checks): no Put or Delete.
  'billing-run': { update: [TENANTS_TABLE], read: [USAGE_TABLE] },
  // R19/R22: a job's batch reads and writes users (their billing items too) and tokens in the
  // tenants table, classifies numbers (R30), and seals a batch's token secrets with one data key.
  'job-batch': { readWrite: [TENANTS_TABLE], secrets: { generateDataKey: ['oath-secret'] }, validatesPhones: true },
  // Pages the users for an export, writes the job's final state; its objects come with the jobs construct.
  'job-complete': { readWrite: [TENANTS_TABLE] },
  // R23/R24: puts log lines (each only if absent) and adds to counters from the Challenges stream,
  // reading back which lines a redelivered batch already wrote; it never deletes. Its stream read
  // grant comes with the event source.
  'challenge-projection': { putUpdate: [LOGS_TABLE, USAGE_TABLE] },
  // Issue 18: the same writes, of the ranges the projection gave up on; its stream and failure-queue grants come with the event source.
  'projection-replay': { putUpdate: [LOGS_TABLE, USAGE_TABLE] },
};

/**
 * Routes throttled below the stage's default (which bounds a flood's bill: every request costs
 * an invocation and DynamoDB reads). These cost more per call or guard a guessable secret:
 * each challenge may send a text or place a call; an activation code is short; an app password
 * check runs scrypt; imports carry large bodies; the operator creates tenants now and then.
 * A stage whose default is lower keeps its lower limit. Limits per user, number and tenant
 * (R6, R8) and per challenge (R3) are the domain's, not these.
 *
 * API Gateway's limits are shared by every caller (an HTTP API has no per-client throttling), so
 * each is sized to leave at least half to the others when one tenant is at its own caps
 * (`TENANT_REQUESTS_PER_SECOND`, `TENANT_CHALLENGES_PER_SECOND`) or one source at its push cap
 * (`PUSH_REQUESTS_PER_SOURCE_PER_MINUTE`, all of it in one second at worst); the tenant's caps are
 * taken in the handler before any costly work.
 */
export const ROUTE_THROTTLES: Readonly<Record<string, { readonly rateLimit: number; readonly burstLimit: number }>> = {
  'POST /v1/challenges': { rateLimit: 100, burstLimit: 200 },
  'POST /v1/challenges/{challengeId}/resend': { rateLimit: 100, burstLimit: 200 },
  'POST /v1/push/activate': { rateLimit: 60, burstLimit: 120 },
  'POST /v1/push/respond': { rateLimit: 100, burstLimit: 200 },
  'POST /v1/app-passwords/verify': { rateLimit: 200, burstLimit: 400 },
  'POST /v1/admin/users:import': { rateLimit: 2, burstLimit: 4 },
  'POST /v1/admin/oath-tokens:import': { rateLimit: 2, burstLimit: 4 },
  'POST /v1/operator/tenants': { rateLimit: 1, burstLimit: 2 },
  'POST /v1/operator/signing-keys': { rateLimit: 1, burstLimit: 2 },
};

/**
 * Routes where one tenant may still take the whole of the API Gateway limit, and why. Bulk
 * imports that outgrow a synchronous request are to move off the request path; until then their
 * limit bounds what imports cost the service as a whole.
 */
export const FAIR_SHARE_EXEMPT: Readonly<Record<string, string>> = {
  'POST /v1/admin/users:import': 'a rare admin action of up to 5,000 rows; 2 a second across tenants bounds its cost',
  'POST /v1/admin/oath-tokens:import': 'a rare admin action that seals every token secret; 2 a second across tenants bounds its cost',
};

/** Headers the web console sends and reads across origins (CORS). */
export const CORS_HEADERS = { allow: ['authorization', 'content-type', 'idempotency-key', 'tessera-pskc-key'], expose: ['retry-after', 'location'] } as const;

/**
 * Why no route has an API Gateway authorizer: the handler authenticates (R27) through
 * `shared/http/handler.ts`, and an authorizer would repeat the same lookup on every call.
 */
const AUTHORIZATION: Record<Scope, string> = {
  auth:
    'Authenticated in the handler: a tenant API key of the "auth" scope, whose SHA-256 is looked up by key id ' +
    'in the tenants table and compared in constant time; the tenant comes from the key, never the request (R27).',
  admin:
    'Authenticated in the handler: a tenant API key of the "admin" scope, whose SHA-256 is looked up by key id ' +
    'in the tenants table and compared in constant time; the tenant comes from the key, never the request (R27).',
  operator:
    'Authenticated in the handler: the operator key, compared in constant time with the SHA-256 configured ' +
    'at deploy (TESSERA_OPERATOR_KEY_SHA256); only its hash reaches AWS.',
  public:
    'Public by design: the JWKS holds only public keys, so relying apps can check assertions offline (R4); ' +
    'a phone activating or answering a push carries its own credential instead of an API key: a random, ' +
    'single-use, short-lived activation code (R18) or an HMAC made with its device key (R9).',
};

/** Why a handler has no dead-letter queue (Serverless-LambdaDLQ), by how it is invoked. */
function whyNoDeadLetterQueue(name: FunctionName): string {
  if ((DEPLOY_FUNCTIONS as readonly string[]).includes(name)) {
    return `${name} runs only while CloudFormation deploys: it always answers CloudFormation's pre-signed URL, success or failure, and a failed answer fails the deploy, so a dead-letter queue would never be read.`;
  }
  if ((SWEEP_FUNCTIONS as readonly string[]).includes(name)) {
    return `${name} runs every minute on its schedule and is not retried: the next run, a minute later, sweeps the same deadlines again (settling a timeout is idempotent), so a failed run loses nothing and a dead-letter queue would only collect stale events.`;
  }
  if ((STREAM_FUNCTIONS as readonly string[]).includes(name)) {
    return `${name} reads the Challenges table's stream: a batch that fails is delivered again for up to 6 hours and the IteratorAge alarm fires within about two minutes; then the range it gives up on goes to the event source's own on-failure queue (alarmed); a dead-letter queue only receives failed asynchronous invocations.`;
  }
  if ((OPERATOR_FUNCTIONS as readonly string[]).includes(name)) {
    return `${name} is run by an operator by hand (a synchronous invoke, whose answer is its report) and is not retried: a message it could not replay stays on the projection's failure queue for the next run, so a dead-letter queue would stay empty.`;
  }
  if ((JOB_FUNCTIONS as readonly string[]).includes(name)) {
    if (name === 'job-complete') {
      return `${name} is invoked synchronously by the bulk jobs' state machine, which retries it, and for a cancelled job by the ABORTED event's rule, which retries it for hours; it is idempotent, and a report that never appears leaves the job's final state and counts as they are.`;
    }
    return `${name} is invoked synchronously by the bulk jobs' state machine, which retries each batch and reports a batch that still fails in the job's report: a dead-letter queue only receives failed asynchronous invocations.`;
  }
  if ((VOICE_FUNCTIONS as readonly string[]).includes(name)) {
    return `${name} is invoked synchronously, by the voice state machine (which retries and catches each task) or by Chime's SIP media application (which hangs up without an answer): a dead-letter queue only receives failed asynchronous invocations.`;
  }
  return `${name} is invoked synchronously by API Gateway, which returns its answer or error to the caller: a dead-letter queue only receives failed asynchronous invocations, so it would stay empty.`;
}

export interface ApiStackProps extends StackProps {
  readonly stage: string;
  readonly tables: readonly TableBinding[];
  readonly secretsKey: kms.IKey;
  /** SHA-256 (hex) of the operator key; the key itself never reaches AWS. */
  readonly operatorKeySha256: string;
  /** End User Messaging origination identity (pool, phone number or sender ID), if pinned. */
  readonly smsOriginationIdentity?: string;
  /** What differs between dev and prod (infra/stages.ts). */
  readonly settings: StageSettings;
  /** Origins the web console calls the API from; none means no CORS (the API is called server to server). */
  readonly corsOrigins?: readonly string[];
  /** A custom domain for the API, with its ACM certificate in the same region. */
  readonly domain?: { readonly name: string; readonly certificateArn: string };
  /** R15: the Chime SDK phone numbers tenants use as caller IDs; each gets a SIP rule to the SIP media application. */
  readonly voicePhoneNumbers?: readonly string[];
  /** Subscribed to the alarm topic. */
  readonly alarmEmail?: string;
}

/**
 * The public HTTP API: one function per distinct handler of `ROUTES`, one route per line of it,
 * access-logged and throttled on the default stage.
 */
export class ApiStack extends Stack {
  readonly httpApi: apigw.HttpApi;
  /** Every handler's function: the routes' and the voice rollover's. */
  readonly functions: ReadonlyMap<FunctionName, TesseraFunction>;
  /** The voice rollover state machine and SIP media application (R10–R15). */
  readonly voice: VoiceRollover;
  readonly accessLogs: logs.LogGroup;
  /** The monthly billing run's bucket and schedule (R26). */
  readonly billing: BillingExport;
  /** The every-minute schedule of the push deadline sweep (R7). */
  readonly pushSweep: PushSweep;
  /** R19/R22: the bulk jobs' bucket and state machine. */
  readonly jobs: BulkJobs;
  /** R23/R24: the Challenges stream's event source for the projection. */
  readonly projection: ChallengeProjectionSource;
  /** Alarms, their topic and the dashboard. */
  readonly monitoring: Monitoring;
  /** The custom domain, when context names one. */
  readonly domainName?: apigw.DomainName;

  constructor(scope: Construct, id: string, props: ApiStackProps) {
    super(scope, id, props);
    if (!/^[0-9a-f]{64}$/.test(props.operatorKeySha256)) {
      throw new Error('operatorKeySha256 must be 64 lowercase hex characters (the SHA-256 of the operator key)');
    }

    this.httpApi = new apigw.HttpApi(this, 'HttpApi', {
      apiName: `tessera-${props.stage}`,
      description: `Tessera ${props.stage}: multi-factor authentication API`,
      createDefaultStage: false,
      ...(props.corsOrigins?.length
        ? {
            corsPreflight: {
              allowOrigins: [...props.corsOrigins],
              allowMethods: [apigw.CorsHttpMethod.ANY],
              allowHeaders: [...CORS_HEADERS.allow],
              exposeHeaders: [...CORS_HEADERS.expose],
              maxAge: Duration.hours(1),
            },
          }
        : {}),
    });
    this.accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      retention: props.settings.accessLogRetention,
      removalPolicy: props.settings.removalPolicy,
    });
    const stage = this.httpApi.addStage('DefaultStage', {
      stageName: '$default',
      autoDeploy: true,
      throttle: props.settings.throttle,
      accessLogSettings: {
        destination: new apigw.LogGroupLogDestination(this.accessLogs),
        // Route keys, not paths: no user or challenge ids in the access log.
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            requestTime: '$context.requestTime',
            routeKey: '$context.routeKey',
            status: '$context.status',
            responseLatency: '$context.responseLatency',
            integrationStatus: '$context.integration.status',
            integrationError: '$context.integrationErrorMessage',
            sourceIp: '$context.identity.sourceIp',
          }),
        ),
      },
    });

    if (props.domain) {
      this.domainName = new apigw.DomainName(this, 'DomainName', {
        domainName: props.domain.name,
        certificate: acm.Certificate.fromCertificateArn(this, 'Certificate', props.domain.certificateArn),
      });
      new apigw.ApiMapping(this, 'ApiMapping', { api: this.httpApi, domainName: this.domainName, stage });
      new CfnOutput(this, 'DomainTarget', {
        value: this.domainName.regionalDomainName,
        description: `Point ${props.domain.name} here (CNAME, or an alias record in Route 53)`,
      });
    }

    const environment = {
      // Assertions name the API by the address relying apps call (R4).
      [ENV.issuer]: props.domain ? `https://${props.domain.name}` : this.httpApi.apiEndpoint,
      POWERTOOLS_SERVICE_NAME: `tessera-${props.stage}`,
      POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
      POWERTOOLS_LOG_LEVEL: props.settings.logLevel,
      [ENV.operatorKeySha256]: props.operatorKeySha256,
      ...(props.smsOriginationIdentity ? { [ENV.smsOriginationIdentity]: props.smsOriginationIdentity } : {}),
    };

    const functions = new Map<FunctionName, TesseraFunction>();
    for (const name of [...VOICE_FUNCTIONS, ...DEPLOY_FUNCTIONS]) functions.set(name, this.handlerFunction(name, { ...props, environment }));
    this.voice = new VoiceRollover(this, 'Voice', {
      stage: props.stage,
      placeCall: functions.get('voice-place-call') as TesseraFunction,
      callEvents: functions.get('voice-call-events') as TesseraFunction,
      finish: functions.get('voice-finish') as TesseraFunction,
      sipRules: functions.get('voice-sip-rules') as TesseraFunction,
      removalPolicy: props.settings.removalPolicy,
      logRetention: props.settings.functionLogRetention,
      phoneNumbers: props.voicePhoneNumbers ?? [],
    });
    const voiceEnvironment = { [ENV.voiceStateMachineArn]: this.voice.stateMachine.stateMachineArn };

    const integrations = new Map<FunctionName, HttpLambdaIntegration>();
    for (const route of ROUTES) {
      let integration = integrations.get(route.handler);
      if (!integration) {
        const access = HANDLER_ACCESS[route.handler];
        const fn = this.handlerFunction(route.handler, {
          ...props,
          environment: access.startsVoiceRollovers ? { ...environment, ...voiceEnvironment } : environment,
        });
        if (access.startsVoiceRollovers) this.voice.stateMachine.grantStartExecution(fn.function);
        functions.set(route.handler, fn);
        integration = new HttpLambdaIntegration(`${pascal(route.handler)}Integration`, fn.function);
        integrations.set(route.handler, integration);
      }
      const methods = [apigw.HttpMethod[route.method]];
      for (const httpRoute of this.httpApi.addRoutes({ path: route.path, methods, integration })) {
        Validations.of(httpRoute).acknowledge({ id: 'AwsSolutions-APIG4', reason: AUTHORIZATION[route.scope] });
        // A stage's route settings may only name routes that exist already.
        if (ROUTE_THROTTLES[`${route.method} ${route.path}`]) stage.node.addDependency(httpRoute);
      }
    }
    const defaults = props.settings.throttle;
    (stage.node.defaultChild as apigw.CfnStage).routeSettings = Object.fromEntries(
      Object.entries(ROUTE_THROTTLES).map(([routeKey, limit]) => [
        routeKey,
        {
          ThrottlingRateLimit: Math.min(limit.rateLimit, defaults.rateLimit),
          ThrottlingBurstLimit: Math.min(limit.burstLimit, defaults.burstLimit),
        },
      ]),
    );
    // R26: a schedule event that cannot be delivered, or a run that fails after Lambda's two
    // retries of an asynchronous invocation, lands here, and the billing alarm goes off.
    const billingDeadLetters = new sqs.Queue(this, 'BillingDeadLetters', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    const dlqReason =
      'This queue is itself the dead-letter queue of the monthly billing run and its schedule: nothing consumes it, ' +
      'an alarm fires on its first message, and the run is repeated by hand (POST the month again), so it needs no DLQ of its own.';
    Validations.of(billingDeadLetters).acknowledge({ id: 'AwsSolutions-SQS3', reason: dlqReason }, { id: 'Serverless-SQSRedrivePolicy', reason: dlqReason });
    const billingRun = this.handlerFunction('billing-run', { ...props, environment }, { timeout: Duration.minutes(5), deadLetterQueue: billingDeadLetters });
    functions.set('billing-run', billingRun);
    this.billing = new BillingExport(this, 'Billing', { run: billingRun, removalPolicy: props.settings.removalPolicy, deadLetterQueue: billingDeadLetters });
    billingRun.function.addEnvironment(ENV.billingExportBucket, this.billing.bucket.bucketName);
    const pushSweep = this.handlerFunction('push-sweep', { ...props, environment }, { timeout: Duration.seconds(50) });
    functions.set('push-sweep', pushSweep);
    this.pushSweep = new PushSweep(this, 'PushSweepSchedule', { sweep: pushSweep });
    for (const name of JOB_FUNCTIONS) {
      functions.set(name, this.handlerFunction(name, { ...props, environment }, { timeout: Duration.seconds(name === 'job-batch' ? 300 : 900) }));
    }
    this.jobs = new BulkJobs(this, 'Jobs', {
      api: functions.get('admin-jobs') as TesseraFunction,
      batch: functions.get('job-batch') as TesseraFunction,
      complete: functions.get('job-complete') as TesseraFunction,
      removalPolicy: props.settings.removalPolicy,
      logRetention: props.settings.functionLogRetention,
    });
    const projection = this.handlerFunction('challenge-projection', { ...props, environment }, { timeout: Duration.seconds(60) });
    functions.set('challenge-projection', projection);
    this.projection = new ChallengeProjectionSource(this, 'ChallengeProjectionSource', { projection, challenges: challengesTable(props.tables) });
    // R24: the run bills a month once the projection has written its meter.
    this.projection.grantProgress(billingRun);
    const replay = this.handlerFunction('projection-replay', { ...props, environment }, { timeout: Duration.seconds(REPLAY_TIMEOUT_SECONDS) });
    const replaySources = this.projection.grantReplay(replay);
    replay.function.addEnvironment(ENV.challengesStreamArn, replaySources.streamArn);
    replay.function.addEnvironment(ENV.projectionFailureQueueUrl, replaySources.queueUrl);
    functions.set('projection-replay', replay);
    this.functions = functions;

    // Handlers invoked synchronously need no dead-letter queue: API Gateway answers the caller,
    // Step Functions retries and catches each task, and Chime gets the handler's answer or hangs up.
    for (const [name, fn] of functions) {
      if (fn.function.deadLetterQueue) continue;
      Validations.of(fn.function).acknowledge({
        id: 'Serverless-LambdaDLQ',
        reason: whyNoDeadLetterQueue(name),
      });
    }

    this.monitoring = new Monitoring(this, 'Monitoring', {
      stage: props.stage,
      serviceName: `tessera-${props.stage}`,
      httpApi: this.httpApi,
      functions,
      stateMachine: this.voice.stateMachine,
      billingDeadLetters,
      projectionFailures: this.projection.failures,
      challengesTable: challengesTable(props.tables),
      ...(props.alarmEmail ? { alarmEmail: props.alarmEmail } : {}),
    });

    new CfnOutput(this, 'ApiUrl', { value: this.httpApi.apiEndpoint, description: 'Base URL of the Tessera API' });
    // Issue 18: what an operator invokes after the ChallengeProjectionGaveUp alarm, and the queue it drains.
    new CfnOutput(this, 'ProjectionReplayFunctionName', {
      value: replay.function.functionName,
      description: 'Replays the Challenges stream ranges the challenge projection gave up on: aws lambda invoke with {} (docs/architecture.md)',
    });
    new CfnOutput(this, 'ProjectionFailureQueueUrl', { value: this.projection.failures.queueUrl, description: 'The challenge projection\'s failure queue (ranges it gave up on)' });
  }

  /**
   * Handlers that need more than the defaults (512 MB, 10 s). Recovery codes are ten slow scrypt
   * hashes per set (about 250 ms each on one vCPU), so their handlers get a whole vCPU; starting a
   * job reads and cuts an upload of up to 200 MiB, within the HTTP API's 30 s integration limit.
   */
  private static readonly SIZES: Partial<Record<FunctionName, { memorySize: number; timeout?: Duration }>> = {
    'recovery-codes': { memorySize: 1769 },
    'admin-recovery': { memorySize: 1769 },
    'admin-jobs': { memorySize: 1769, timeout: Duration.seconds(29) },
  };

  /** The function for one handler, granted what `HANDLER_ACCESS` says it touches and nothing else. */
  private handlerFunction(
    name: FunctionName,
    props: ApiStackProps & { environment: Record<string, string> },
    options: { timeout?: Duration; deadLetterQueue?: sqs.IQueue } = {},
  ): TesseraFunction {
    const access = HANDLER_ACCESS[name];
    const size = ApiStack.SIZES[name];
    const fn = new TesseraFunction(this, pascal(name), {
      ...(size ? { memorySize: size.memorySize, ...(size.timeout ? { timeout: size.timeout } : {}) } : {}),
      ...options,
      name,
      tables: props.tables,
      secretsKey: props.secretsKey,
      environment: access.push?.includes('register') ? { ...props.environment, ...pushEnvironment(this, props.stage) } : props.environment,
      removalPolicy: props.settings.removalPolicy,
      logRetention: props.settings.functionLogRetention,
    });
    fn.grantAccess(access);
    if (access.push?.length) fn.grantPush(props.stage, access.push);
    return fn;
  }
}

/** R9: the platform application ARNs the device-registering handler reads (see `pushApplicationName`). */
function pushEnvironment(stack: Stack, stage: string): Record<string, string> {
  const arn = (platform: PushPlatform) =>
    stack.formatArn({ service: 'sns', resource: `app/${PUSH_APPLICATION_TYPES[platform]}/${pushApplicationName(stage, platform)}` });
  return { [ENV.pushIosApplicationArn]: arn('ios'), [ENV.pushAndroidApplicationArn]: arn('android') };
}

function pascal(kebab: string): string {
  return kebab.replace(/(^|-)([a-z])/g, (_, _dash: string, c: string) => c.toUpperCase());
}

/** The Challenges table, whose stream the projection reads. */
function challengesTable(tables: readonly TableBinding[]): dynamodb.ITable {
  const binding = tables.find((b) => b.definition.id === CHALLENGES_TABLE.id);
  if (!binding) throw new Error('No Challenges table among the tables');
  return binding.table;
}
