import { ArnFormat, Duration, Stack, Validations, type RemovalPolicy } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { ENV } from '../shared/config';
import { jobStateMachineDefinition } from '../shared/jobs/state-machine';
import type { TesseraFunction } from './function';

/** Job files (uploads, manifests, report parts, reports, exports) are deleted this many days after they are written. */
export const JOB_FILE_RETENTION_DAYS = 7;

export interface BulkJobsProps {
  /** The admin routes: presign uploads and downloads, read the upload once, write the manifest, start executions. */
  readonly api: TesseraFunction;
  /** One batch: reads its range of the upload, writes its report part. */
  readonly batch: TesseraFunction;
  /** The last step: reads the manifest and parts, writes the report or the export (multipart). */
  readonly complete: TesseraFunction;
  readonly removalPolicy: RemovalPolicy;
  readonly logRetention?: logs.RetentionDays;
}

/**
 * R19/R22 bulk jobs: a private, encrypted, TLS-only bucket whose files expire after a week, and the
 * Standard state machine of `shared/jobs/state-machine.ts` (a Distributed Map over the batch
 * manifest, then the complete step). Each function gets only the object actions it makes.
 */
export class BulkJobs extends Construct {
  readonly bucket: s3.Bucket;
  readonly stateMachine: sfn.StateMachine;
  readonly aborted: events.Rule;

