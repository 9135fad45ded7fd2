import { loadConfig } from '../../shared/config';

const OPERATOR_SHA = 'a'.repeat(64);
const MASTER_KEY = Buffer.alloc(32, 7).toString('base64');

const localEnv = (): NodeJS.ProcessEnv => ({
  TESSERA_RUNTIME: 'local',
  TESSERA_ISSUER: 'http://localhost:3000',
  TESSERA_OPERATOR_KEY_SHA256: OPERATOR_SHA,
  DYNAMODB_ENDPOINT: 'http://127.0.0.1:8000',
  TESSERA_LOCAL_MASTER_KEY: MASTER_KEY,
  CHALLENGES_TABLE: 'tessera-challenges',
  TENANTS_TABLE: 'tessera-tenants',
  LOGS_TABLE: 'tessera-logs',
  USAGE_TABLE: 'tessera-usage',
  THROTTLE_TABLE: 'tessera-throttle',
});

const awsEnv = (): NodeJS.ProcessEnv => ({
  TESSERA_RUNTIME: 'aws',
  TESSERA_ISSUER: 'https://mfa.example.com',
  TESSERA_OPERATOR_KEY_SHA256: OPERATOR_SHA,
  SECRETS_KMS_KEY_ID: 'alias/tessera-secrets',
  SMS_ORIGINATION_IDENTITY: 'pool-123',
  CHALLENGES_TABLE: 'Tessera-Challenges-ABC',
  TENANTS_TABLE: 'Tessera-Tenants-ABC',
  LOGS_TABLE: 'Tessera-Logs-ABC',
  USAGE_TABLE: 'Tessera-Usage-ABC',
  THROTTLE_TABLE: 'Tessera-Throttle-ABC',
  AWS_REGION: 'eu-west-1',
});

const without = (env: NodeJS.ProcessEnv, name: string): NodeJS.ProcessEnv => {
  const { [name]: _dropped, ...rest } = env;
  return rest;
};

describe('loadConfig', () => {
  it('reads a valid local environment', () => {
    expect(loadConfig(localEnv())).toEqual({
      runtime: 'local',
      issuer: 'http://localhost:3000',
      operatorKeySha256: OPERATOR_SHA,
      dynamoEndpoint: 'http://127.0.0.1:8000',
      localMasterKey: MASTER_KEY,
      challengesTable: 'tessera-challenges',
      tenantsTable: 'tessera-tenants',
      logsTable: 'tessera-logs',
      usageTable: 'tessera-usage',
      throttleTable: 'tessera-throttle',
    });
  });

  it('reads a valid AWS environment', () => {
    expect(loadConfig(awsEnv())).toEqual({
      runtime: 'aws',
      issuer: 'https://mfa.example.com',
      operatorKeySha256: OPERATOR_SHA,
      secretsKmsKeyId: 'alias/tessera-secrets',
      smsOriginationIdentity: 'pool-123',
      challengesTable: 'Tessera-Challenges-ABC',
      tenantsTable: 'Tessera-Tenants-ABC',
      logsTable: 'Tessera-Logs-ABC',
      usageTable: 'Tessera-Usage-ABC',
      throttleTable: 'Tessera-Throttle-ABC',
    });
  });

  it('takes AWS as the runtime when none is set, and the origination identity as optional', () => {
    const env = without(without(awsEnv(), 'TESSERA_RUNTIME'), 'SMS_ORIGINATION_IDENTITY');
    const config = loadConfig(env);
    expect(config.runtime).toBe('aws');
    expect(config).not.toHaveProperty('smsOriginationIdentity');
  });

  it.each([
    'TESSERA_ISSUER',
    'TESSERA_OPERATOR_KEY_SHA256',
    'DYNAMODB_ENDPOINT',
    'TESSERA_LOCAL_MASTER_KEY',
    'CHALLENGES_TABLE',
    'TENANTS_TABLE',
    'LOGS_TABLE',
    'USAGE_TABLE',
    'THROTTLE_TABLE',
  ])(
    'fails naming %s when it is missing from a local environment',
    (name) => {
      expect(() => loadConfig(without(localEnv(), name))).toThrow(new RegExp(`\\b${name}\\b`));
    },
  );

  it.each(['TESSERA_ISSUER', 'TESSERA_OPERATOR_KEY_SHA256', 'SECRETS_KMS_KEY_ID', 'CHALLENGES_TABLE', 'TENANTS_TABLE', 'LOGS_TABLE', 'USAGE_TABLE', 'THROTTLE_TABLE'])(
    'fails naming %s when it is missing from an AWS environment',
    (name) => {
      expect(() => loadConfig(without(awsEnv(), name))).toThrow(new RegExp(`\\b${name}\\b`));
    },
  );

  it.each([
    ['TESSERA_RUNTIME', 'gcp'],
    ['TESSERA_ISSUER', 'not a url'],
    ['TESSERA_OPERATOR_KEY_SHA256', 'A'.repeat(64)],
    ['TESSERA_OPERATOR_KEY_SHA256', 'a'.repeat(63)],
    ['DYNAMODB_ENDPOINT', 'localhost'],
    ['TESSERA_LOCAL_MASTER_KEY', Buffer.alloc(16).toString('base64')],
    ['CHALLENGES_TABLE', 'ab'],
    ['LOGS_TABLE', 'ab'],
    ['USAGE_TABLE', 'ab'],
    ['THROTTLE_TABLE', 'ab'],
  ])('fails naming %s when it is malformed (%s)', (name, value) => {
    expect(() => loadConfig({ ...localEnv(), [name]: value })).toThrow(new RegExp(`\\b${name}\\b`));
  });

  it('issue 18: reads the replay\'s stream ARN and failure queue URL, and refuses malformed ones by name', () => {
    const streamArn = 'arn:aws:dynamodb:eu-west-1:123456789012:table/Tessera-Challenges-ABC/stream/2026-11-02T09:41:07.311';
    const queueUrl = 'https://sqs.eu-west-1.amazonaws.com/123456789012/Tessera-dev-Api-Failures';
    expect(loadConfig({ ...awsEnv(), CHALLENGES_STREAM_ARN: streamArn, PROJECTION_FAILURE_QUEUE_URL: queueUrl })).toMatchObject({ challengesStreamArn: streamArn, projectionFailureQueueUrl: queueUrl });
    expect(() => loadConfig({ ...awsEnv(), CHALLENGES_STREAM_ARN: 'Tessera-Challenges-ABC' })).toThrow(/CHALLENGES_STREAM_ARN/);
    expect(() => loadConfig({ ...awsEnv(), PROJECTION_FAILURE_QUEUE_URL: 'Tessera-dev-Api-Failures' })).toThrow(/PROJECTION_FAILURE_QUEUE_URL/);
  });

  it('treats an empty variable as missing', () => {
    expect(() => loadConfig({ ...localEnv(), TESSERA_ISSUER: '' })).toThrow(/TESSERA_ISSUER/);
  });

  it('names only the variables that are wrong', () => {
    const message = (() => {
      try {
        loadConfig({ ...localEnv(), TENANTS_TABLE: '' });
        return '';
      } catch (error) {
        return (error as Error).message;
      }
    })();
    expect(message).toMatch(/TENANTS_TABLE/);
    expect(message).not.toMatch(/CHALLENGES_TABLE|TESSERA_ISSUER|DYNAMODB_ENDPOINT|LOGS_TABLE|USAGE_TABLE|THROTTLE_TABLE/);
  });
});
