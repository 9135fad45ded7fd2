import { Match, Template } from 'aws-cdk-lib/assertions';
import { FAIR_SHARE_EXEMPT, ROUTE_THROTTLES } from '../../infra/api-stack';
import { DEV, PROD } from '../../infra/stages';
import { PLACEHOLDER_OPERATOR_KEY_SHA256 } from '../../infra/tessera-app';
import { ENV } from '../../shared/config';
import { BILLING_FUNCTIONS, DEPLOY_FUNCTIONS, FUNCTIONS, JOB_FUNCTIONS, OPERATOR_FUNCTIONS, ROUTES, STREAM_FUNCTIONS, SWEEP_FUNCTIONS, VOICE_FUNCTIONS, type FunctionName } from '../../shared/routes';
import { PROJECTION_BOUND_SECONDS, PUSH_REQUESTS_PER_SOURCE_PER_MINUTE, TENANT_CHALLENGES_PER_SECOND, TENANT_REQUESTS_PER_SECOND } from '../../shared/rules';
import { PROJECTION_BATCHING_WINDOW_SECONDS, PROJECTION_MAX_RECORD_AGE_HOURS } from '../../infra/challenge-projection';
import { PROJECTION_FAILED, PROJECTION_SKIPPED } from '../../shared/adapters/dynamo/challenge-projection';
import { REPLAY_TIMEOUT_SECONDS } from '../../shared/adapters/sqs/projection-failures';
import { TENANT_CHALLENGE_ROUTES } from '../../shared/domain/request-caps';
import { CHALLENGES_TABLE, LOGS_TABLE, TENANTS_TABLE, THROTTLE_TABLE, USAGE_TABLE, type TableDefinition } from '../../shared/tables';
import { actionsOn, buildTestApp, logicalId, statementsOf } from './support';

type Props = Record<string, unknown>;

/** Every handler: the routes' and the voice rollover's. */
const HANDLERS: FunctionName[] = [...FUNCTIONS];

