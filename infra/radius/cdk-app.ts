/**
 * The optional AWS deployment of the RADIUS front end, its own CDK app (the product's stacks do
 * not need it): `npx cdk synth --app "npx tsx infra/radius/cdk-app.ts" -c radiusConfig=radius.json
 * -c gatewayCidrs=198.51.100.0/24,203.0.113.8/32`, optionally `-c secretArn=…`, `-c desiredCount=2`,
 * `-c internetFacing=true`. Checked by cdk-nag's AwsSolutions and Serverless packs, as the product's stacks are.
 */
import { readFileSync } from 'node:fs';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { RadiusStack } from './stack';

const app = new App();
const file = app.node.tryGetContext('radiusConfig') as string | undefined;
const cidrs = app.node.tryGetContext('gatewayCidrs') as string | undefined;
if (!file || !cidrs) throw new Error('Context "radiusConfig" (a configuration file) and "gatewayCidrs" (comma-separated) are required');
const secretArn = app.node.tryGetContext('secretArn') as string | undefined;
const desiredCount = app.node.tryGetContext('desiredCount') as string | undefined;
new RadiusStack(app, 'Tessera-Radius', {
  config: JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>,
  gatewayCidrs: cidrs.split(',').map((c) => c.trim()),
  ...(secretArn ? { secretArn } : {}),
  ...(desiredCount !== undefined ? { desiredCount: Number(desiredCount) } : {}),
  internetFacing: String(app.node.tryGetContext('internetFacing')) === 'true',
  description: 'Tessera RADIUS front end: Fargate behind a Network Load Balancer on UDP 1812',
});
Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
app.synth();