  constructor(scope: Construct, id: string, props: BulkJobsProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.bucket = new s3.Bucket(this, 'Bucket', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      removalPolicy: props.removalPolicy,
      lifecycleRules: [
        { id: 'ExpireJobFiles', expiration: Duration.days(JOB_FILE_RETENTION_DAYS) },
        { id: 'AbortIncompleteUploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
    });
    Validations.of(this.bucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'Job files live a week and are written only through presigned URLs the admin API issues per job and by the jobs’ own ' +
        'functions; CloudTrail records the API calls, and server access logs would need a second bucket for short-lived files.',
    });

    const logGroup = new logs.LogGroup(this, 'Logs', { retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH, removalPolicy: props.removalPolicy });
    const name = `${stack.stackName}-jobs`;
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineName: name,
      comment: 'Tessera bulk jobs (R19, R22)',
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromString(
        JSON.stringify(jobStateMachineDefinition({ bucket: '${JobsBucket}', batchFunctionArn: '${BatchFunctionArn}', completeFunctionArn: '${CompleteFunctionArn}' })),
      ),
      definitionSubstitutions: {
        JobsBucket: this.bucket.bucketName,
        BatchFunctionArn: props.batch.function.functionArn,
        CompleteFunctionArn: props.complete.function.functionArn,
      },
      // R28: execution data holds tenant ids and byte ranges only, but the log keeps the events alone.
      logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
      tracingEnabled: true,
      removalPolicy: props.removalPolicy,
    });
    const ownArn = stack.formatArn({ service: 'states', resource: 'stateMachine', resourceName: name, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
    this.stateMachine.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [props.batch.function.functionArn, props.complete.function.functionArn] }),
    );
    // The Distributed Map reads the manifest (ItemReader) and runs its children as executions of this machine.
    this.stateMachine.addToRolePolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [this.bucket.arnForObjects('*/manifest.json')] }));
    this.stateMachine.addToRolePolicy(new iam.PolicyStatement({ actions: ['states:StartExecution'], resources: [ownArn] }));
    this.stateMachine.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['states:DescribeExecution', 'states:StopExecution'],
        resources: [stack.formatArn({ service: 'states', resource: 'execution', resourceName: `${name}/*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME })],
      }),
    );

    const objects = (id: string, fn: TesseraFunction, actions: string[], keys: string) =>
      new iam.Policy(this, id, { roles: [fn.role], statements: [new iam.PolicyStatement({ actions, resources: [this.bucket.arnForObjects(keys)] })] });
    // Uploads go to <tenant>/<job>/upload.csv through the presigned URL the API signs with its own role.
    objects('ApiObjects', props.api, ['s3:PutObject', 's3:GetObject'], '*');
    objects('BatchObjects', props.batch, ['s3:GetObject', 's3:PutObject'], '*');
    objects('CompleteObjects', props.complete, ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload'], '*');
    // Without ListBucket, S3 answers a HEAD of a missing key 403 instead of 404, and the object
    // store could not tell "not uploaded yet" or "no report part" from a refusal.
    for (const fn of [props.api, props.batch, props.complete]) {
      fn.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [this.bucket.bucketArn] }));
    }
    for (const fn of [props.api, props.batch, props.complete]) fn.function.addEnvironment(ENV.jobsBucket, this.bucket.bucketName);
    props.api.function.addEnvironment(ENV.jobsStateMachineArn, this.stateMachine.stateMachineArn);
    this.stateMachine.grantStartExecution(props.api.function);
    // Cancel stops the job's execution (named after the job): executions of this machine only.
    const executions = stack.formatArn({ service: 'states', resource: 'execution', resourceName: `${name}:*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
    const stopPolicy = new iam.Policy(this, 'ApiStop', { roles: [props.api.role], statements: [new iam.PolicyStatement({ actions: ['states:StopExecution'], resources: [executions] })] });
    Validations.of(stopPolicy).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:${name}:*]`,
      reason: 'A job’s execution is named after the job, known only at run time; StopExecution only, only on executions of the jobs’ own state machine, and the admin route stops only its own tenant’s job (R27).',
    });

    // A stopped (cancelled) execution never reaches its complete step: its ABORTED status event runs
    // it, so the job still gets the report of the batches that ran.
    this.aborted = new events.Rule(this, 'Aborted', {
      description: 'Tessera: the report of a cancelled bulk job (R19, R22)',
      eventPattern: { source: ['aws.states'], detailType: ['Step Functions Execution Status Change'], detail: { status: ['ABORTED'], stateMachineArn: [this.stateMachine.stateMachineArn] } },
      targets: [new targets.LambdaFunction(props.complete.function, { retryAttempts: 8, maxEventAge: Duration.hours(6) })],
    });
    Validations.of(this.aborted).acknowledge({
      id: 'Serverless-EventBusDLQ',
      reason:
        'The event only asks for the report of a cancelled job: the job’s state and counts are already final without it, the step is ' +
        'idempotent and retried for six hours, and a report that still never appears shows as a 409 on download, not as wrong data.',
    });

    const wildcard =
      'Job files are keyed <tenantId>/<jobId>/…: both are only known at run time. Object actions only, only on this bucket; ' +
      'a tenant reaches only its own keys because the handlers build every key from the tenant of the caller’s API key (R27).';
    for (const policy of this.node.children.filter((c): c is iam.Policy => c instanceof iam.Policy)) {
      Validations.of(policy).acknowledge({ id: `AwsSolutions-IAM5[Resource::<${stack.getLogicalId(this.bucket.node.defaultChild as s3.CfnBucket)}.Arn>/*]`, reason: wildcard });
    }
    const defaultPolicy = this.stateMachine.role.node.tryFindChild('DefaultPolicy');
    if (defaultPolicy) {
      Validations.of(defaultPolicy).acknowledge(
        { id: 'AwsSolutions-IAM5[Resource::*]', reason: 'Step Functions logging and X-Ray tracing support no resource-level permissions (AWS documents Resource "*").' },
        { id: `AwsSolutions-IAM5[Resource::<${stack.getLogicalId(this.bucket.node.defaultChild as s3.CfnBucket)}.Arn>/*/manifest.json]`, reason: `The Distributed Map reads each job’s manifest; ${wildcard}` },
        { id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:${name}/*]`, reason: 'The Distributed Map describes and stops its own child executions, whose names it draws.' },
      );
    }
  }
}