describe('ApiStack', () => {
  const built = buildTestApp();
  const { api, data } = built;
  const template = Template.fromStack(api);
  const functionId = (name: FunctionName) => logicalId(api, built.api.functions.get(name)!.function);
  const functionProps = (name: FunctionName) => template.findResources('AWS::Lambda::Function')[functionId(name)]!.Properties as Props;
  const apiId = logicalId(api, api.httpApi);

  describe('functions', () => {
    it('one function per distinct handler in ROUTES, one per voice handler and the billing run', () => {
      template.resourceCountIs('AWS::Lambda::Function', HANDLERS.length);
      expect([...api.functions.keys()].sort()).toEqual([...HANDLERS].sort());
      expect(new Set(ROUTES.map((r) => r.handler)).size + VOICE_FUNCTIONS.length + BILLING_FUNCTIONS.length + SWEEP_FUNCTIONS.length + DEPLOY_FUNCTIONS.length + JOB_FUNCTIONS.length + STREAM_FUNCTIONS.length + OPERATOR_FUNCTIONS.length).toBe(HANDLERS.length);
    });

    it('every function runs Node 24 on arm64 with active tracing and 512 MB (recovery codes and job starts more); API handlers time out at 10 s, the billing run at 5 min, the push sweep within its minute', () => {
      template.allResourcesProperties('AWS::Lambda::Function', {
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        TracingConfig: { Mode: 'Active' },
      });
      const memory: Partial<Record<FunctionName, number>> = { 'recovery-codes': 1769, 'admin-recovery': 1769, 'admin-jobs': 1769 };
      for (const name of HANDLERS) expect({ name, memory: functionProps(name).MemorySize }).toEqual({ name, memory: memory[name] ?? 512 });
      const timeouts: Partial<Record<FunctionName, number>> = { 'billing-run': 300, 'push-sweep': 50, 'job-batch': 300, 'job-complete': 900, 'admin-jobs': 29, 'challenge-projection': 60, 'projection-replay': REPLAY_TIMEOUT_SECONDS };
      for (const name of HANDLERS) expect({ name, timeout: functionProps(name).Timeout }).toEqual({ name, timeout: timeouts[name] ?? 10 });
    });

    it('every function logs to a log group of its own, with retention', () => {
      const groups = HANDLERS.map((name) => (functionProps(name).LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref);
      expect(new Set(groups).size).toBe(HANDLERS.length);
      const logGroups = template.findResources('AWS::Logs::LogGroup');
      for (const id of groups) expect(logGroups[id]?.Properties).toMatchObject({ RetentionInDays: expect.any(Number) });
    });

    it('every function gets what the handlers\' configuration requires, by the names in ENV and TABLES', () => {
      for (const name of HANDLERS) {
        const variables = (functionProps(name).Environment as { Variables: Props }).Variables;
        expect(variables).toMatchObject({
          [ENV.runtime]: 'aws',
          [ENV.issuer]: { 'Fn::GetAtt': [apiId, 'ApiEndpoint'] },
          [ENV.operatorKeySha256]: PLACEHOLDER_OPERATOR_KEY_SHA256,
          [ENV.secretsKmsKeyId]: api.resolve(data.secretsKey.keyArn),
          // Observability: logs, EMF metrics and traces under the stage's service name (two stages never mix).
          POWERTOOLS_SERVICE_NAME: 'tessera-dev',
          POWERTOOLS_METRICS_NAMESPACE: 'Tessera',
          POWERTOOLS_LOG_LEVEL: DEV.logLevel,
          ...Object.fromEntries(data.tables.map(({ definition, table }) => [definition.envVar, api.resolve(table.tableName)])),
        });
        expect(variables).not.toHaveProperty(ENV.smsOriginationIdentity);
        expect(variables).not.toHaveProperty(ENV.localMasterKey);
      }
    });

    it('context sets the operator key hash and the SMS origination identity', () => {
      const hash = 'ab'.repeat(32);
      const other = buildTestApp({ operatorKeySha256: hash, smsOriginationIdentity: 'pool-0123456789abcdef' });
      Template.fromStack(other.api).allResourcesProperties('AWS::Lambda::Function', {
        Environment: {
          Variables: Match.objectLike({ [ENV.operatorKeySha256]: hash, [ENV.smsOriginationIdentity]: 'pool-0123456789abcdef' }),
        },
      });
    });

    it('refuses an operator key hash that is not 64 lowercase hex characters', () => {
      expect(() => buildTestApp({ operatorKeySha256: 'not-a-hash' })).toThrow(/operatorKeySha256/);
    });
  });

  describe('HTTP API', () => {
    it('one route per ROUTES entry, integrated with that entry\'s handler', () => {
      const routes = Object.values(template.findResources('AWS::ApiGatewayV2::Route')).map((r) => r.Properties as Props);
      const integrations = template.findResources('AWS::ApiGatewayV2::Integration');
      expect(routes).toHaveLength(ROUTES.length);
      const actual = routes.map((route) => {
        const integrationId = ((route.Target as { 'Fn::Join': [string, [string, { Ref: string }]] })['Fn::Join'][1][1]).Ref;
        const uri = integrations[integrationId]!.Properties.IntegrationUri as { 'Fn::GetAtt': [string, string] };
        return `${String(route.RouteKey)} -> ${uri['Fn::GetAtt'][0]}`;
      });
      const expected = ROUTES.map((r) => `${r.method} ${r.path} -> ${functionId(r.handler)}`);
      expect(actual.sort()).toEqual(expected.sort());
    });

    it('the default stage deploys automatically, logs access to a log group and throttles every route (dev limits)', () => {
      template.resourceCountIs('AWS::ApiGatewayV2::Stage', 1);
      template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
        StageName: '$default',
        AutoDeploy: true,
        AccessLogSettings: {
          DestinationArn: { 'Fn::GetAtt': [logicalId(api, api.accessLogs), 'Arn'] },
          Format: Match.stringLikeRegexp('\\$context\\.requestId'),
        },
        DefaultRouteSettings: {
          ThrottlingRateLimit: DEV.throttle.rateLimit,
          ThrottlingBurstLimit: DEV.throttle.burstLimit,
        },
      });
    });

    it('prod: costly or guessable routes are throttled below the stage default, route by route', () => {
      const prod = Template.fromStack(buildTestApp({ stage: 'prod' }).api);
      const stage = Object.values(prod.findResources('AWS::ApiGatewayV2::Stage'))[0]!.Properties as Props;
      expect(stage.DefaultRouteSettings).toEqual({ ThrottlingRateLimit: PROD.throttle.rateLimit, ThrottlingBurstLimit: PROD.throttle.burstLimit });
      const expected = Object.fromEntries(
        Object.entries(ROUTE_THROTTLES).map(([key, l]) => [key, { ThrottlingRateLimit: l.rateLimit, ThrottlingBurstLimit: l.burstLimit }]),
      );
      expect(stage.RouteSettings).toEqual(expected);
      expect(expected['POST /v1/challenges']!.ThrottlingRateLimit).toBeLessThan(PROD.throttle.rateLimit);
      // Every throttled key is a real route, and the stage waits for those routes to exist.
      const routeKeys = new Set(ROUTES.map((r) => `${r.method} ${r.path}`));
      for (const key of Object.keys(ROUTE_THROTTLES)) expect(routeKeys).toContain(key);
      const stageResource = Object.values(prod.findResources('AWS::ApiGatewayV2::Stage'))[0] as { DependsOn?: string[] };
      expect(stageResource.DependsOn?.length).toBeGreaterThanOrEqual(Object.keys(ROUTE_THROTTLES).length);
    });

    it('R6: one tenant (or one source on the push routes) at its cap leaves at least half of every limit it shares with the others', () => {
      const tooSmall: string[] = [];
      for (const [name, settings, built] of [['dev', DEV, template], ['prod', PROD, Template.fromStack(buildTestApp({ stage: 'prod' }).api)]] as const) {
        const stage = Object.values(built.findResources('AWS::ApiGatewayV2::Stage'))[0]!.Properties as {
          RouteSettings: Record<string, { ThrottlingRateLimit: number }>;
        };
        if (settings.throttle.rateLimit < 2 * TENANT_REQUESTS_PER_SECOND) tooSmall.push(`${name} stage: ${settings.throttle.rateLimit} rps`);
        for (const route of ROUTES) {
          const key = `${route.method} ${route.path}`;
          if (route.scope === 'operator' || FAIR_SHARE_EXEMPT[key]) continue;
          const limit = stage.RouteSettings[key]?.ThrottlingRateLimit ?? settings.throttle.rateLimit;
          const cap =
            route.scope === 'public'
              ? route.path.startsWith('/v1/push/')
                ? PUSH_REQUESTS_PER_SOURCE_PER_MINUTE
                : 0
              : TENANT_CHALLENGE_ROUTES.includes(key)
                ? TENANT_CHALLENGES_PER_SECOND
                : TENANT_REQUESTS_PER_SECOND;
          if (limit < 2 * cap) tooSmall.push(`${name} ${key}: ${limit} rps for a cap of ${cap}`);
        }
      }
      expect(tooSmall).toEqual([]);
    });

    it('dev: a route limit never exceeds the lower stage default', () => {
      const stage = Object.values(template.findResources('AWS::ApiGatewayV2::Stage'))[0]!.Properties as { RouteSettings: Record<string, { ThrottlingRateLimit: number }> };
      for (const limit of Object.values(stage.RouteSettings)) expect(limit.ThrottlingRateLimit).toBeLessThanOrEqual(DEV.throttle.rateLimit);
    });

    it('CORS: none by default (the console shares CloudFront\'s origin); only the HTTPS origins context names', () => {
      expect((Object.values(template.findResources('AWS::ApiGatewayV2::Api'))[0]!.Properties as Props).CorsConfiguration).toBeUndefined();
      const withConsole = Template.fromStack(buildTestApp({ stage: 'prod', consoleOrigins: 'https://console.example.com' }).api);
      withConsole.hasResourceProperties('AWS::ApiGatewayV2::Api', {
        CorsConfiguration: {
          AllowOrigins: ['https://console.example.com'],
          AllowHeaders: ['authorization', 'content-type', 'idempotency-key', 'tessera-pskc-key'],
          ExposeHeaders: ['retry-after', 'location'],
          MaxAge: 3600,
        },
      });
      expect(() => buildTestApp({ consoleOrigins: 'console.example.com/path' })).toThrow(/not an HTTPS origin/);
      expect(() => buildTestApp({ consoleOrigins: 'http://console.example.com' })).toThrow(/not an HTTPS origin/);
      expect(() => buildTestApp({ consoleOrigins: 'http://localhost:3000' })).not.toThrow();
    });

    it('a custom domain from context: domain, mapping, the DNS target as output, and assertions issued under it', () => {
      const arn = 'arn:aws:acm:eu-west-1:123456789012:certificate/0f0e0d0c-0b0a-0908-0706-050403020100';
      const custom = buildTestApp({ domainName: 'mfa.example.com', certificateArn: arn });
      const t = Template.fromStack(custom.api);
      t.hasResourceProperties('AWS::ApiGatewayV2::DomainName', {
        DomainName: 'mfa.example.com',
        DomainNameConfigurations: [Match.objectLike({ CertificateArn: arn, EndpointType: 'REGIONAL' })],
      });
      t.hasResourceProperties('AWS::ApiGatewayV2::ApiMapping', { DomainName: Match.anyValue(), Stage: Match.anyValue() });
      t.hasOutput('DomainTarget', {});
      const env = (t.findResources('AWS::Lambda::Function')[logicalId(custom.api, custom.api.functions.get('verify-challenge')!.function)]!.Properties as { Environment: { Variables: Record<string, unknown> } }).Environment.Variables;
      expect(env[ENV.issuer]).toBe('https://mfa.example.com');
      template.resourceCountIs('AWS::ApiGatewayV2::DomainName', 0);
      expect(() => buildTestApp({ domainName: 'mfa.example.com' })).toThrow(/go together/);
    });

    it('outputs the API URL, the projection replay function and its failure queue', () => {
      template.hasOutput('ApiUrl', { Value: { 'Fn::GetAtt': [apiId, 'ApiEndpoint'] } });
      // Issue 18: the replay function and the queue it drains, for the operator.
      template.hasOutput('ProjectionReplayFunctionName', { Value: { Ref: functionId('projection-replay') } });
      template.hasOutput('ProjectionFailureQueueUrl', { Value: { Ref: Match.stringLikeRegexp('^ChallengeProjectionSourceFailures') } });
    });
  });

  describe('challenge projection (R23, R24)', () => {
    it('reads the Challenges stream from its start, in batches of 100, reporting the first record not written, bisecting a failed batch, retrying until records expire', () => {
      template.resourceCountIs('AWS::Lambda::EventSourceMapping', 1);
      template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        FunctionName: { Ref: functionId('challenge-projection') },
        StartingPosition: 'TRIM_HORIZON',
        BatchSize: 100,
        MaximumBatchingWindowInSeconds: PROJECTION_BATCHING_WINDOW_SECONDS,
        // No event filter: whether Lambda's patterns reach into a list of maps cannot be checked here,
        // and a filter that matched nothing would stop every log line; the projection skips records without audits.
        FilterCriteria: Match.absent(),
        ParallelizationFactor: 1,
        BisectBatchOnFunctionError: true,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        MaximumRetryAttempts: -1,
        // Given up after 6 hours, well before the stream drops the records (24 hours), with the range sent to the failure queue.
        MaximumRecordAgeInSeconds: 6 * 3600,
        DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [Match.stringLikeRegexp('ChallengeProjectionSourceFailures'), 'Arn'] } } },
      });
      expect(PROJECTION_MAX_RECORD_AGE_HOURS * 3600).toBe(21_600);
      // Batches gather for a while (so a shard's ordinary rate still shares the counters' writes), well inside the bound.
      expect(PROJECTION_BATCHING_WINDOW_SECONDS).toBeGreaterThan(0);
      expect(PROJECTION_BATCHING_WINDOW_SECONDS * 4).toBeLessThanOrEqual(PROJECTION_BOUND_SECONDS);
      const [mapping] = Object.values(template.findResources('AWS::Lambda::EventSourceMapping'));
      expect(JSON.stringify(mapping?.Properties.EventSourceArn)).toMatch(/Challenges[0-9A-F]*StreamArn/);
    });

    it('its failure queue is encrypted, keeps messages 14 days, and alarms on its first message, visible or in flight', () => {
      const queues = template.findResources('AWS::SQS::Queue');
      const [id, queue] = Object.entries(queues).find(([key]) => key.startsWith('ChallengeProjectionSourceFailures')) ?? [];
      expect(queue?.Properties).toMatchObject({ SqsManagedSseEnabled: true, MessageRetentionPeriod: 14 * 86400 });
      template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [{ Ref: id }],
        PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
      });
      // Finding 5: a message a replay run holds (or a run cut short left hidden) keeps the alarm on.
      const gaveUp = Object.values(template.findResources('AWS::CloudWatch::Alarm')).filter((a) => JSON.stringify(a.Properties).includes(`"${id}"`));
      expect(gaveUp).toHaveLength(1);
      expect(gaveUp[0]?.Properties).toMatchObject({ Threshold: 1, EvaluationPeriods: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold' });
      const metrics = gaveUp[0]?.Properties.Metrics as { Id: string; Expression?: string; MetricStat?: { Metric: { MetricName: string; Namespace: string; Dimensions: unknown }; Stat: string; Period: number } }[];
      expect(metrics.find((m) => m.Expression)?.Expression).toBe('FILL(v, 0) + FILL(n, 0)');
      const byId = Object.fromEntries(metrics.filter((m) => m.MetricStat).map((m) => [m.Id, m.MetricStat]));
      const queueMetric = (metricName: string) => ({
        Metric: { MetricName: metricName, Namespace: 'AWS/SQS', Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [id, 'QueueName'] } }] },
        Stat: 'Maximum',
        Period: 300,
      });
      expect(byId).toEqual({ v: queueMetric('ApproximateNumberOfMessagesVisible'), n: queueMetric('ApproximateNumberOfMessagesNotVisible') });
    });

    it('counts its error lines (a failed write, a record skipped) with a metric filter on its log group, and alarms on the first', () => {
      const filters = Object.values(template.findResources('AWS::Logs::MetricFilter'));
      const filter = filters.find((f) => JSON.stringify(f.Properties.MetricTransformations).includes('ChallengeProjectionErrorLines'));
      expect(String(filter?.Properties.FilterPattern)).toContain(PROJECTION_FAILED);
      expect(String(filter?.Properties.FilterPattern)).toContain(PROJECTION_SKIPPED);
      expect(JSON.stringify(filter?.Properties.LogGroupName)).toContain('ChallengeProjection');
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: 'ChallengeProjectionErrorLines',
        Threshold: 1,
        Dimensions: [{ Name: 'service', Value: 'tessera-dev' }],
      });
    });

    it('alarms when the Challenges table is written for two 15-minute periods while the projection never ran (no IteratorAge)', () => {
      const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')).filter((a) => JSON.stringify(a.Properties.Metrics ?? []).includes('IteratorAge'));
      expect(alarms).toHaveLength(1);
      const silent = alarms[0]!.Properties;
      expect(silent).toMatchObject({ EvaluationPeriods: 2, DatapointsToAlarm: 2, Threshold: 1, TreatMissingData: 'notBreaching' });
      const metrics = silent.Metrics as { Expression?: string; MetricStat?: { Metric: { MetricName: string }; Stat: string; Period: number } }[];
      expect(metrics.find((m) => m.Expression)?.Expression).toBe('IF(FILL(w, 0) > 0 AND FILL(n, 0) == 0, 1, 0)');
      expect(metrics.filter((m) => m.MetricStat).map((m) => [m.MetricStat!.Metric.MetricName, m.MetricStat!.Stat, m.MetricStat!.Period]).sort()).toEqual([
        ['ConsumedWriteCapacityUnits', 'Sum', 900],
        ['IteratorAge', 'SampleCount', 900],
      ]);
    });

    it('issue 18: the replay function reads only the Challenges stream and consumes only the failure queue, both named in its environment', () => {
      const replay = statementsOf(built, template, 'projection-replay');
      const challenges = data.table(CHALLENGES_TABLE);
      const streamArn = api.resolve(challenges.tableStreamArn);
      const [queueId] = Object.keys(template.findResources('AWS::SQS::Queue')).filter((key) => key.startsWith('ChallengeProjectionSourceFailures'));
      const queueArn = { 'Fn::GetAtt': [queueId, 'Arn'] };
      // Finding 12: only what the replay calls (no DescribeStream); GetQueueAttributes counts the queue at the end of a run.
      expect(actionsOn(replay, streamArn)).toEqual(['dynamodb:GetRecords', 'dynamodb:GetShardIterator']);
      expect(actionsOn(replay, queueArn)).toEqual(['sqs:ChangeMessageVisibility', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:ReceiveMessage']);
      // Stream reads and queue actions name nothing else, for this function or any other but the projection's event source.
      const streamActions = replay.filter((s) => s.Action.some((a) => /^dynamodb:(DescribeStream|GetRecords|GetShardIterator|ListStreams)$/.test(a)));
      expect(streamActions.flatMap((s) => s.Resource)).toEqual([streamArn]);
      const queueActions = replay.filter((s) => s.Action.some((a) => a.startsWith('sqs:')));
      expect(queueActions.flatMap((s) => s.Resource)).toEqual([queueArn]);
      const consumers = HANDLERS.filter((name) => statementsOf(built, template, name).some((s) => s.Action.some((a) => a === 'sqs:ReceiveMessage' || a === 'sqs:DeleteMessage')));
      expect(consumers).toEqual(['projection-replay']);
      // Its table writes are the projection's (HANDLER_ACCESS), and the stream's records are decrypted with the table key.
      expect(actionsOn(replay, api.resolve(data.tableKey.keyArn))).toContain('kms:Decrypt');
      const variables = (functionProps('projection-replay').Environment as { Variables: Props }).Variables;
      expect(variables[ENV.challengesStreamArn]).toEqual(streamArn);
      expect(variables[ENV.projectionFailureQueueUrl]).toEqual({ Ref: queueId });
      // No event source: it runs only when an operator invokes it.
      const mappings = Object.values(template.findResources('AWS::Lambda::EventSourceMapping'));
      expect(mappings.map((m) => m.Properties.FunctionName)).toEqual([{ Ref: functionId('challenge-projection') }]);
    });

    it('alarms when the projection is a minute behind the stream (IteratorAge)', () => {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: 'IteratorAge',
        Namespace: 'AWS/Lambda',
        Statistic: 'Maximum',
        Threshold: 60_000,
        Dimensions: [{ Name: 'FunctionName', Value: { Ref: functionId('challenge-projection') } }],
      });
    });
  });

  describe('least privilege', () => {
    const statements = Object.fromEntries(HANDLERS.map((name) => [name, statementsOf(built, template, name)]));
    const allStatements = Object.values(statements).flat();

    it('roles carry no managed policies, only what each handler is granted', () => {
      template.allResourcesProperties('AWS::IAM::Role', { ManagedPolicyArns: Match.absent() });
    });

    it('R16: only the handlers that text a code may publish SMS, through SNS or End User Messaging', () => {
      const allowed = (action: string) =>
        HANDLERS.filter((name) => statements[name]!.some((s) => s.Effect === 'Allow' && s.Action.includes(action))).sort();
      expect(allowed('sns:Publish')).toEqual(['create-challenge', 'resend-challenge']);
      expect(allowed('sms-voice:SendTextMessage')).toEqual(['create-challenge', 'resend-challenge']);
    });

    it('R9: only device activation creates SNS platform endpoints, only challenge creation publishes to them, both on this stage\'s applications', () => {
      const granted = (action: string) =>
        HANDLERS.filter((name) =>
          statements[name]!.some((s) => s.Effect === 'Allow' && s.Action.includes(action) && /:(app|endpoint)\//.test(JSON.stringify(s.Resource))),
        ).sort();
      expect(granted('sns:CreatePlatformEndpoint')).toEqual(['push-activate']);
      // R18: a phone activated again updates its existing endpoint (SNS's create-then-update pattern).
      expect(granted('sns:SetEndpointAttributes')).toEqual(['push-activate']);
      expect(granted('sns:Publish')).toEqual(['create-challenge']);
      const push = allStatements.filter((s) => s.Action.includes('sns:CreatePlatformEndpoint') || JSON.stringify(s.Resource).includes(':endpoint/'));
      for (const statement of push) {
        expect(JSON.stringify(statement.Resource)).toMatch(/(app|endpoint)\/APNS\/tessera-dev-ios/);
        expect(JSON.stringify(statement.Resource)).toMatch(/(app|endpoint)\/GCM\/tessera-dev-android/);
      }
    });

    it('"*" resources are granted only for X-Ray, for SNS SMS publishing, and to the challenge projection for ListStreams (which names no resource)', () => {
      const onStar = allStatements.filter((s) => s.Resource.includes('*')).flatMap((s) => s.Action);
      expect([...new Set(onStar)].sort()).toEqual(['dynamodb:ListStreams', 'sns:Publish', 'xray:PutTelemetryRecords', 'xray:PutTraceSegments']);
      const listing = HANDLERS.filter((name) => statements[name]!.some((s) => s.Resource.includes('*') && s.Action.includes('dynamodb:ListStreams')));
      expect(listing).toEqual(['challenge-projection']);
      expect(statements['challenge-projection']!.filter((s) => s.Resource.includes('*')).flatMap((s) => s.Action).filter((a) => a.startsWith('dynamodb:'))).toEqual(['dynamodb:ListStreams']);
    });

    it('every KMS permission names the table key or the secrets key, never "*"', () => {
      const keys = [api.resolve(data.tableKey.keyArn), api.resolve(data.secretsKey.keyArn)].map((k) => JSON.stringify(k));
      const kms = allStatements.filter((s) => s.Action.some((a) => a.startsWith('kms:')));
      expect(kms.length).toBeGreaterThan(0);
      for (const statement of kms) {
        for (const resource of statement.Resource) expect(keys).toContain(JSON.stringify(resource));
      }
    });

    it('R28: the secrets key allows each handler only the KMS calls it makes', () => {
      const secretsKey = api.resolve(data.secretsKey.keyArn);
      // Unique: the same action may be granted twice, for new and for legacy encryption contexts.
      const granted = Object.fromEntries(HANDLERS.map((name) => [name, [...new Set(actionsOn(statements[name]!, secretsKey))]]));
      expect(granted).toEqual({
        'create-challenge': ['kms:Decrypt', 'kms:Encrypt'],
        'verify-challenge': ['kms:Decrypt', 'kms:Encrypt'],
        'get-challenge': ['kms:Decrypt', 'kms:Encrypt'],
        'resend-challenge': ['kms:Decrypt', 'kms:Encrypt'],
        jwks: [],
        'admin-users': ['kms:Decrypt', 'kms:Encrypt'],
        'admin-users-import': [],
        'admin-provider': [],
        'admin-settings': ['kms:Encrypt'],
        'admin-api-keys': [],
        'admin-logs': ['kms:Decrypt', 'kms:Encrypt'],
        'admin-authenticator': ['kms:Decrypt', 'kms:Encrypt'],
        'admin-oath-tokens': ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'],
        'admin-jobs': [],
        'admin-app-passwords': [],
        'verify-app-password': [],
        'admin-push-activations': [],
        // Passkeys: public keys are not secrets.
        'passkey-registrations': [],
        'admin-passkeys': [],
        // Remembered devices: token hashes, not sealed.
        'remembered-devices': [],
        'admin-remembered-devices': [],
        // Recovery codes and access passes: hashes only, nothing sealed.
        'recovery-codes': [],
        'admin-recovery': [],
        'method-registrations': ['kms:Decrypt', 'kms:Encrypt'],
        'push-activate': ['kms:Encrypt'],
        'push-respond': ['kms:Decrypt'],
        'operator-tenants': [],
        'operator-signing-keys': ['kms:Encrypt'],
        openapi: [],
        'voice-place-call': ['kms:Decrypt', 'kms:Encrypt'],
        'voice-sip-rules': [],
        'voice-call-events': [],
        'voice-finish': ['kms:Decrypt'],
        'billing-run': [],
        'push-sweep': [],
        // R22: one data key seals a batch's token secrets.
        'job-batch': ['kms:GenerateDataKey'],
        'job-complete': [],
        'challenge-projection': [],
        'projection-replay': [],
      });
    });

    it('R28: each grant on the secrets key is conditioned on the kinds of secret the handler needs (encryption context purpose)', () => {
      const secretsKey = JSON.stringify(api.resolve(data.secretsKey.keyArn));
      const conditioned = (name: FunctionName) =>
        statements[name]!
          .filter((s) => s.Resource.some((r) => JSON.stringify(r) === secretsKey))
          .flatMap((s) => {
            const [operator, values] = Object.entries(s.Condition ?? {})[0] ?? ['none', {}];
            const purposes = [values['kms:EncryptionContext:purpose'] ?? []].flat();
            // One line per action: CDK merges statements that differ only in their actions.
            return s.Action.map((action) => `${action} ${operator} ${purposes.join('|')}`);
          })
          .sort();
      const granted = Object.fromEntries(HANDLERS.map((name) => [name, conditioned(name)]).filter(([, grants]) => grants!.length > 0));
      // The code and throttle HMAC keys (R1, R28); only the code key predates kinds.
      const code = [
        'kms:Decrypt StringEquals code-hmac-key|throttle-hmac-key',
        'kms:Decrypt StringLike code-hmac-key',
        'kms:Encrypt StringEquals code-hmac-key|throttle-hmac-key',
      ];
      // R29: list cursors are signed with a service key the lister may create.
      const cursor = ['kms:Decrypt StringEquals cursor-hmac-key', 'kms:Encrypt StringEquals cursor-hmac-key'];
      expect(granted).toEqual({
        'create-challenge': code,
        // A passkey whose counter went back is reported to the webhook, whose secret is sealed.
        'verify-challenge': [
          'kms:Decrypt StringEquals code-hmac-key|assertion-signing-key|totp-secret|oath-secret|webhook-secret',
          'kms:Decrypt StringLike code-hmac-key|assertion-signing-key|otp:app:*|otp:oath:*|webhook-signing-secret',
          'kms:Encrypt StringEquals code-hmac-key|assertion-signing-key',
        ],
        'get-challenge': [
          'kms:Decrypt StringEquals assertion-signing-key',
          'kms:Decrypt StringLike assertion-signing-key',
          'kms:Encrypt StringEquals assertion-signing-key',
        ],
        'resend-challenge': code,
        'admin-users': [
          'kms:Decrypt StringEquals webhook-secret|cursor-hmac-key',
          'kms:Decrypt StringLike webhook-signing-secret',
          'kms:Encrypt StringEquals cursor-hmac-key',
        ],
        'admin-logs': cursor,
        'admin-settings': ['kms:Encrypt StringEquals webhook-secret'],
        'admin-authenticator': ['kms:Decrypt StringEquals totp-secret', 'kms:Decrypt StringLike otp:app:*', 'kms:Encrypt StringEquals totp-secret'],
        'method-registrations': ['kms:Decrypt StringEquals totp-secret', 'kms:Decrypt StringLike otp:app:*', 'kms:Encrypt StringEquals totp-secret'],
        'admin-oath-tokens': [
          'kms:Decrypt StringEquals oath-secret|cursor-hmac-key',
          'kms:Decrypt StringLike otp:oath:*',
          'kms:Encrypt StringEquals oath-secret|cursor-hmac-key',
          'kms:GenerateDataKey StringEquals oath-secret',
        ],
        'job-batch': ['kms:GenerateDataKey StringEquals oath-secret'],
        'push-activate': ['kms:Encrypt StringEquals push-device-key'],
        'push-respond': ['kms:Decrypt StringEquals push-device-key', 'kms:Decrypt StringLike push-device:*'],
        'operator-signing-keys': ['kms:Encrypt StringEquals assertion-signing-key'],
        'voice-finish': ['kms:Decrypt StringEquals webhook-secret', 'kms:Decrypt StringLike webhook-signing-secret'],
        'voice-place-call': ['kms:Decrypt StringEquals throttle-hmac-key', 'kms:Encrypt StringEquals throttle-hmac-key'],
      });
    });

    it('table access is read-only where a handler only reads, and absent where it never looks', () => {
      const access = (name: FunctionName, definition: TableDefinition) => {
        const actions = actionsOn(statements[name]!, api.resolve(data.table(definition).tableArn));
        if (actions.includes('dynamodb:DeleteItem')) return 'readWrite';
        if (actions.includes('dynamodb:PutItem')) return 'putUpdate';
        if (actions.includes('dynamodb:UpdateItem')) return 'update';
        return actions.includes('dynamodb:GetItem') ? 'read' : 'none';
      };
      const tables = [CHALLENGES_TABLE, TENANTS_TABLE, LOGS_TABLE, USAGE_TABLE, THROTTLE_TABLE];
      const granted = Object.fromEntries(
        HANDLERS.map((name) => [name, tables.map((t) => `${t.id}:${access(name, t)}`).join(' ')]),
      );
      const challengePath = 'Challenges:readWrite Tenants:readWrite Logs:readWrite Usage:readWrite Throttle:readWrite';
      expect(granted).toEqual({
        'create-challenge': challengePath,
        'verify-challenge': challengePath,
        // R9/R7: a push read past its deadline is written as a timeout, logged and counted for fatigue.
        'get-challenge': 'Challenges:readWrite Tenants:readWrite Logs:readWrite Usage:readWrite Throttle:readWrite',
        'resend-challenge': challengePath,
        jwks: 'Challenges:none Tenants:read Logs:none Usage:none Throttle:none',
        'admin-users': 'Challenges:none Tenants:readWrite Logs:readWrite Usage:none Throttle:readWrite',
        'admin-users-import': 'Challenges:none Tenants:readWrite Logs:none Usage:none Throttle:readWrite',
        'admin-provider': 'Challenges:none Tenants:readWrite Logs:none Usage:none Throttle:readWrite',
        'admin-settings': 'Challenges:none Tenants:readWrite Logs:none Usage:none Throttle:readWrite',
        'admin-api-keys': 'Challenges:none Tenants:readWrite Logs:none Usage:none Throttle:readWrite',
        // R29: may create the cursor HMAC key.
        'admin-logs': 'Challenges:none Tenants:readWrite Logs:read Usage:read Throttle:readWrite',
        'admin-authenticator': 'Challenges:none Tenants:readWrite Logs:none Usage:none Throttle:readWrite',
        'admin-oath-tokens': 'Challenges:none Tenants:readWrite Logs:none Usage:none Throttle:readWrite',
        'admin-app-passwords': 'Challenges:none Tenants:readWrite Logs:none Usage:none Throttle:readWrite',
        // R23: logs every verification.
        'verify-app-password': 'Challenges:none Tenants:read Logs:readWrite Usage:none Throttle:readWrite',
        'admin-push-activations': 'Challenges:none Tenants:readWrite Logs:none Usage:none Throttle:readWrite',
        // Passkeys: a relying app's step-up challenge is marked used once.
        'passkey-registrations': 'Challenges:readWrite Tenants:readWrite Logs:none Usage:none Throttle:readWrite',
        'admin-passkeys': 'Challenges:none Tenants:readWrite Logs:none Usage:none Throttle:readWrite',
        // Remembered devices: the approving challenge is marked used once; every check is logged (not counted in usage).
        'remembered-devices': 'Challenges:readWrite Tenants:readWrite Logs:readWrite Usage:none Throttle:readWrite',
        'admin-remembered-devices': 'Challenges:none Tenants:readWrite Logs:none Usage:none Throttle:readWrite',
        // Recovery codes: a relying app's step-up challenge is marked used once (shared with passkeys).
        'recovery-codes': 'Challenges:readWrite Tenants:readWrite Logs:none Usage:none Throttle:readWrite',
        'admin-recovery': 'Challenges:none Tenants:readWrite Logs:none Usage:none Throttle:readWrite',
        'method-registrations': 'Challenges:readWrite Tenants:readWrite Logs:none Usage:none Throttle:readWrite',
        'push-activate': 'Challenges:none Tenants:readWrite Logs:none Usage:none Throttle:readWrite',
        'push-respond': 'Challenges:readWrite Tenants:readWrite Logs:readWrite Usage:readWrite Throttle:readWrite',
        'operator-tenants': 'Challenges:none Tenants:readWrite Logs:none Usage:none Throttle:none',
        'operator-signing-keys': 'Challenges:none Tenants:readWrite Logs:none Usage:none Throttle:none',
        openapi: 'Challenges:none Tenants:none Logs:none Usage:none Throttle:none',
        // R6: each dial takes the number's hourly cap, backups included.
        // R6/R28: the number's hour, keyed by the throttle HMAC key it may create.
        'voice-place-call': 'Challenges:none Tenants:readWrite Logs:none Usage:none Throttle:readWrite',
        'voice-sip-rules': 'Challenges:none Tenants:none Logs:none Usage:none Throttle:none',
        'voice-call-events': 'Challenges:none Tenants:none Logs:none Usage:none Throttle:none',
        'voice-finish': challengePath,
        // R25: the run seeds, once, the counters of tenants from before them: updates and condition checks only.
        'billing-run': 'Challenges:none Tenants:update Logs:none Usage:read Throttle:none',
        // R7: the deadline sweep writes each timeout with its log line and usage, and counts it for fatigue.
        'push-sweep': 'Challenges:readWrite Tenants:none Logs:readWrite Usage:readWrite Throttle:readWrite',
        // R19/R22 bulk jobs: job items, users (with their billing items) and tokens in the tenants table.
        'admin-jobs': 'Challenges:none Tenants:readWrite Logs:none Usage:none Throttle:readWrite',
        'job-batch': 'Challenges:none Tenants:readWrite Logs:none Usage:none Throttle:none',
        'job-complete': 'Challenges:none Tenants:readWrite Logs:none Usage:none Throttle:none',
        // R23/R24: reads the Challenges stream (not the table), puts log lines and adds to counters.
        'challenge-projection': 'Challenges:none Tenants:none Logs:putUpdate Usage:putUpdate Throttle:none',
        // Issue 18: the same writes, for the ranges the projection gave up on (the stream, not the table, is read).
        'projection-replay': 'Challenges:none Tenants:none Logs:putUpdate Usage:putUpdate Throttle:none',
      });
    });

    it('R23/R24: the projection puts log lines and updates counters, reads back lines, and never deletes or batch-writes', () => {
      for (const table of [LOGS_TABLE, USAGE_TABLE]) {
        expect(actionsOn(statements['challenge-projection']!, api.resolve(data.table(table).tableArn)).sort()).toEqual([
          'dynamodb:BatchGetItem',
          'dynamodb:GetItem',
          'dynamodb:PutItem',
          'dynamodb:Query',
          'dynamodb:UpdateItem',
        ]);
      }
    });

    it('R24: the billing run reads the projection event source and failure queue, and may change neither', () => {
      const onMapping = statements['billing-run']!.filter((s) => s.Action.some((a) => a.startsWith('lambda:')));
      expect(onMapping.flatMap((s) => s.Action)).toEqual(['lambda:GetEventSourceMapping']);
      expect(JSON.stringify(onMapping.map((s) => s.Resource))).toContain('event-source-mapping');
      expect(JSON.stringify(onMapping.map((s) => s.Resource))).not.toContain('*');
      const queue = api.resolve(api.projection.failures.queueArn);
      expect(actionsOn(statements['billing-run']!, queue)).toEqual(['sqs:GetQueueAttributes']);
      // Besides, only the dead-letter queue of its own asynchronous invocations, which Lambda sends to with the function's role.
      expect(statements['billing-run']!.flatMap((s) => s.Action).filter((a) => a.startsWith('sqs:')).sort()).toEqual(['sqs:GetQueueAttributes', 'sqs:SendMessage']);
      expect(actionsOn(statements['billing-run']!, api.resolve(api.projection.failures.queueArn))).not.toContain('sqs:SendMessage');
    });

    it('R25: the billing run changes tenant items only by UpdateItem and ConditionCheckItem (its seed transaction), never Put or Delete', () => {
      const tenants = api.resolve(data.table(TENANTS_TABLE).tableArn);
      expect(actionsOn(statements['billing-run']!, tenants).sort()).toEqual(['dynamodb:BatchGetItem', 'dynamodb:ConditionCheckItem', 'dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:UpdateItem']);
    });

    it('queries reach only the indexes a table defines, never "<table>/index/*"', () => {
      expect(JSON.stringify(allStatements)).not.toContain('/index/*');
      const tenants = api.resolve(data.table(TENANTS_TABLE).tableArn);
      for (const index of TENANTS_TABLE.indexes) {
        const indexArn = { 'Fn::Join': ['', [tenants, `/index/${index.name}`]] };
        expect(actionsOn(statements.jwks!, indexArn)).toEqual(['dynamodb:Query']);
      }
    });

    it('R13: only create-challenge may start the voice rollover; only the SIP handler may answer its tasks; only place-call may call', () => {
      const allowed = (action: string) =>
        HANDLERS.filter((name) => statements[name]!.some((s) => s.Effect === 'Allow' && s.Action.includes(action))).sort();
      const machine = api.resolve(api.voice.stateMachine.stateMachineArn);
      // admin-jobs starts the bulk jobs' machine, not this one (R19/R22).
      expect(allowed('states:StartExecution')).toEqual(['admin-jobs', 'create-challenge']);
      expect(actionsOn(statements['create-challenge']!, machine)).toEqual(['states:StartExecution']);
      expect(actionsOn(statements['admin-jobs']!, machine)).toEqual([]);
      expect(actionsOn(statements['admin-jobs']!, api.resolve(api.jobs.stateMachine.stateMachineArn))).toEqual(['states:StartExecution']);
      // Cancel (R19/R22): StopExecution, only on executions of the jobs' machine, and only admin-jobs may.
      expect(allowed('states:StopExecution')).toEqual(['admin-jobs']);
      const executions = { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':states:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':execution:Tessera-dev-Api-jobs:*']] };
      expect(actionsOn(statements['admin-jobs']!, executions)).toEqual(['states:StopExecution']);
      expect(allowed('states:SendTaskSuccess')).toEqual(['voice-call-events']);
      expect(actionsOn(statements['voice-call-events']!, machine)).toEqual(['states:SendTaskFailure', 'states:SendTaskHeartbeat', 'states:SendTaskSuccess']);
      expect(allowed('chime:CreateSipMediaApplicationCall')).toEqual(['voice-place-call']);
      // Only to ask whether a call's task still waits before prompting (a call that outlived it is hung up).
      expect(allowed('states:SendTaskHeartbeat')).toEqual(['voice-call-events']);
    });

    it('R29: the bulk jobs\' handlers may list their bucket, so that S3 answers a missing file 404, not 403 (and no other handler may)', () => {
      const bucket = api.resolve(api.jobs.bucket.bucketArn);
      for (const name of HANDLERS) {
        const listing = actionsOn(statements[name]!, bucket).filter((a) => a === 's3:ListBucket');
        expect({ name, listing }).toEqual({ name, listing: ['admin-jobs', 'job-batch', 'job-complete'].includes(name) ? ['s3:ListBucket'] : [] });
      }
    });

    it('R19/R22: a cancelled job\'s stopped execution (ABORTED) invokes the complete step, which writes the report of what ran', () => {
      template.hasResourceProperties('AWS::Events::Rule', {
        EventPattern: {
          source: ['aws.states'],
          'detail-type': ['Step Functions Execution Status Change'],
          detail: { status: ['ABORTED'], stateMachineArn: [api.resolve(api.jobs.stateMachine.stateMachineArn)] },
        },
        Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [functionId('job-complete'), 'Arn'] }, RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 6 * 3600 } })],
      });
    });

    it('no handler may Scan a table (a scan would read across tenants)', () => {
      expect(allStatements.flatMap((s) => s.Action)).not.toContain('dynamodb:Scan');
    });

    it('a handler writes logs only to its own log group', () => {
      for (const name of HANDLERS) {
        const ownGroup = { 'Fn::GetAtt': [logicalId(api, api.functions.get(name)!.logGroup), 'Arn'] };
        const logs = statementsOf(built, template, name).filter((s) => s.Action.some((a) => a.startsWith('logs:')));
        expect(logs.flatMap((s) => s.Resource)).toEqual([ownGroup]);
      }
    });
  });
});
