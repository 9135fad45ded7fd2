import { Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { buildTestApp } from './support';

/** The open findings of both packs the app runs on every synth: AwsSolutions and Serverless. */
function findings(scope: IConstruct): string[] {
  const violations = [new AwsSolutionsChecks(), new ServerlessChecks()].flatMap((pack) => pack.validateScope(scope).violations);
  return violations.map(
    (v) =>
      `${v.severity ?? 'error'} ${v.ruleName}: ${v.description}\n` +
      v.violatingResources.map((r) => `    at ${r.constructPath ?? r.resourceLogicalId}`).join('\n'),
  );
}

function acknowledgements(scope: IConstruct): { id: string; reason: string; path: string }[] {
  return scope.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) =>
        Object.entries(entry.data as Record<string, string>).map(([id, reason]) => ({ id, reason, path: construct.node.path })),
      ),
  );
}

describe('cdk-nag AwsSolutions and Serverless', () => {
  it.each([
    ['dev', {}],
    ['prod', {}],
    // Every optional part switched on: caller-ID SIP rules, a custom domain, console origins, alarm e-mail.
    [
      'prod with every option',
      {
        voicePhoneNumbers: '+14155550199,+442071838750',
        domainName: 'mfa.example.com',
        certificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/0f0e0d0c-0b0a-0908-0706-050403020100',
        consoleOrigins: 'https://console.example.com',
        alarmEmail: 'oncall@example.com',
      },
    ],
  ])('%s: no finding, error or warning, is left unfixed or unacknowledged', (name, context) => {
    const { app } = buildTestApp({ stage: name.split(' ')[0], ...context });
    // Synthesis runs the pack registered on the app too, and throws on an error-level finding.
    app.synth();
    const open = findings(app);
    if (open.length > 0) console.log(`Unacknowledged cdk-nag findings:\n${open.join('\n')}`);
    expect(open).toEqual([]);
  });

  it('every acknowledgement carries a specific written reason', () => {
    const acks = acknowledgements(buildTestApp().app);
    expect(acks.length).toBeGreaterThan(0);
    for (const ack of acks) {
      expect({ id: ack.id, path: ack.path, reasonLength: ack.reason.trim().length }).toEqual({
        id: ack.id,
        path: ack.path,
        reasonLength: expect.any(Number),
      });
      expect(ack.reason.trim().length).toBeGreaterThanOrEqual(80);
    }
    // Only these rules are acknowledged; a new one must be argued for here as well.
    const ids = [...new Set(acks.map((a) => a.id.replace(/^annotation::/i, '')))].sort();
    const normalised = ids.map((id) => id.replace(/^(AwsSolutions-IAM5\[Resource::<)(BillingBucket|Files|JobsBucket)[0-9A-F]{8}(\.Arn>)/, '$1$2$3')).sort();
    expect(normalised).toEqual(
      [
      'AwsSolutions-APIG4',
      'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
      'AwsSolutions-IAM5[Action::kms:ReEncrypt*]',
      'AwsSolutions-IAM5[Resource::*]',
      // R26: the monthly export's keys, billing/<YYYY-MM>.csv and .json, under one bucket.
      'AwsSolutions-IAM5[Resource::<BillingBucket.Arn>/billing/*]',
      // R19/R22: job files are keyed <tenantId>/<jobId>/…, known only at run time; the Distributed Map reads each job's manifest and runs its own child executions.
      'AwsSolutions-IAM5[Resource::<JobsBucket.Arn>/*/manifest.json]',
      'AwsSolutions-IAM5[Resource::<JobsBucket.Arn>/*]',
      'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:Tessera-dev-Api-jobs/*]',
      // R19/R22: cancel stops the job's own execution, named after the job.
      'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:Tessera-dev-Api-jobs:*]',
      'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:sms-voice:<AWS::Region>:<AWS::AccountId>:*]',
      // R9: Publish to the endpoints SNS creates at activation, under this stage's platform applications only.
      'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:sns:<AWS::Region>:<AWS::AccountId>:endpoint/APNS/tessera-dev-ios/*]',
      'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:sns:<AWS::Region>:<AWS::AccountId>:endpoint/GCM/tessera-dev-android/*]',
      // R26: the export bucket has no server access log bucket of its own.
      'AwsSolutions-S1',
      // R26: the billing run's dead-letter queue is the end of the line: an alarm, then a re-run by hand.
      'AwsSolutions-SQS3',
      // Handlers invoked synchronously (API Gateway, Step Functions, Chime, CloudFormation): a DLQ would stay empty.
      'Serverless-LambdaDLQ',
      // R7: the push sweep's every-minute event carries nothing; the next one replaces an undelivered one.
      'Serverless-EventBusDLQ',
      'Serverless-SQSRedrivePolicy',
      // The console's files are copied by aws-cdk-lib's BucketDeployment handler, whose runtime, role and grants it owns.
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      'AwsSolutions-IAM5[Action::s3:Abort*]',
      'AwsSolutions-IAM5[Action::s3:DeleteObject*]',
      'AwsSolutions-IAM5[Action::s3:GetBucket*]',
      'AwsSolutions-IAM5[Action::s3:GetObject*]',
      'AwsSolutions-IAM5[Action::s3:List*]',
      'AwsSolutions-IAM5[Resource::<Files.Arn>/*]',
      'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-<AWS::Region>/*]',
      'AwsSolutions-L1',
      'Serverless-LambdaLatestVersion',
      'Serverless-LambdaTracing',
      // The console's distribution: no geo restriction, no WAF, no access log of its own, the default certificate.
      'AwsSolutions-CFR1',
      'AwsSolutions-CFR2',
      'AwsSolutions-CFR3',
      'AwsSolutions-CFR4',
      ].sort(),
    );
  });

  it('the Serverless pack reports a new asynchronously invoked function without a dead-letter queue', () => {
    const { app, api } = buildTestApp();
    new lambda.Function(api, 'Unchecked', {
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler = async () => {}'),
      tracing: lambda.Tracing.ACTIVE,
    });
    expect(findings(app).join('\n')).toMatch(/Serverless-LambdaDLQ[\s\S]*Unchecked/);
  });

  it('reports a finding nobody acknowledged (the check above can fail)', () => {
    const { app, api } = buildTestApp();
    new iam.Policy(api, 'Overbroad', {
      roles: [api.functions.get('jwks')!.role],
      statements: [new iam.PolicyStatement({ actions: ['dynamodb:*'], resources: ['*'] })],
    });
    expect(findings(app).join('\n')).toMatch(/AwsSolutions-IAM5\[Action::dynamodb:\*\][\s\S]*Overbroad/);
  });
});
