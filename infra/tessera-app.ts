import { App, Tags, Validations, type AppProps } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { ApiStack } from './api-stack';
import { DataStack } from './data-stack';
import { stageSettings } from './stages';
import { WebConsoleStack } from './web-console';

/**
 * Stand-in operator key hash so that `cdk synth` works with no configuration. No key hashes to
 * all zeros, so the operator endpoints refuse every caller until a deploy sets the real one:
 * `cdk deploy -c operatorKeySha256=<sha256 hex of the operator key>`.
 */
export const PLACEHOLDER_OPERATOR_KEY_SHA256 = '0'.repeat(64);

export interface TesseraApp {
  readonly app: App;
  readonly stage: string;
  readonly data: DataStack;
  readonly api: ApiStack;
  readonly console: WebConsoleStack;
}

/**
 * Builds the whole CDK app without synthesizing it, so tests can inspect it. Context keys (the
 * deploy guide, docs/deploying.md, lists them): `stage` (default `dev`), `operatorKeySha256`, and optional
 * `smsOriginationIdentity`, `voicePhoneNumbers` (comma-separated E.164), `consoleOrigins`
 * (comma-separated), `domainName` with `certificateArn`, `alarmEmail`.
 * Stacks are environment-agnostic: nothing is looked up in an AWS account at synth time.
 */
export function buildApp(props: AppProps = {}): TesseraApp {
  const app = new App(props);
  const stage = contextString(app, 'stage') ?? 'dev';
  if (!/^[a-z][a-z0-9]{1,15}$/.test(stage)) {
    throw new Error(`Context "stage" must be 2-16 lowercase letters or digits, starting with a letter; got "${stage}"`);
  }
  const settings = stageSettings(stage);
  const smsOriginationIdentity = contextString(app, 'smsOriginationIdentity');
  const domainName = contextString(app, 'domainName');
  const certificateArn = contextString(app, 'certificateArn');
  if (Boolean(domainName) !== Boolean(certificateArn)) throw new Error('Context "domainName" and "certificateArn" go together');
  const alarmEmail = contextString(app, 'alarmEmail');
  const corsOrigins = contextList(app, 'consoleOrigins') ?? settings.defaultCorsOrigins;
  for (const origin of corsOrigins) {
    // Pages that hold admin keys are served over HTTPS; plain HTTP only from this machine.
    if (!/^(https:\/\/[a-z0-9.-]+|http:\/\/(localhost|127\.0\.0\.1))(:\d+)?$/.test(origin)) {
      throw new Error(`Context "consoleOrigins": "${origin}" is not an HTTPS origin (https://host[:port]; http only for localhost)`);
    }
  }

  const data = new DataStack(app, `Tessera-${stage}-Data`, {
    stage,
    settings,
    description: `Tessera ${stage}: tables and keys`,
  });
  const api = new ApiStack(app, `Tessera-${stage}-Api`, {
    stage,
    description: `Tessera ${stage}: HTTP API and handlers`,
    tables: data.tables,
    secretsKey: data.secretsKey,
    operatorKeySha256: contextString(app, 'operatorKeySha256') ?? PLACEHOLDER_OPERATOR_KEY_SHA256,
    ...(smsOriginationIdentity ? { smsOriginationIdentity } : {}),
    settings,
    corsOrigins,
    voicePhoneNumbers: contextList(app, 'voicePhoneNumbers') ?? [],
    ...(domainName && certificateArn ? { domain: { name: domainName, certificateArn } } : {}),
    ...(alarmEmail ? { alarmEmail } : {}),
  });

  const console = new WebConsoleStack(app, `Tessera-${stage}-Console`, {
    stage,
    description: `Tessera ${stage}: admin console (S3 + CloudFront)`,
    apiEndpoint: api.httpApi.apiEndpoint,
    removalPolicy: settings.removalPolicy,
  });

  Tags.of(app).add('project', 'tessera');
  Tags.of(app).add('stage', stage);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
  return { app, stage, data, api, console };
}

function contextString(app: App, key: string): string | undefined {
  const value: unknown = app.node.tryGetContext(key);
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string') throw new Error(`Context "${key}" must be a string`);
  return value;
}

/** A comma-separated context value (as `-c key=a,b` gives it), or a JSON list from cdk.json. */
function contextList(app: App, key: string): string[] | undefined {
  const value: unknown = app.node.tryGetContext(key);
  if (value === undefined || value === '') return undefined;
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value;
  if (typeof value !== 'string') throw new Error(`Context "${key}" must be a comma-separated string`);
  return value.split(',').map((v) => v.trim()).filter(Boolean);
}
