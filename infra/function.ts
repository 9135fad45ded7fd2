import * as path from 'node:path';
import { Duration, Stack, Validations, type RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { LogLevel, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ENV } from '../shared/config';
import { PUSH_PLATFORMS, type PushPlatform } from '../shared/domain/types';
import type { SecretKind } from '../shared/ports';
import type { FunctionName } from '../shared/routes';
import type { TableDefinition } from '../shared/tables';
import type { TableBinding } from './data-stack';
import { LAMBDA_DEFERRED, LAMBDA_MAIN_FIELDS, lambdaEsbuildArgs } from './lambda/aliases';
import { deferredBundlingCommand } from './lambda/deferred';

const REPO_ROOT = path.resolve(__dirname, '..');

/**
 * Uses of the secrets key a handler may be granted: exactly the KMS calls `KmsSecretBox` makes,
 * each for the kinds of secret it needs (R28), checked by KMS on the encryption context.
 */
export interface SecretsAccess {
  readonly encrypt?: readonly SecretKind[];
  readonly decrypt?: readonly SecretKind[];
  /** kms:GenerateDataKey: one data key seals a batch of secrets (`SecretBox.sealMany`); they open with Decrypt. */
  readonly generateDataKey?: readonly SecretKind[];
}

/**
 * The `purpose` a secret of each kind was sealed under before kinds existed (`kms.` ciphertexts,
 * which `KmsSecretBox` still opens): its binding. Decrypt only, so nothing new is sealed that way.
 */
export const LEGACY_PURPOSES: Partial<Record<SecretKind, string>> = {
  // The cursor and throttle HMAC keys came with kinds: none was sealed the old way.
  'code-hmac-key': 'code-hmac-key',
  'assertion-signing-key': 'assertion-signing-key',
  'totp-secret': 'otp:app:*',
  'oath-secret': 'otp:oath:*',
  'push-device-key': 'push-device:*',
  'webhook-secret': 'webhook-signing-secret',
};

/**
 * Item actions behind what the DynamoDB adapters send: Get, Query, Put, Update, Delete and
 * TransactWriteItems (authorized per part: Put, Update, Delete, ConditionCheck). No Scan: no
 * handler reads a whole table, and a scan would read across tenants.
 */
const ITEM_READ = ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query'];
const ITEM_WRITE = [
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:BatchWriteItem',
  'dynamodb:ConditionCheckItem',
];
/** Changes to existing items only, alone or in a transaction (IAM authorizes each part of a TransactWriteItems by its own action). */
const ITEM_UPDATE = ['dynamodb:UpdateItem', 'dynamodb:ConditionCheckItem'];
const ITEM_PUT_UPDATE = ['dynamodb:PutItem', 'dynamodb:UpdateItem'];
/** What a caller of a table encrypted with a customer-managed key needs on that key (as aws-cdk-lib grants it). */
const TABLE_KEY_READ = ['kms:Decrypt', 'kms:DescribeKey'];
const TABLE_KEY_WRITE = ['kms:Encrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*'];

/** What one handler touches, and so all it is granted. */
export interface HandlerAccess {
  readonly read?: readonly TableDefinition[];
  readonly readWrite?: readonly TableDefinition[];
  /** Read, and change existing items only: UpdateItem and ConditionCheckItem (a transaction of those), no Put or Delete. */
  readonly update?: readonly TableDefinition[];
  /** Read, put items and update them: PutItem and UpdateItem (a transaction of those), no Delete, BatchWrite or ConditionCheck. */
  readonly putUpdate?: readonly TableDefinition[];
  readonly secrets?: SecretsAccess;
  readonly sendsSms?: boolean;
  /** Classifies phone numbers with Pinpoint PhoneNumberValidate (R30). */
  readonly validatesPhones?: boolean;
  /** Starts voice rollovers (states:StartExecution on the voice state machine, R13). */
  readonly startsVoiceRollovers?: boolean;
  /** R9: registers phones as SNS platform endpoints, and/or publishes prompts to them. */
  readonly push?: readonly ('register' | 'send')[];
}

/** SNS platform application type of each phone platform (APNs, FCM). */
export const PUSH_APPLICATION_TYPES: Record<PushPlatform, 'APNS' | 'GCM'> = { ios: 'APNS', android: 'GCM' };

/**
 * R9: the SNS platform application of a stage and platform. The operator creates it under this
 * name with the APNs or FCM credentials, which never pass through CDK.
 */
export function pushApplicationName(stage: string, platform: PushPlatform): string {
  return `tessera-${stage}-${platform}`;
}

export interface TesseraFunctionProps {
  /** The handler module: `functions/<name>.ts`. */
  readonly name: FunctionName;
  /** Every table; each one's physical name reaches the handler in its definition's env var. */
  readonly tables: readonly TableBinding[];
  /** Key that seals service secrets; its ARN reaches the handler as `ENV.secretsKmsKeyId`. */
  readonly secretsKey: kms.IKey;
  /** Further environment (issuer, operator key hash, …); names come from `ENV`. */
  readonly environment?: Readonly<Record<string, string>>;
  /** Whether the log group outlives the stack (prod) or not (dev). */
  readonly removalPolicy: RemovalPolicy;
  /** @default one month */
  readonly logRetention?: logs.RetentionDays;
  /** @default 10 seconds: an API handler; a batch job (the billing run) asks for more. */
  readonly timeout?: Duration;
  /** @default 512 MB; CPU comes with memory (one full vCPU at 1,769 MB). */
  readonly memorySize?: number;
  /** Where failed asynchronous invocations go (only the scheduled billing run is invoked asynchronously). */
  readonly deadLetterQueue?: sqs.IQueue;
}

/**
 * One Lambda entry point of `functions/` with the defaults every Tessera handler shares:
 * Node 24 (nodejs24.x) on arm64, esbuild bundling of the handler and the SDK clients it uses, X-Ray,
 * a log group of its own, and a role that starts with nothing but writing to that log group.
 * Each handler then gets exactly the table, key and messaging access it needs via `grant*`.
 */
export class TesseraFunction extends Construct {
  readonly function: NodejsFunction;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;
  private readonly tables: readonly TableBinding[];
  private readonly secretsKey: kms.IKey;
  private tableWriteAcknowledged = false;

  constructor(scope: Construct, id: string, props: TesseraFunctionProps) {
    super(scope, id);
    this.tables = props.tables;
    this.secretsKey = props.secretsKey;

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: props.removalPolicy,
    });
    // Our own role rather than the default one, which carries the AWSLambdaBasicExecutionRole
    // managed policy (logs:* on every log group of the account).
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Tessera handler ${props.name}`,
    });
    this.logGroup.grantWrite(this.role);

    this.function = new NodejsFunction(this, 'Function', {
      entry: path.join(REPO_ROOT, 'functions', `${props.name}.ts`),
      handler: 'handler',
      projectRoot: REPO_ROOT,
      depsLockFilePath: path.join(REPO_ROOT, 'package-lock.json'),
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(10),
      ...(props.deadLetterQueue ? { deadLetterQueue: props.deadLetterQueue } : {}),
      tracing: lambda.Tracing.ACTIVE,
      role: this.role,
      logGroup: this.logGroup,
      environment: {
        [ENV.runtime]: 'aws',
        POWERTOOLS_SERVICE_NAME: 'tessera',
        // Stack traces in the logs point into the TypeScript sources, not the minified bundle.
        NODE_OPTIONS: '--enable-source-maps',
        [ENV.secretsKmsKeyId]: props.secretsKey.keyArn,
        ...Object.fromEntries(props.tables.map(({ definition, table }) => [definition.envVar, table.tableName])),
        ...props.environment,
      },
      bundling: {
        minify: true,
        sourceMap: true,
        // Line mappings are enough for stack traces; the sources themselves need not ship.
        sourcesContent: false,
        target: 'node24',
        // CommonJS: esbuild turns ESM-only dependencies (jose) into CJS, and the bundle needs
        // no createRequire banner for the CJS ones (the AWS SDK).
        format: OutputFormat.CJS,
        // The packages' ES modules first, as `npm run build` does: the SDK's ES modules tree-shake.
        mainFields: [...LAMBDA_MAIN_FIELDS],
        // Bundle the SDK v3 clients too, so the code runs against the versions it was tested with.
        bundleAwsSDK: true,
        // Bundle sizes are `npm run build`'s report; synth only needs to hear about problems.
        logLevel: LogLevel.WARNING,
        // Lambda's environment credentials instead of the SDK's whole default chain, the X-Ray parts Tracer uses, node:crypto for OTPs, no bowser;
        // a deferred package's import() written as require() (infra/lambda/aliases.ts).
        esbuildArgs: lambdaEsbuildArgs(),
        // The packages loaded only on the paths that need them stay out of the bundle and are bundled
        // beside it, as node_modules/<package>/index.js, those its code loads (infra/lambda/aliases.ts
        // LAMBDA_DEFERRED, infra/lambda/deferred.ts).
        externalModules: [...LAMBDA_DEFERRED],
        commandHooks: {
          beforeBundling: () => [],
          beforeInstall: () => [],
          afterBundling: (_inputDir, outputDir) => [deferredBundlingCommand(outputDir)],
        },
      },
    });

    Validations.of(this.defaultPolicy).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Active tracing: xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level ' +
        'permissions, so X-Ray requires Resource "*". No other "*" resource is granted, except to the challenge projection, whose ' +
        'stream event source adds dynamodb:ListStreams, which names no resource either (its stream reads name the stream; test/infra checks both).',
    });
  }

  /** The role's default policy, which table, key and tracing grants all land in. */
  private get defaultPolicy(): Construct {
    return this.role.node.findChild('DefaultPolicy');
  }

  /** The grants `access` lists (the voice state machine's are given where the machine is made). */
  grantAccess(access: HandlerAccess): void {
    access.read?.forEach((table) => this.grantReadTable(table));
    access.readWrite?.forEach((table) => this.grantReadWriteTable(table));
    access.update?.forEach((table) => this.grantTable(table, 'update'));
    access.putUpdate?.forEach((table) => this.grantTable(table, 'putUpdate'));
    if (access.secrets) this.grantSecrets(access.secrets);
    if (access.sendsSms) this.grantSendSms();
    if (access.validatesPhones) this.grantPhoneValidation();
  }

  /** Read items of the table made from `definition`, and query its indexes. */
  grantReadTable(definition: TableDefinition): void {
    this.grantTable(definition, 'read');
  }

  /** Read and write items of the table made from `definition`, and query its indexes. */
  grantReadWriteTable(definition: TableDefinition): void {
    this.grantTable(definition, 'readWrite');
  }

  /**
   * The given KMS calls on the secrets key, and on no other key, each only for the kinds of
   * secret listed: KMS compares the request's encryption context (`purpose`, see
   * `kmsEncryptionContext`) with the condition.
   */
  grantSecrets(access: SecretsAccess): void {
    const purpose = 'kms:EncryptionContext:purpose';
    const grant = (action: string, kinds: readonly SecretKind[] | undefined, legacy: boolean) => {
      if (!kinds?.length) return;
      const legacyPurposes = [...new Set(kinds.flatMap((k) => LEGACY_PURPOSES[k] ?? []))];
      if (legacy && !legacyPurposes.length) return;
      this.role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: [action],
          resources: [this.secretsKey.keyArn],
          conditions: legacy
            ? { StringLike: { [purpose]: legacyPurposes } }
            : { StringEquals: { [purpose]: [...kinds] } },
        }),
      );
    };
    grant('kms:Encrypt', access.encrypt, false);
    grant('kms:Decrypt', access.decrypt, false);
    grant('kms:Decrypt', access.decrypt, true);
    grant('kms:GenerateDataKey', access.generateDataKey, false);
  }

  /** R30: Pinpoint's PhoneNumberValidate, to refuse VoIP numbers and keep landlines voice-only. */
  grantPhoneValidation(): void {
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['mobiletargeting:PhoneNumberValidate'],
        resources: [Stack.of(this).formatArn({ service: 'mobiletargeting', resource: 'phone', resourceName: 'number/validate' })],
      }),
    );
  }

  /**
   * Sending SMS through both routes of the failover (R16): SNS Publish to a phone number and
   * End User Messaging SendTextMessage. Kept in a policy of its own so that its wildcard
   * resources can be acknowledged without covering anything else.
   */
  grantSendSms(): iam.Policy {
    const policy = new iam.Policy(this, 'SmsPolicy', {
      roles: [this.role],
      statements: [
        // A Publish to a phone number has no resource ARN to name: IAM only accepts "*".
        new iam.PolicyStatement({ actions: ['sns:Publish'], resources: ['*'] }),
        // The origination identity (pool, phone number or sender ID) is chosen at send time.
        new iam.PolicyStatement({
          actions: ['sms-voice:SendTextMessage'],
          resources: [Stack.of(this).formatArn({ service: 'sms-voice', resource: '*' })],
        }),
      ],
    });
    Validations.of(policy).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'sns:Publish with PhoneNumber (SMS straight to a phone, no topic) has no resource ARN: IAM requires ' +
        'Resource "*" for it. The statement allows sns:Publish only, and only the SMS-sending handlers get it.',
    });
    Validations.of(policy).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:sms-voice:<AWS::Region>:<AWS::AccountId>:*]',
      reason:
        'sms-voice:SendTextMessage is authorized against the origination identity (pool, phone number or ' +
        'sender ID) End User Messaging picks at send time unless one is configured; limited to this account and region.',
    });
    return policy;
  }

  /**
   * R9: SNS mobile push, scoped to this stage's platform applications: CreatePlatformEndpoint on
   * the applications and, for a token registered before (R18), SetEndpointAttributes on their
   * endpoints; Publish on their endpoints. Endpoint ids are created at activation, so endpoints
   * are named by a wildcard under each application: a policy of its own, acknowledged.
   */
  grantPush(stage: string, uses: readonly ('register' | 'send')[]): iam.Policy {
    const stack = Stack.of(this);
    const arn = (kind: 'app' | 'endpoint', platform: PushPlatform, suffix = '') =>
      stack.formatArn({ service: 'sns', resource: `${kind}/${PUSH_APPLICATION_TYPES[platform]}/${pushApplicationName(stage, platform)}${suffix}` });
    const statements: iam.PolicyStatement[] = [];
    if (uses.includes('register')) {
      statements.push(new iam.PolicyStatement({ actions: ['sns:CreatePlatformEndpoint'], resources: PUSH_PLATFORMS.map((p) => arn('app', p)) }));
      statements.push(new iam.PolicyStatement({ actions: ['sns:SetEndpointAttributes'], resources: PUSH_PLATFORMS.map((p) => arn('endpoint', p, '/*')) }));
    }
    if (uses.includes('send')) {
      statements.push(new iam.PolicyStatement({ actions: ['sns:Publish'], resources: PUSH_PLATFORMS.map((p) => arn('endpoint', p, '/*')) }));
    }
    const policy = new iam.Policy(this, 'PushPolicy', { roles: [this.role], statements });
    for (const platform of PUSH_PLATFORMS) {
      const resource = `arn:<AWS::Partition>:sns:<AWS::Region>:<AWS::AccountId>:endpoint/${PUSH_APPLICATION_TYPES[platform]}/${pushApplicationName(stage, platform)}/*`;
      Validations.of(policy).acknowledge({
        id: `AwsSolutions-IAM5[Resource::${resource}]`,
        reason:
          'A platform endpoint ARN ends in an id SNS creates when a phone activates; Publish (to send a prompt) and ' +
          "SetEndpointAttributes (to re-enable a phone's existing endpoint at activation, R18) are limited to the " +
          "endpoints of this stage's own platform applications, each only for the handler that needs it.",
      });
    }
    return policy;
  }

  /**
   * Written out rather than `table.grantReadWriteData`, which adds stream and Scan actions no
   * handler uses and covers `<table>/index/*` instead of the indexes the definition names.
   */
  private grantTable(definition: TableDefinition, access: 'read' | 'readWrite' | 'update' | 'putUpdate'): void {
    const { table } = this.binding(definition);
    const write = access !== 'read';
    const actions = { read: ITEM_READ, readWrite: [...ITEM_READ, ...ITEM_WRITE], update: [...ITEM_READ, ...ITEM_UPDATE], putUpdate: [...ITEM_READ, ...ITEM_PUT_UPDATE] }[access];
    this.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions, resources: [table.tableArn] }));
    const indexes = (definition.indexes ?? []).map((index) => `${table.tableArn}/index/${index.name}`);
    if (indexes.length > 0) {
      this.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['dynamodb:Query'], resources: indexes }));
    }
    table.encryptionKey?.grant(this.role, ...TABLE_KEY_READ, ...(write ? TABLE_KEY_WRITE : []));
    if (!write || this.tableWriteAcknowledged) return;
    this.tableWriteAcknowledged = true;
    for (const action of TABLE_KEY_WRITE.filter((a) => a.endsWith('*'))) {
      Validations.of(this.defaultPolicy).acknowledge({
        id: `AwsSolutions-IAM5[Action::${action}]`,
        reason:
          `Writing to a table encrypted with a customer-managed key: DynamoDB uses the key with the caller's ` +
          `permissions, and ${action} is in the set aws-cdk-lib's own table grants give for it. Scoped to the table key's ARN.`,
      });
    }
  }

  private binding(definition: TableDefinition): TableBinding {
    const binding = this.tables.find((b) => b.definition.id === definition.id);
    if (!binding) throw new Error(`${this.node.path}: no table for definition "${definition.id}"`);
    return binding;
  }
}
