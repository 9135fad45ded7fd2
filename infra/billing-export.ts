import { Duration, Stack, Validations, type RemovalPolicy } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { BILLING_RUN_HOUR_UTC } from '../shared/rules';
import type { TesseraFunction } from './function';

/**
 * R26: the run bills the previous month at BILLING_RUN_HOUR_UTC (08:00 UTC) on the 1st: by then
 * the challenge projection has written the month's meter or named what it gave up on (the run
 * checks both, `ProjectionProgress`).
 */
export const BILLING_SCHEDULE = { minute: '0', hour: String(BILLING_RUN_HOUR_UTC), day: '1', month: '*', year: '*' } as const;

/** Export versions replaced by a re-run are kept this long, then expire. */
export const NONCURRENT_EXPORT_DAYS = 400;

export interface BillingExportProps {
  /** The `billing-run` handler; granted PutObject under `billing/` of the bucket, nothing else of it. */
  readonly run: TesseraFunction;
  readonly removalPolicy: RemovalPolicy;
  /** Where the schedule's event goes when it cannot be delivered to the run. */
  readonly deadLetterQueue: sqs.IQueue;
}

/**
 * The monthly finance export (R26): a private, encrypted, versioned, SSL-only bucket, and the
 * EventBridge schedule that runs the billing handler into it.
 */
export class BillingExport extends Construct {
  readonly bucket: s3.Bucket;
  readonly schedule: events.Rule;

  constructor(scope: Construct, id: string, props: BillingExportProps) {
    super(scope, id);
    this.bucket = new s3.Bucket(this, 'Bucket', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      versioned: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      removalPolicy: props.removalPolicy,
      lifecycleRules: [
        { id: 'ExpireReplacedVersions', noncurrentVersionExpiration: Duration.days(NONCURRENT_EXPORT_DAYS) },
        { id: 'AbortIncompleteUploads', abortIncompleteMultipartUploadAfter: Duration.days(7) },
        {
          id: 'ArchiveOldExports',
          transitions: [{ storageClass: s3.StorageClass.INFREQUENT_ACCESS, transitionAfter: Duration.days(90) }],
        },
      ],
    });
    Validations.of(this.bucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'Server access logs would need a second bucket for a handful of objects a month, written only by the ' +
        'billing run under its own role; versioning keeps every export written, and CloudTrail records the API calls.',
    });

    const policy = new iam.Policy(this, 'WritePolicy', {
      roles: [props.run.role],
      statements: [new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: [this.bucket.arnForObjects('billing/*')] })],
    });
    Validations.of(policy).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${Stack.of(this).getLogicalId(this.bucket.node.defaultChild as s3.CfnBucket)}.Arn>/billing/*]`,
      reason:
        'The export keys are billing/<YYYY-MM>.csv and .json, one pair per month run: the month is only known ' +
        'at run time. PutObject only, only under billing/ of this one bucket.',
    });

    this.schedule = new events.Rule(this, 'Schedule', {
      description: 'Tessera: bill the previous month (R26)',
      schedule: events.Schedule.cron(BILLING_SCHEDULE),
      targets: [
        new targets.LambdaFunction(props.run.function, {
          event: events.RuleTargetInput.fromObject({}),
          retryAttempts: 2,
          deadLetterQueue: props.deadLetterQueue,
        }),
      ],
    });
  }
}
