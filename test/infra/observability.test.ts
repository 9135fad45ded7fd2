import { Match, Template } from 'aws-cdk-lib/assertions';
import { ALARMS, AWS_SMS_PROVIDERS } from '../../infra/monitoring';
import { DEV, PROD } from '../../infra/stages';
import { FUNCTIONS } from '../../shared/routes';
import { buildTestApp, logicalId } from './support';

type Props = Record<string, unknown>;

describe('observability: alarms, their topic and the dashboard', () => {
  const built = buildTestApp();
  const { api } = built;
  const template = Template.fromStack(api);
  const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')).map((a) => a.Properties as Props);
  const topicId = logicalId(api, api.monitoring.topic);
  const byDescription = (pattern: RegExp) => alarms.filter((a) => pattern.test(String(a.AlarmDescription)));
  /** The metrics an alarm reads, directly or through metric math. */
  const metricsOf = (alarm: Props): { MetricName: string; Namespace: string; Dimensions?: { Name: string; Value: unknown }[] }[] => {
    if (alarm.MetricName) return [{ MetricName: alarm.MetricName as string, Namespace: alarm.Namespace as string, Dimensions: alarm.Dimensions as never }];
    return ((alarm.Metrics ?? []) as { MetricStat?: { Metric: never } }[]).flatMap((m) => (m.MetricStat ? [m.MetricStat.Metric] : []));
  };

  it('the alarm set: API 5xx, Lambda throttles of every handler, SMS failure rate, voice rollover failures, billing run failures', () => {
    expect(byDescription(/5xx answers/)).toHaveLength(1);
    expect(metricsOf(byDescription(/5xx answers/)[0]!)).toEqual([expect.objectContaining({ MetricName: '5xx', Namespace: 'AWS/ApiGateway' })]);

    const throttled = byDescription(/were throttled/).flatMap(metricsOf);
    expect(throttled.every((m) => m.MetricName === 'Throttles' && m.Namespace === 'AWS/Lambda')).toBe(true);
    expect(throttled).toHaveLength(FUNCTIONS.length);

    const sms = byDescription(/texts reached no provider/);
    expect(sms).toHaveLength(1);
    const smsMetrics = metricsOf(sms[0]!);
    expect(smsMetrics.map((m) => m.MetricName).sort()).toEqual([...AWS_SMS_PROVIDERS.map(() => 'SmsSent'), 'SmsUndelivered'].sort());
    for (const m of smsMetrics) {
      expect(m.Namespace).toBe('Tessera');
      expect(m.Dimensions).toEqual(expect.arrayContaining([{ Name: 'service', Value: 'tessera-dev' }]));
    }
    expect(sms[0]!.Threshold).toBe(ALARMS.smsFailureRate.thresholdPercent);
    const expression = ((sms[0]!.Metrics as { Expression?: string }[]).find((m) => m.Expression)?.Expression ?? '');
    expect(expression).toContain(`>= ${ALARMS.smsFailureRate.minimumAttempts}`);

    const voice = byDescription(/voice rollover execution failed/).flatMap(metricsOf);
    expect(voice.map((m) => m.MetricName).sort()).toEqual(['ExecutionsAborted', 'ExecutionsFailed', 'ExecutionsTimedOut']);
    expect(voice.every((m) => m.Namespace === 'AWS/States')).toBe(true);

    const billing = byDescription(/billing run/).flatMap(metricsOf);
    expect(billing.map((m) => m.MetricName).sort()).toEqual(['ApproximateNumberOfMessagesVisible', 'Errors']);

    // Issue 18: a range on the projection's failure queue, whether a message is visible or in flight (hidden by a replay run).
    const gaveUp = byDescription(/gave up on a range/).flatMap(metricsOf);
    expect(gaveUp.map((m) => [m.Namespace, m.MetricName]).sort()).toEqual([
      ['AWS/SQS', 'ApproximateNumberOfMessagesNotVisible'],
      ['AWS/SQS', 'ApproximateNumberOfMessagesVisible'],
    ]);
  });

  it('every alarm notifies the topic when it fires and when it clears, and treats missing data as fine', () => {
    expect(alarms.length).toBeGreaterThanOrEqual(5);
    for (const alarm of alarms) {
      expect(alarm.AlarmActions).toEqual([{ Ref: topicId }]);
      expect(alarm.OKActions).toEqual([{ Ref: topicId }]);
      expect(alarm.TreatMissingData).toBe('notBreaching');
    }
  });

  it('the alarm topic is encrypted with a rotating customer-managed key CloudWatch may use, and refuses plain HTTP', () => {
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
    template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: { Statement: Match.arrayWith([Match.objectLike({ Principal: { Service: 'cloudwatch.amazonaws.com' } })]) },
    });
    template.resourceCountIs('AWS::SNS::Subscription', 0);
    const withEmail = Template.fromStack(buildTestApp({ alarmEmail: 'oncall@example.com' }).api);
    withEmail.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'oncall@example.com' });
  });

  it('one dashboard with the API, the business metrics by factor and reason, SMS, voice and the handlers', () => {
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    const dashboard = Object.values(template.findResources('AWS::CloudWatch::Dashboard'))[0]!.Properties as { DashboardName: string; DashboardBody: unknown };
    expect(dashboard.DashboardName).toBe('tessera-dev');
    const body = JSON.stringify(api.resolve(dashboard.DashboardBody));
    for (const text of ['Challenges by factor', 'Approvals by factor', 'Denials by reason', 'SMS (R16)', 'Voice (R13)', 'Throttled requests', 'Handler errors', 'API latency']) {
      expect(body).toContain(text);
    }
    for (const metric of ['Challenges', 'Approvals', 'Denials', 'SmsFailovers', 'VoiceRollovers', 'Throttled']) expect(body).toContain(`\\"${metric}\\"`);
  });

  it('every handler traces with X-Ray; the voice state machine logs ALL events and traces too', () => {
    for (const fn of Object.values(template.findResources('AWS::Lambda::Function'))) {
      expect((fn.Properties as Props).TracingConfig).toEqual({ Mode: 'Active' });
    }
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineType: 'STANDARD',
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: Match.objectLike({ Level: 'ALL', IncludeExecutionData: false }),
    });
  });
});

