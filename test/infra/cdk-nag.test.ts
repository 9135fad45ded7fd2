import { Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { buildTestApp } from './support';

function findings(scope: IConstruct): string[] {
  const report = new AwsSolutionsChecks().validateScope(scope);
  return report.violations.map(
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

describe('cdk-nag AwsSolutions', () => {
  it.each(['dev', 'prod'])('%s: no finding, error or warning, is left unfixed or unacknowledged', (stage) => {
    const { app } = buildTestApp({ stage });
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
    expect(ids.map((id) => id.replace(/^(AwsSolutions-IAM5\[Resource::<)BillingBucket[0-9A-F]{8}(\.Arn>)/, '$1BillingBucket$2'))).toEqual([
      'AwsSolutions-APIG4',
      'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
      'AwsSolutions-IAM5[Action::kms:ReEncrypt*]',
      'AwsSolutions-IAM5[Resource::*]',
      // R26: the monthly export's keys, billing/<YYYY-MM>.csv and .json, under one bucket.
      'AwsSolutions-IAM5[Resource::<BillingBucket.Arn>/billing/*]',
      'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:sms-voice:<AWS::Region>:<AWS::AccountId>:*]',
      // R9: Publish to the endpoints SNS creates at activation, under this stage's platform applications only.
      'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:sns:<AWS::Region>:<AWS::AccountId>:endpoint/APNS/tessera-dev-ios/*]',
      'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:sns:<AWS::Region>:<AWS::AccountId>:endpoint/GCM/tessera-dev-android/*]',
      // R26: the export bucket has no server access log bucket of its own.
      'AwsSolutions-S1',
    ]);
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
