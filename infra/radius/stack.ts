import * as path from 'node:path';
import { CfnOutput, Duration, IgnoreMode, RemovalPolicy, Stack, Validations, type StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { parseConfig } from './config';

const RADIUS_PORT = 1812;
const HEALTH_PORT = 8080;
const ENV_PREFIX = 'env:';

export interface RadiusStackProps extends StackProps {
  /**
   * The front end's configuration as JSON (see docs/radius.md), with every secret written as
   * `env:NAME`: each name becomes a field of the stack's Secrets Manager secret. `listen` and
   * `health` are set by the stack.
   */
  readonly config: Record<string, unknown>;
  /** Where the gateways are (CIDR): only they may reach UDP 1812 (UDP keeps the client's address through the NLB). */
  readonly gatewayCidrs: readonly string[];
  /**
   * An existing Secrets Manager secret (its complete ARN) whose JSON fields are the `env:` names,
   * filled before the deploy: the tasks start at once. Without it the stack creates the secret,
   * empty, and starts no task until you fill it and deploy again with a `desiredCount`.
   */
  readonly secretArn?: string;
  /** Tasks, one per Availability Zone up to two; default 2 with `secretArn`, else 0 (the secret is empty yet). */
  readonly desiredCount?: number;
  /**
   * An internet-facing load balancer instead of an internal one (default: internal, reached over
   * the customer's VPN, Direct Connect or peering). RADIUS over the internet protects only the
   * password, with MD5 (see BlastRADIUS in docs/radius.md).
   */
  readonly internetFacing?: boolean;
}

/** The configuration's secrets, which must all be `env:NAME` here: a literal would land in the task definition in plain text. */
export function literalSecretsOf(config: Record<string, unknown>): string[] {
  const isEnv = (value: unknown) => typeof value === 'string' && value.startsWith(ENV_PREFIX);
  const found: string[] = [];
  const tessera = config.tessera as Record<string, unknown> | undefined;
  if (tessera && 'apiKey' in tessera && !isEnv(tessera.apiKey)) found.push('tessera.apiKey');
  const clients = Array.isArray(config.clients) ? (config.clients as Record<string, unknown>[]) : [];
  clients.forEach((client, i) => {
    if (client && 'secret' in client && !isEnv(client.secret)) found.push(`clients.${i}.secret`);
    const primary = client?.primary as Record<string, unknown> | undefined;
    if (primary && 'secret' in primary && !isEnv(primary.secret)) found.push(`clients.${i}.primary.secret`);
  });
  return found;
}

/** Every `env:NAME` in the configuration, in order, once. */
export function secretNamesOf(config: unknown): string[] {
  const names = new Set<string>();
  const walk = (value: unknown): void => {
    if (typeof value === 'string' && value.startsWith(ENV_PREFIX)) names.add(value.slice(ENV_PREFIX.length));
    else if (Array.isArray(value)) value.forEach(walk);
    else if (value && typeof value === 'object') Object.values(value).forEach(walk);
  };
  walk(config);
  return [...names];
}

/**
 * The RADIUS front end on AWS: Fargate tasks in private subnets behind a Network Load Balancer
 * (internal unless asked) on UDP 1812, health-checked over HTTP, their secrets (`env:` names) from one Secrets Manager
 * secret, logs in CloudWatch. Optional: most customers run the front end next to their gateways
 * (docs/radius.md). The configuration is checked at synth, as the server checks it at start.
 */
export class RadiusStack extends Stack {
  readonly secret: secretsmanager.ISecret;
  readonly loadBalancer: elbv2.NetworkLoadBalancer;

  constructor(scope: Construct, id: string, props: RadiusStackProps) {
    super(scope, id, props);
    const literal = literalSecretsOf(props.config);
    if (literal.length) throw new Error(`${literal.join(', ')}: write each secret as env:NAME (a literal would be stored in plain text in the task definition)`);
    const names = secretNamesOf(props.config);
    const config = { ...props.config, listen: { host: '0.0.0.0', port: RADIUS_PORT }, health: { host: '0.0.0.0', port: HEALTH_PORT } };
    // Checked now with stand-ins for the secrets: a bad file fails the synth, not the deploy.
    const standIns = Object.fromEntries(names.map((name) => [name, 'x'.repeat(32)]));
    parseConfig(JSON.parse(JSON.stringify(config).replace(/"env:([A-Za-z_][A-Za-z0-9_]*)"/g, (_, name: string) => JSON.stringify(standIns[name]))));
    if (props.gatewayCidrs.length === 0) throw new Error('gatewayCidrs: at least one network of gateways');

    const vpc = new ec2.Vpc(this, 'Vpc', { maxAzs: 2, natGateways: 1 });
    vpc.addFlowLog('FlowLog', {
      destination: ec2.FlowLogDestination.toCloudWatchLogs(new logs.LogGroup(this, 'FlowLogs', { retention: logs.RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.DESTROY })),
    });

    if (props.secretArn) {
      this.secret = secretsmanager.Secret.fromSecretCompleteArn(this, 'Secrets', props.secretArn);
    } else {
      const created = new secretsmanager.Secret(this, 'Secrets', {
        description: `Tessera RADIUS front end: ${names.join(', ')} (set each field, then deploy again with a desiredCount)`,
        generateSecretString: { secretStringTemplate: JSON.stringify(Object.fromEntries(names.map((n) => [n, '']))), generateStringKey: 'unused' },
      });
      const reason =
        'No rotation Lambda can change these alone: a RADIUS shared secret must change on the gateway and here at the same moment (a mismatch drops every request as a bad Message-Authenticator), and the auth key is issued and revoked in the Tessera console. Rotation is an operator step, documented in docs/radius.md: new value in both places, then a new deployment of the service.';
      Validations.of(created).acknowledge({ id: 'AwsSolutions-SMG4', reason });
      this.secret = created;
    }

    const cluster = new ecs.Cluster(this, 'Cluster', { vpc, containerInsightsV2: ecs.ContainerInsights.ENABLED });
    const task = new ecs.FargateTaskDefinition(this, 'Task', { cpu: 256, memoryLimitMiB: 512, runtimePlatform: { cpuArchitecture: ecs.CpuArchitecture.ARM64 } });
    task.addContainer('radius', {
      image: ecs.ContainerImage.fromAsset(path.resolve(__dirname, '..', '..'), {
        file: 'infra/radius/Dockerfile',
        // Not the big folders: the image builds from the lockfile, infra/radius and shared/client only.
        exclude: ['node_modules', '.git', 'cdk.out', 'dist', '.tessera', 'test', 'test-output', 'bench-results', 'coverage', 'docs', 'functions'],
        ignoreMode: IgnoreMode.GLOB,
      }),
      command: ['--config', 'env:RADIUS_CONFIG'],
      environment: { RADIUS_CONFIG: JSON.stringify(config) },
      secrets: Object.fromEntries(names.map((name) => [name, ecs.Secret.fromSecretsManager(this.secret, name)])),
      portMappings: [
        { containerPort: RADIUS_PORT, protocol: ecs.Protocol.UDP },
        { containerPort: HEALTH_PORT, protocol: ecs.Protocol.TCP },
      ],
      logging: ecs.LogDrivers.awsLogs({
        streamPrefix: 'radius',
        logGroup: new logs.LogGroup(this, 'Logs', { retention: logs.RetentionDays.THREE_MONTHS, removalPolicy: RemovalPolicy.DESTROY }),
      }),
      readonlyRootFilesystem: true,
    });
    Validations.of(task.obtainExecutionRole()).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'The execution role pulls the image from the CDK assets repository: ecr:GetAuthorizationToken has no resource-level permission, so it is granted on "*"; the pull itself is scoped to the repository.',
    });
    Validations.of(task).acknowledge({
      id: 'AwsSolutions-ECS2',
      reason: 'The one plain environment variable is RADIUS_CONFIG, the configuration without secrets (every secret in it is env:NAME, injected from Secrets Manager).',
    });

    const nlbSecurityGroup = new ec2.SecurityGroup(this, 'LoadBalancerSecurityGroup', { vpc, description: 'RADIUS from the gateways', allowAllOutbound: true });
    for (const cidr of props.gatewayCidrs) nlbSecurityGroup.addIngressRule(ec2.Peer.ipv4(cidr), ec2.Port.udp(RADIUS_PORT), 'RADIUS from the gateways');
    const tasks = new ec2.SecurityGroup(this, 'TaskSecurityGroup', { vpc, description: 'RADIUS from the gateways; health checks from the load balancer', allowAllOutbound: true });
    // UDP through an NLB keeps the client's address: the tasks see the gateways themselves.
    for (const cidr of props.gatewayCidrs) tasks.addIngressRule(ec2.Peer.ipv4(cidr), ec2.Port.udp(RADIUS_PORT), 'RADIUS from the gateways');
    tasks.addIngressRule(nlbSecurityGroup, ec2.Port.tcp(HEALTH_PORT), 'health checks from the load balancer');
    const service = new ecs.FargateService(this, 'Service', {
      cluster,
      taskDefinition: task,
      // A secret made by this stack is empty: tasks started now would exit and roll the deploy back.
      desiredCount: props.desiredCount ?? (props.secretArn ? 2 : 0),
      securityGroups: [tasks],
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      circuitBreaker: { rollback: true },
    });

    this.loadBalancer = new elbv2.NetworkLoadBalancer(this, 'LoadBalancer', {
      vpc,
      internetFacing: props.internetFacing ?? false,
      securityGroups: [nlbSecurityGroup],
      crossZoneEnabled: true,
    });
    Validations.of(this.loadBalancer).acknowledge({
      id: 'AwsSolutions-ELB2',
      reason: 'NLB access logs cover TLS listeners only; this one is UDP. Each answer and dropped packet is logged by the tasks, with the flow logs of the VPC besides.',
    });
    const listener = this.loadBalancer.addListener('Radius', { port: RADIUS_PORT, protocol: elbv2.Protocol.UDP });
    const targets = listener.addTargets('Tasks', {
      port: RADIUS_PORT,
      protocol: elbv2.Protocol.UDP,
      targets: [service.loadBalancerTarget({ containerName: 'radius', containerPort: RADIUS_PORT, protocol: ecs.Protocol.UDP })],
      healthCheck: { protocol: elbv2.Protocol.HTTP, port: String(HEALTH_PORT), path: '/health', interval: Duration.seconds(10) },
      deregistrationDelay: Duration.seconds(30),
    });
    // An Access-Challenge's State lives in the task that sent it: a gateway's answer must reach the same task.
    targets.setAttribute('stickiness.enabled', 'true');
    targets.setAttribute('stickiness.type', 'source_ip');

    new CfnOutput(this, 'RadiusAddress', { value: this.loadBalancer.loadBalancerDnsName, description: 'Give the gateways this name (UDP 1812) as their RADIUS server' });
    new CfnOutput(this, 'SecretArn', { value: this.secret.secretArn, description: `Set its fields: ${names.join(', ')}` });
  }
}
