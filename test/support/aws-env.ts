import { ENV } from '../../shared/config';
import { TABLES } from '../../shared/tables';

/** The environment a deployed handler starts with (placeholder names and ARNs): enough to pass its cold-start configuration check. */
export function deployedHandlerEnv(): Record<string, string | undefined> {
  return {
    PATH: process.env.PATH,
    AWS_REGION: 'us-east-1',
    [ENV.runtime]: 'aws',
    [ENV.issuer]: 'https://api.example.com',
    [ENV.operatorKeySha256]: '0'.repeat(64),
    ...Object.fromEntries(TABLES.map((t) => [t.envVar, `tessera-${t.id}`])),
    [ENV.secretsKmsKeyId]: 'arn:aws:kms:us-east-1:111122223333:key/example',
    [ENV.voiceStateMachineArn]: 'arn:aws:states:us-east-1:111122223333:stateMachine:example',
    [ENV.voiceSipMediaApplicationId]: 'example-sma-id',
    [ENV.billingExportBucket]: 'example-billing-bucket',
    [ENV.jobsBucket]: 'example-jobs-bucket',
    [ENV.jobsStateMachineArn]: 'arn:aws:states:us-east-1:111122223333:stateMachine:jobs',
    [ENV.projectionEventSourceId]: '6d9c4a6e-1f3b-4c55-9a1e-2b7f0c3d4e5f',
    [ENV.projectionFailureQueueUrl]: 'https://sqs.us-east-1.amazonaws.com/111122223333/example-projection-failures',
    [ENV.challengesStreamArn]: 'arn:aws:dynamodb:us-east-1:111122223333:table/tessera-Challenges/stream/2026-11-02T09:41:07.311',
  };
}
