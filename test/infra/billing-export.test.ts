import { Match, Template } from 'aws-cdk-lib/assertions';
import { NONCURRENT_EXPORT_DAYS } from '../../infra/billing-export';
import { ENV } from '../../shared/config';
import { BILLING_RUN_HOUR_UTC, PROJECTION_MAX_RECORD_AGE_HOURS } from '../../shared/rules';
import { actionsOn, buildTestApp, logicalId, statementsOf } from './support';

describe('R26 billing export: schedule and bucket', () => {
  const built = buildTestApp();
  const { api } = built;
  const template = Template.fromStack(api);
  const bucketId = logicalId(api, api.billing.bucket);
  const runId = logicalId(api, api.functions.get('billing-run')!.function);

  it('runs the billing handler at 08:00 UTC on the 1st of every month, after the projection has written or given up on the month (R24)', () => {
    expect(BILLING_RUN_HOUR_UTC).toBeGreaterThan(PROJECTION_MAX_RECORD_AGE_HOURS);
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'cron(0 8 1 * ? *)',
      State: 'ENABLED',
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [runId, 'Arn'] }, Input: '{}' })],
    });
  });

  it('the bucket is encrypted, versioned, private, owner-enforced, with lifecycle rules', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      VersioningConfiguration: { Status: 'Enabled' },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
      LifecycleConfiguration: {
        Rules: Match.arrayWith([Match.objectLike({ NoncurrentVersionExpiration: { NoncurrentDays: NONCURRENT_EXPORT_DAYS }, Status: 'Enabled' })]),
      },
    });
  });

  it('the bucket refuses every request not made over TLS', () => {
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: bucketId },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('the billing run may only PutObject under billing/ of the bucket, and learns its name from the environment', () => {
    const statements = statementsOf(built, template, 'billing-run');
    const objects = { 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, '/billing/*']] };
    expect(actionsOn(statements, objects)).toEqual(['s3:PutObject']);
    expect(statements.flatMap((s) => s.Action).filter((a) => a.startsWith('s3:'))).toEqual(['s3:PutObject']);
    const fn = template.findResources('AWS::Lambda::Function')[runId]!;
    expect((fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables[ENV.billingExportBucket]).toEqual({ Ref: bucketId });
  });

  it('the billing run learns the projection event source and failure queue from the environment (R24)', () => {
    const variables = (template.findResources('AWS::Lambda::Function')[runId]!.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
    const mappings = Object.keys(template.findResources('AWS::Lambda::EventSourceMapping'));
    expect(mappings).toHaveLength(1);
    expect(variables[ENV.projectionEventSourceId]).toEqual({ Ref: mappings[0] });
    expect(variables[ENV.projectionFailureQueueUrl]).toEqual({ Ref: logicalId(api, api.projection.failures) });
  });

  it('no other handler may touch the bucket (the bulk jobs have a bucket of their own)', () => {
    for (const name of built.api.functions.keys()) {
      if (name === 'billing-run') continue;
      const onBucket = statementsOf(built, template, name).filter((s) => JSON.stringify(s.Resource ?? '').includes(bucketId));
      expect({ name, actions: onBucket.flatMap((s) => s.Action) }).toEqual({ name, actions: [] });
      if (!/^(admin-jobs|job-)/.test(name)) expect({ name, s3: statementsOf(built, template, name).flatMap((s) => s.Action).filter((a) => a.startsWith('s3:')) }).toEqual({ name, s3: [] });
    }
  });
});
