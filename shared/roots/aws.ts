import { ChimeSDKVoiceClient } from '@aws-sdk/client-chime-sdk-voice';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { KMSClient } from '@aws-sdk/client-kms';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { PinpointClient } from '@aws-sdk/client-pinpoint';
import { PinpointSMSVoiceV2Client } from '@aws-sdk/client-pinpoint-sms-voice-v2';
import { S3Client } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient } from '../adapters/dynamo/client';
import { S3ExportSink } from '../adapters/export/s3-export-sink';
import { SfnJobRunner } from '../adapters/jobs/sfn-job-runner';
import { S3ObjectStore } from '../adapters/objects/s3-object-store';
import { AwsProjectionProgress } from '../adapters/projection/aws-projection-progress';
import { EmfMetrics } from '../adapters/metrics/emf-metrics';
import { PinpointPhoneClassifier } from '../adapters/phone/pinpoint-phone-classifier';
import { SnsPushSender } from '../adapters/push/sns-push-sender';
import { KmsSecretBox } from '../adapters/secrets/kms-secret-box';
import { EndUserMessagingSmsSender } from '../adapters/sms/eum-sms-sender';
import { FailoverSmsSender } from '../adapters/sms/failover-sms-sender';
import { SnsSmsSender } from '../adapters/sms/sns-sms-sender';
import { systemClock } from '../adapters/system-clock';
import { ChimeVoiceDialer } from '../adapters/voice/chime-dialer';
import { SfnTaskCallbacks } from '../adapters/voice/sfn-callbacks';
import { SfnVoiceRollover } from '../adapters/voice/sfn-rollover';
import { ENV, type AwsConfig } from '../config';
import { SERVICE_NAME, traced } from '../observability';
import type { Clock, ExportSink, JobRunner, Log, Metrics, ObjectStore, PhoneClassifier, ProjectionProgress, PushSender, SecretBox, SmsSender, TaskCallbacks, VoiceDialer, VoiceRollover } from '../ports';

/**
 * The AWS runtime's adapters: the one place where the deployed handlers' SDK clients are built.
 * Each is its own function, called by the composition root (`../composition`) the first time a
 * handler asks for what needs it, so a bundle carries only the clients its handler uses.
 */

export const clock = (): Clock => systemClock;

export const metrics = (): Metrics => new EmfMetrics(SERVICE_NAME);

export const documentClient = (): DynamoDBDocumentClient => createDocumentClient({});

export const secretBox = (config: AwsConfig): SecretBox => new KmsSecretBox(traced(new KMSClient({})), config.secretsKmsKeyId);

/** R16: SNS first, then End User Messaging. */
export const smsSender = (config: AwsConfig, log: Log, metrics?: Metrics): SmsSender =>
  new FailoverSmsSender(
    [new SnsSmsSender(traced(new SNSClient({}))), new EndUserMessagingSmsSender(traced(new PinpointSMSVoiceV2Client({})), config.smsOriginationIdentity)],
    log,
    metrics,
  );

/** R13: the Standard state machine. */
export function voiceRollover(config: AwsConfig): VoiceRollover {
  if (!config.voiceStateMachineArn) throw new Error(`Invalid configuration: ${ENV.voiceStateMachineArn} is required to start voice calls`);
  return new SfnVoiceRollover(traced(new SFNClient({})), config.voiceStateMachineArn);
}

/** R9: SNS mobile push. */
export const pushSender = (config: AwsConfig): PushSender =>
  new SnsPushSender(traced(new SNSClient({})), { ios: config.pushIosApplicationArn, android: config.pushAndroidApplicationArn });

/** R30: Pinpoint's PhoneNumberValidate. */
export const phoneClassifier = (): PhoneClassifier => new PinpointPhoneClassifier(traced(new PinpointClient({})));

/** R26: the finance export bucket. */
export function exportSink(config: AwsConfig): ExportSink {
  if (!config.billingExportBucket) throw new Error('Invalid configuration: BILLING_EXPORT_BUCKET is not set');
  return new S3ExportSink(traced(new S3Client({})), config.billingExportBucket);
}

/** R24: the challenge projection's event source and failure queue, which the billing run checks. */
export function projectionProgress(config: AwsConfig, clock: Clock): ProjectionProgress {
  if (!config.projectionEventSourceId || !config.projectionFailureQueueUrl) {
    throw new Error(`Invalid configuration: ${ENV.projectionEventSourceId} and ${ENV.projectionFailureQueueUrl} are required for the billing run`);
  }
  return new AwsProjectionProgress({
    lambda: traced(new LambdaClient({})),
    sqs: traced(new SQSClient({})),
    clock,
    eventSourceId: config.projectionEventSourceId,
    failureQueueUrl: config.projectionFailureQueueUrl,
  });
}

/** R19/R22: the jobs bucket. */
export function objectStore(config: AwsConfig): ObjectStore {
  if (!config.jobsBucket) throw new Error(`Invalid configuration: ${ENV.jobsBucket} is required for bulk jobs`);
  return new S3ObjectStore(traced(new S3Client({})), config.jobsBucket);
}

/** R19/R22: the jobs' Distributed Map. */
export function jobRunner(config: AwsConfig): JobRunner {
  if (!config.jobsStateMachineArn) throw new Error(`Invalid configuration: ${ENV.jobsStateMachineArn} is required to start bulk jobs`);
  return new SfnJobRunner(traced(new SFNClient({})), config.jobsStateMachineArn);
}

/** R15: places a call from the SIP media application (AWS only: locally the simulated telephone answers). */
export function voiceDialer(config: AwsConfig): VoiceDialer {
  if (!config.voiceSipMediaApplicationId) throw new Error(`Invalid configuration: ${ENV.voiceSipMediaApplicationId} is required to place calls`);
  return new ChimeVoiceDialer(traced(new ChimeSDKVoiceClient({})), config.voiceSipMediaApplicationId);
}

/** Completes the rollover's waiting call task (AWS only: locally the telephone reports to the local state machine). */
export const taskCallbacks = (): TaskCallbacks => new SfnTaskCallbacks(traced(new SFNClient({})));

/** The Chime SDK voice client of the deploy-time SIP rule handler (R15). */
export const chimeVoice = (): ChimeSDKVoiceClient => traced(new ChimeSDKVoiceClient({}));

/** Issue 18: the Challenges table's stream and the projection's failure queue, which the replay drains. */
export function projectionFailures(config: AwsConfig): { streams: DynamoDBStreamsClient; streamArn: string; sqs: SQSClient; queueUrl: string } {
  if (!config.challengesStreamArn) throw new Error(`Invalid configuration: ${ENV.challengesStreamArn} is required to replay the projection's failures`);
  if (!config.projectionFailureQueueUrl) throw new Error(`Invalid configuration: ${ENV.projectionFailureQueueUrl} is required to replay the projection's failures`);
  return {
    streams: traced(new DynamoDBStreamsClient({})),
    streamArn: config.challengesStreamArn,
    sqs: traced(new SQSClient({})),
    queueUrl: config.projectionFailureQueueUrl,
  };
}
