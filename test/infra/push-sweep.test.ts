import { Match, Template } from 'aws-cdk-lib/assertions';
import { CHALLENGES_TABLE, GSI1, LOGS_TABLE, TENANTS_TABLE, THROTTLE_TABLE, USAGE_TABLE } from '../../shared/tables';
import { actionsOn, buildTestApp, logicalId, statementsOf } from './support';

describe('R7 push deadline sweep: schedule and grants', () => {
  const built = buildTestApp();
  const { api, data } = built;
  const template = Template.fromStack(api);
  const sweep = api.functions.get('push-sweep')!;
  const sweepId = logicalId(api, sweep.function);
  const statements = statementsOf(built, template, 'push-sweep');

  it('R7: an EventBridge rule invokes the sweep every minute, without retries of a stale run', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
      State: 'ENABLED',
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [sweepId, 'Arn'] }, Input: '{}', RetryPolicy: { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 60 } })],
    });
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      FunctionName: { 'Fn::GetAtt': [sweepId, 'Arn'] },
      Principal: 'events.amazonaws.com',
    });
  });

  it('R7: the sweep queries the open pushes by deadline (the challenges table\'s gsi1) and writes timeouts, logs, usage and fatigue; nothing else', () => {
    const table = (definition: { id: string }) => api.resolve(data.table(definition as typeof CHALLENGES_TABLE).tableArn);
    for (const definition of [CHALLENGES_TABLE, LOGS_TABLE, USAGE_TABLE, THROTTLE_TABLE]) {
      expect(actionsOn(statements, table(definition))).toEqual(expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:UpdateItem']));
    }
    expect(actionsOn(statements, table(TENANTS_TABLE))).toEqual([]);
    const index = { 'Fn::Join': ['', [table(CHALLENGES_TABLE), `/index/${GSI1.name}`]] };
    expect(actionsOn(statements, index)).toEqual(['dynamodb:Query']);
    // No secrets key, no SNS, no scan.
    expect(actionsOn(statements, api.resolve(data.secretsKey.keyArn))).toEqual([]);
    const actions = statements.flatMap((s) => s.Action);
    expect(actions.filter((a) => a.startsWith('sns:') || a.startsWith('s3:') || a === 'dynamodb:Scan')).toEqual([]);
  });

  it('R7: the challenges table lists open pushes in gsi1, all attributes projected', () => {
    const dataTemplate = Template.fromStack(data);
    dataTemplate.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
      GlobalSecondaryIndexes: [Match.objectLike({ IndexName: GSI1.name, Projection: { ProjectionType: 'ALL' } })],
    });
  });
});