describe('R26: the billing run has a dead-letter queue behind its schedule and its asynchronous invocation', () => {
  const { api } = buildTestApp();
  const template = Template.fromStack(api);
  // The billing run's queue (the challenge projection's failure queue is tested with it, in api-stack.test.ts).
  const queues = Object.fromEntries(Object.entries(template.findResources('AWS::SQS::Queue')).filter(([id]) => !id.startsWith('ChallengeProjectionSource')));
  const queueId = Object.keys(queues)[0]!;

  it('one encrypted queue, SSL only, kept 14 days', () => {
    expect(Object.keys(queues)).toHaveLength(1);
    expect(queues[queueId]!.Properties).toMatchObject({ SqsManagedSseEnabled: true, MessageRetentionPeriod: 14 * 86_400 });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
  });

  it('the schedule target and the function both send failures there', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      Targets: [Match.objectLike({ DeadLetterConfig: { Arn: { 'Fn::GetAtt': [queueId, 'Arn'] } }, RetryPolicy: { MaximumRetryAttempts: 2 } })],
    });
    const run = template.findResources('AWS::Lambda::Function')[logicalId(api, api.functions.get('billing-run')!.function)]!.Properties as Props;
    expect(run.DeadLetterConfig).toEqual({ TargetArn: { 'Fn::GetAtt': [queueId, 'Arn'] } });
  });
});

