import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { RadiusStack, secretNamesOf, type RadiusStackProps } from '../../infra/radius/stack';

/** The optional AWS deployment of the RADIUS front end: synthesized offline, cdk-nag clean with written reasons. */

const CONFIG = {
  tessera: { baseUrl: 'https://mfa.example.com', apiKey: 'env:RADIUS_TESSERA_AUTH_KEY' },
  clients: [
    { name: 'vpn-hq', secret: 'env:RADIUS_VPN_HQ_SECRET', addresses: ['198.51.100.0/24'], primary: { kind: 'none' }, secondFactor: 'auto' },
    { name: 'vpn-branch', secret: 'env:RADIUS_VPN_BRANCH_SECRET', addresses: ['203.0.113.8'], primary: { kind: 'upstream', host: '10.0.5.10', secret: 'env:RADIUS_UPSTREAM_SECRET' }, secondFactor: 'append' },
  ],
};

let outdir: string;
beforeAll(() => {
  outdir = mkdtempSync(join(tmpdir(), 'radius-cdk-'));
});
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:tessera-radius-AbCdEf';

/** The open findings of both packs the product's standard names (AwsSolutions, Serverless), one line each. */
function openFindings(scope: IConstruct): string[] {
  return [new AwsSolutionsChecks(), new ServerlessChecks()]
    .flatMap((pack) => pack.validateScope(scope).violations)
    .map((v) => `${v.ruleName} at ${v.violatingResources.map((r) => r.constructPath).join(', ')}`);
}

function build(config: Record<string, unknown> = CONFIG, extra: Partial<RadiusStackProps> = {}): { app: App; stack: RadiusStack } {
  const app = new App({ outdir });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
  const stack = new RadiusStack(app, 'Radius', { config, gatewayCidrs: ['198.51.100.0/24', '203.0.113.8/32'], ...extra });
  return { app, stack };
}

