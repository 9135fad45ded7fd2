import { App, RemovalPolicy, Tags, Validations, type AppProps } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ApiStack } from './api-stack';
import { DataStack } from './data-stack';

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
}

/**
 * Builds the whole CDK app without synthesizing it, so tests can inspect it. Context keys:
 * `stage` (default `dev`), `operatorKeySha256`, `smsOriginationIdentity` (optional).
 * Stacks are environment-agnostic: nothing is looked up in an AWS account at synth time.
 */
export function buildApp(props: AppProps = {}): TesseraApp {
  const app = new App(props);
  const stage = contextString(app, 'stage') ?? 'dev';
  if (!/^[a-z][a-z0-9]{1,15}$/.test(stage)) {
    throw new Error(`Context "stage" must be 2-16 lowercase letters or digits, starting with a letter; got "${stage}"`);
  }
  const removalPolicy = stage === 'prod' ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
  const smsOriginationIdentity = contextString(app, 'smsOriginationIdentity');

  const data = new DataStack(app, `Tessera-${stage}-Data`, {
    stage,
    description: `Tessera ${stage}: tables and keys`,
  });
  const api = new ApiStack(app, `Tessera-${stage}-Api`, {
    stage,
    description: `Tessera ${stage}: HTTP API and handlers`,
    tables: data.tables,
    secretsKey: data.secretsKey,
    operatorKeySha256: contextString(app, 'operatorKeySha256') ?? PLACEHOLDER_OPERATOR_KEY_SHA256,
    ...(smsOriginationIdentity ? { smsOriginationIdentity } : {}),
    removalPolicy,
  });

  Tags.of(app).add('project', 'tessera');
  Tags.of(app).add('stage', stage);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stage, data, api };
}

function contextString(app: App, key: string): string | undefined {
  const value: unknown = app.node.tryGetContext(key);
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string') throw new Error(`Context "${key}" must be a string`);
  return value;
}