describe('stages: dev and prod differ only as infra/stages.ts says', () => {
  const apps = { dev: buildTestApp({ stage: 'dev' }).api, prod: buildTestApp({ stage: 'prod' }).api };
  const templates = { dev: Template.fromStack(apps.dev), prod: Template.fromStack(apps.prod) };
  const retention = (stage: 'dev' | 'prod') => {
    const api = apps[stage];
    const t = templates[stage];
    const groups = Object.values(t.findResources('AWS::Logs::LogGroup')).map((g) => g as { Properties: { RetentionInDays: number }; DeletionPolicy?: string });
    return {
      access: (t.findResources('AWS::Logs::LogGroup')[logicalId(api, api.accessLogs)] as { Properties: { RetentionInDays: number } }).Properties.RetentionInDays,
      handlers: new Set(groups.map((g) => g.Properties.RetentionInDays)),
      deletion: new Set(groups.map((g) => g.DeletionPolicy)),
    };
  };

  it('log retention and removal: dev short and disposable, prod long and retained', () => {
    const dev = retention('dev');
    const prod = retention('prod');
    expect(dev.access).toBe(DEV.accessLogRetention);
    expect(prod.access).toBe(PROD.accessLogRetention);
    expect(dev.handlers).toEqual(new Set([DEV.functionLogRetention, DEV.accessLogRetention]));
    expect(prod.handlers).toEqual(new Set([PROD.functionLogRetention, PROD.accessLogRetention]));
    expect(dev.deletion).toEqual(new Set(['Delete']));
    expect(prod.deletion).toEqual(new Set(['Retain']));
  });

  it('handlers log at DEBUG in dev and INFO in prod', () => {
    const level = (stage: 'dev' | 'prod') => {
      const api = apps[stage];
      const fn = templates[stage].findResources('AWS::Lambda::Function')[logicalId(api, api.functions.get('jwks')!.function)]!;
      return ((fn.Properties as { Environment: { Variables: Props } }).Environment.Variables.POWERTOOLS_LOG_LEVEL);
    };
    expect([level('dev'), level('prod')]).toEqual(['DEBUG', 'INFO']);
  });
});

describe('R15: each caller-ID number gets a SIP rule into the SIP media application', () => {
  it('one custom resource per number, named after the stage, handled by the deploy-time function, which alone may manage SIP rules', () => {
    const { api } = buildTestApp({ voicePhoneNumbers: '+14155550199, +442071838750' });
    const t = Template.fromStack(api);
    const smaId = api.getLogicalId(api.voice.sipMediaApplication);
    const handlerId = logicalId(api, api.functions.get('voice-sip-rules')!.function);
    const rules = Object.values(t.findResources('Custom::TesseraSipRule')).map((r) => r.Properties as Props);
    expect(rules).toEqual([
      expect.objectContaining({ Name: 'tessera-dev-14155550199', PhoneNumber: '+14155550199', SipMediaApplicationId: { 'Fn::GetAtt': [smaId, 'SipMediaApplicationId'] }, ServiceToken: { 'Fn::GetAtt': [handlerId, 'Arn'] } }),
      expect.objectContaining({ Name: 'tessera-dev-442071838750', PhoneNumber: '+442071838750' }),
    ]);
    t.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: [{ Effect: 'Allow', Action: ['chime:CreateSipRule', 'chime:DeleteSipRule', 'chime:UpdateSipRule'], Resource: '*' }] },
      Roles: [{ Ref: logicalId(api, api.functions.get('voice-sip-rules')!.role) }],
    });
  });

  it('no numbers, no rules and no SIP rule permission; a number that is not E.164 is refused at synth', () => {
    const t = Template.fromStack(buildTestApp().api);
    t.resourceCountIs('Custom::TesseraSipRule', 0);
    expect(JSON.stringify(t.findResources('AWS::IAM::Policy'))).not.toContain('chime:CreateSipRule');
    expect(() => buildTestApp({ voicePhoneNumbers: '4155550199' })).toThrow(/not an E\.164 number/);
  });
});