describe('the RADIUS stack (ECS Fargate behind an NLB on UDP 1812)', () => {
  it('synthesizes offline with no open AwsSolutions or Serverless finding; each acknowledgement has a reason', () => {
    const { app, stack } = build();
    app.synth();
    expect(openFindings(app)).toEqual([]);
    const acks = stack.node.findAll().flatMap((c) =>
      c.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY).flatMap((m) => Object.entries(m.data as Record<string, string>)),
    );
    const ours = acks.filter(([id]) => id.includes('AwsSolutions-') || id.includes('Serverless-'));
    expect(ours.map(([id]) => id.replace(/^Annotation::/, '')).sort()).toEqual(['AwsSolutions-ECS2', 'AwsSolutions-ELB2', 'AwsSolutions-IAM5[Resource::*]', 'AwsSolutions-SMG4']);
    for (const [, reason] of ours) expect(reason.length).toBeGreaterThanOrEqual(80);
  });

  it('the Serverless pack does check this stack: a Lambda function without its dead-letter queue or tracing is a finding', () => {
    const { stack } = build();
    new lambda.Function(stack, 'Stray', { runtime: lambda.Runtime.NODEJS_22_X, handler: 'index.handler', code: lambda.Code.fromInline('exports.handler = async () => {}') });
    expect(openFindings(stack).filter((f) => f.startsWith('Serverless-'))).toEqual(expect.arrayContaining([expect.stringMatching(/^Serverless-LambdaDLQ at Radius\/Stray/)]));
  });

  it('UDP 1812 only from the gateways; the secrets come from Secrets Manager, never as plain environment', () => {
    const template = Template.fromStack(build().stack);
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', { Port: 1812, Protocol: 'UDP' });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      Protocol: 'UDP',
      HealthCheckProtocol: 'HTTP',
      HealthCheckPath: '/health',
      // The State of an Access-Challenge is in one task's memory: a gateway sticks to it.
      TargetGroupAttributes: Match.arrayWith([{ Key: 'stickiness.enabled', Value: 'true' }, { Key: 'stickiness.type', Value: 'source_ip' }]),
    });
    const ingress = Object.values(template.findResources('AWS::EC2::SecurityGroup')).flatMap(
      (sg) => ((sg as { Properties: { SecurityGroupIngress?: { CidrIp?: string; IpProtocol: string; FromPort: number }[] } }).Properties.SecurityGroupIngress ?? []),
    );
    const udp = ingress.filter((rule) => rule.IpProtocol === 'udp');
    expect(new Set(udp.map((rule) => rule.CidrIp))).toEqual(new Set(['198.51.100.0/24', '203.0.113.8/32']));
    expect(ingress.some((rule) => rule.CidrIp === '0.0.0.0/0')).toBe(false);
    const names = ['RADIUS_TESSERA_AUTH_KEY', 'RADIUS_VPN_HQ_SECRET', 'RADIUS_VPN_BRANCH_SECRET', 'RADIUS_UPSTREAM_SECRET'];
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      ContainerDefinitions: [
        Match.objectLike({
          Command: ['--config', 'env:RADIUS_CONFIG'],
          Environment: [{ Name: 'RADIUS_CONFIG', Value: Match.stringLikeRegexp('"listen":\\{"host":"0.0.0.0","port":1812\\}') }],
          Secrets: names.map((name) => Match.objectLike({ Name: name })),
          ReadonlyRootFilesystem: true,
        }),
      ],
    });
  });

  it('a bad configuration fails the synth, naming the problem', () => {
    expect(secretNamesOf(CONFIG)).toEqual(['RADIUS_TESSERA_AUTH_KEY', 'RADIUS_VPN_HQ_SECRET', 'RADIUS_VPN_BRANCH_SECRET', 'RADIUS_UPSTREAM_SECRET']);
    expect(() => build({ ...CONFIG, clients: [{ ...CONFIG.clients[0], secondFactor: 'sometimes' }] })).toThrow(/clients\.0\.secondFactor/);
  });

  it('a secret written in the configuration itself fails the synth, naming where (never the value): it would be plain text in the task definition', () => {
    const literalKey = 'tsr_auth_literal_0123456789abcdef';
    const attempts: [Record<string, unknown>, RegExp][] = [
      [{ ...CONFIG, tessera: { ...CONFIG.tessera, apiKey: literalKey } }, /tessera\.apiKey: write each secret as env:NAME/],
      [{ ...CONFIG, clients: [{ ...CONFIG.clients[0], secret: literalKey }, CONFIG.clients[1]] }, /clients\.0\.secret: write each secret as env:NAME/],
      [{ ...CONFIG, clients: [CONFIG.clients[0], { ...CONFIG.clients[1], primary: { ...CONFIG.clients[1]!.primary, secret: literalKey } }] }, /clients\.1\.primary\.secret: write each secret as env:NAME/],
    ];
    for (const [config, problem] of attempts) {
      let message = '';
      try {
        build(config);
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message).toMatch(problem);
      expect(message).not.toContain(literalKey);
    }
  });

  it('first deploy: the stack makes an empty secret and starts no task (nothing to roll back); with an existing secret the tasks start (no open cdk-nag finding either way)', () => {
    const fresh = Template.fromStack(build().stack);
    fresh.resourceCountIs('AWS::SecretsManager::Secret', 1);
    fresh.hasResourceProperties('AWS::ECS::Service', { DesiredCount: 0 });
    const again = Template.fromStack(build(CONFIG, { desiredCount: 2 }).stack);
    again.hasResourceProperties('AWS::ECS::Service', { DesiredCount: 2 });

    const withSecret = build(CONFIG, { secretArn: SECRET_ARN });
    const existing = Template.fromStack(withSecret.stack);
    expect(openFindings(withSecret.app)).toEqual([]);
    existing.resourceCountIs('AWS::SecretsManager::Secret', 0);
    existing.hasResourceProperties('AWS::ECS::Service', { DesiredCount: 2 });
    existing.hasResourceProperties('AWS::ECS::TaskDefinition', {
      ContainerDefinitions: [Match.objectLike({ Secrets: Match.arrayWith([{ Name: 'RADIUS_TESSERA_AUTH_KEY', ValueFrom: `${SECRET_ARN}:RADIUS_TESSERA_AUTH_KEY::` }]) })],
    });
  });

  it('the load balancer is internal unless asked to face the internet (no open cdk-nag finding either way)', () => {
    Template.fromStack(build().stack).hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', { Type: 'network', Scheme: 'internal' });
    const facing = build(CONFIG, { internetFacing: true });
    Template.fromStack(facing.stack).hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', { Scheme: 'internet-facing' });
    expect(openFindings(facing.app)).toEqual([]);
  });
});
