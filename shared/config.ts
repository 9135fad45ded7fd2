import * as z from './zod';
import { CHALLENGES_TABLE, LOGS_TABLE, TENANTS_TABLE, THROTTLE_TABLE, USAGE_TABLE } from './tables';

/** Names of every environment variable the handlers read; infra and the local runtime set them. */
export const ENV = {
  runtime: 'TESSERA_RUNTIME',
  issuer: 'TESSERA_ISSUER',
  operatorKeySha256: 'TESSERA_OPERATOR_KEY_SHA256',
  dynamoEndpoint: 'DYNAMODB_ENDPOINT',
  secretsKmsKeyId: 'SECRETS_KMS_KEY_ID',
  localMasterKey: 'TESSERA_LOCAL_MASTER_KEY',
  smsOriginationIdentity: 'SMS_ORIGINATION_IDENTITY',
  voiceStateMachineArn: 'VOICE_STATE_MACHINE_ARN',
  voiceSipMediaApplicationId: 'VOICE_SIP_MEDIA_APPLICATION_ID',
  pushIosApplicationArn: 'PUSH_IOS_APPLICATION_ARN',
  pushAndroidApplicationArn: 'PUSH_ANDROID_APPLICATION_ARN',
  billingExportBucket: 'BILLING_EXPORT_BUCKET',
  localExportDir: 'TESSERA_LOCAL_EXPORT_DIR',
  jobsBucket: 'JOBS_BUCKET',
  jobsStateMachineArn: 'JOBS_STATE_MACHINE_ARN',
  challengesStreamArn: 'CHALLENGES_STREAM_ARN',
  projectionFailureQueueUrl: 'PROJECTION_FAILURE_QUEUE_URL',
  projectionEventSourceId: 'PROJECTION_EVENT_SOURCE_ID',
  challengesTable: CHALLENGES_TABLE.envVar,
  tenantsTable: TENANTS_TABLE.envVar,
  logsTable: LOGS_TABLE.envVar,
  usageTable: USAGE_TABLE.envVar,
  throttleTable: THROTTLE_TABLE.envVar,
} as const;

const hex64 = z.string().check(z.regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex characters'));

const common = {
  issuer: z.string().check(z.url()),
  operatorKeySha256: hex64,
  challengesTable: z.string().check(z.minLength(3)),
  tenantsTable: z.string().check(z.minLength(3)),
  logsTable: z.string().check(z.minLength(3)),
  usageTable: z.string().check(z.minLength(3)),
  throttleTable: z.string().check(z.minLength(3)),
};

const configSchema = z.discriminatedUnion('runtime', [
  z.object({
    runtime: z.literal('aws'),
    ...common,
    secretsKmsKeyId: z.string().check(z.minLength(1)),
    smsOriginationIdentity: z.optional(z.string().check(z.minLength(1))),
    /** Only the handler that starts voice rollovers needs it. */
    voiceStateMachineArn: z.optional(z.string().check(z.startsWith('arn:'))),
    /** Only the handler that places calls needs it. */
    voiceSipMediaApplicationId: z.optional(z.string().check(z.minLength(1))),
    /** SNS platform applications for push (R9); only the handlers that register devices need them. */
    pushIosApplicationArn: z.optional(z.string().check(z.startsWith('arn:'))),
    pushAndroidApplicationArn: z.optional(z.string().check(z.startsWith('arn:'))),
    /** Only the billing run needs it (R26). */
    billingExportBucket: z.optional(z.string().check(z.minLength(3))),
    /** Only the bulk-job handlers need them (R19, R22). */
    jobsBucket: z.optional(z.string().check(z.minLength(3))),
    jobsStateMachineArn: z.optional(z.string().check(z.startsWith('arn:'))),
    /** Only the projection's replay needs it (issue 18): the stream it reads. */
    challengesStreamArn: z.optional(z.string().check(z.startsWith('arn:'))),
    /** The projection's failure queue: the billing run counts its messages (R24), the replay drains it. */
    projectionFailureQueueUrl: z.optional(z.string().check(z.url())),
    /** The projection's event source: the billing run checks it is enabled (R24). */
    projectionEventSourceId: z.optional(z.string().check(z.uuid())),
  }),
  z.object({
    runtime: z.literal('local'),
    ...common,
    dynamoEndpoint: z.string().check(z.url()),
    localMasterKey: z.string().check(z.regex(/^[A-Za-z0-9+/]{43}=$/, 'must be 32 bytes in base64')),
    /** The folder the billing export goes to (R26): `billing/` is created inside it. */
    localExportDir: z.optional(z.string().check(z.minLength(1))),
  }),
]);

export type Config = z.infer<typeof configSchema>;
export type AwsConfig = Extract<Config, { runtime: 'aws' }>;
export type LocalConfig = Extract<Config, { runtime: 'local' }>;

/**
 * Reads and checks the environment once. A missing or malformed variable fails the cold
 * start with a message naming it, rather than the first request that needs it.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const raw = Object.fromEntries(
    Object.entries(ENV)
      .map(([field, name]) => [field, env[name]] as const)
      .filter(([, value]) => value !== undefined && value !== ''),
  );
  const parsed = configSchema.safeParse({ runtime: 'aws', ...raw });
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const field = String(issue.path[0] ?? '');
      const name = (ENV as Record<string, string>)[field] ?? field;
      return `${name}: ${issue.message}`;
    });
    throw new Error(`Invalid configuration: ${problems.join('; ')}`);
  }
  return parsed.data;
}
