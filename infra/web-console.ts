import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { CfnOutput, DockerImage, Duration, Fn, Stack, Validations, type RemovalPolicy, type StackProps } from 'aws-cdk-lib';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import type { Construct } from 'constructs';
import { PAGE_CSP } from './web/pages';

const REPO_ROOT = path.resolve(__dirname, '..');

/** Paths CloudFront passes to the API, so the console calls it on its own origin (no CORS, no API URL to type). */
export const API_PATHS = ['/v1/*', '/.well-known/*', '/openapi.json', '/docs'] as const;

export interface WebConsoleStackProps extends StackProps {
  readonly stage: string;
  /** The HTTP API's endpoint, `https://<id>.execute-api.<region>.amazonaws.com`. */
  readonly apiEndpoint: string;
  readonly removalPolicy: RemovalPolicy;
}

/**
 * The tenant admins' web console on AWS: its static files in a private bucket, served by
 * CloudFront through origin access control; the API's paths go through the same distribution
 * to API Gateway, uncached, with every viewer header (the admin key) but Host. The files are
 * the ones `npm run build:web` makes, built while the stack is bundled (as the handlers are).
 */
export class WebConsoleStack extends Stack {
  readonly bucket: s3.Bucket;
  readonly distribution: cloudfront.Distribution;

  constructor(scope: Construct, id: string, props: WebConsoleStackProps) {
    super(scope, id, props);
    this.bucket = new s3.Bucket(this, 'Files', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      removalPolicy: props.removalPolicy,
      autoDeleteObjects: false,
    });
    Validations.of(this.bucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'The bucket holds only the console\'s public build output (HTML and one script), written by the deployment alone; ' +
        'readers reach it only through CloudFront, whose requests CloudFront itself can log. No customer data is stored here.',
    });

    const apiDomain = Fn.select(2, Fn.split('/', props.apiEndpoint));
    const api = new origins.HttpOrigin(apiDomain, { protocolPolicy: cloudfront.OriginProtocolPolicy.HTTPS_ONLY });
    const apiBehavior: cloudfront.BehaviorOptions = {
      origin: api,
      viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
      allowedMethods: cloudfront.AllowedMethods.ALLOW_ALL,
      // Nothing of the API is cached at the edge. Some answers depend on the request's headers
      // (/openapi.json and /docs are gzip-compressed for an Accept-Encoding that accepts it, and
      // say so in Vary): a caching policy here would have to key on Accept-Encoding.
      cachePolicy: cloudfront.CachePolicy.CACHING_DISABLED,
      originRequestPolicy: cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
    };
    const headers = new cloudfront.ResponseHeadersPolicy(this, 'Headers', {
      comment: `Tessera ${props.stage} console: CSP and security headers`,
      securityHeadersBehavior: {
        contentSecurityPolicy: { contentSecurityPolicy: PAGE_CSP, override: true },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: cloudfront.HeadersFrameOption.DENY, override: true },
        referrerPolicy: { referrerPolicy: cloudfront.HeadersReferrerPolicy.NO_REFERRER, override: true },
        strictTransportSecurity: { accessControlMaxAge: Duration.days(365), includeSubdomains: true, override: true },
      },
    });
    this.distribution = new cloudfront.Distribution(this, 'Distribution', {
      comment: `Tessera ${props.stage} admin console`,
      defaultRootObject: 'index.html',
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      priceClass: cloudfront.PriceClass.PRICE_CLASS_100,
      defaultBehavior: {
        origin: origins.S3BucketOrigin.withOriginAccessControl(this.bucket),
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        responseHeadersPolicy: headers,
        compress: true,
      },
      additionalBehaviors: Object.fromEntries(API_PATHS.map((p) => [p, apiBehavior])),
    });
    const nag: [string, string][] = [
      ['AwsSolutions-CFR1', 'Tenant admins sign in from wherever they work; the console holds no data of its own and every API call needs an admin key.'],
      ['AwsSolutions-CFR2', 'A web ACL costs a fixed monthly fee per stage; the API behind it throttles per route and the handlers per user, number and tenant (R6, R8). Add one through context-free customisation when a tenant requires it.'],
      ['AwsSolutions-CFR3', 'Access logs would need another bucket; the API requests that pass through are already in the API access log and the auth log (R23), and the static files are public build output.'],
      ['AwsSolutions-CFR4', 'The distribution uses its default *.cloudfront.net certificate, for which CloudFront fixes the minimum TLS version itself; a minimum can only be set with a custom domain and a certificate of its own.'],
    ];
    for (const [id, reason] of nag) Validations.of(this.distribution).acknowledge({ id, reason });

    new s3deploy.BucketDeployment(this, 'Deploy', {
      destinationBucket: this.bucket,
      distribution: this.distribution,
      distributionPaths: ['/index.html', '/main.js'],
      sources: [
        s3deploy.Source.asset(path.join(REPO_ROOT, 'infra', 'web', 'console'), {
          bundling: {
            // Only used if the local build declines, which it never does: it builds or throws.
            image: DockerImage.fromRegistry('public.ecr.aws/docker/library/node:24'),
            local: {
              tryBundle(outputDir: string): boolean {
                execFileSync(process.execPath, [path.join(REPO_ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), path.join(REPO_ROOT, 'infra', 'web', 'build.ts'), 'console', outputDir], {
                  cwd: REPO_ROOT,
                  stdio: 'inherit',
                });
                return true;
              },
            },
          },
        }),
      ],
      memoryLimit: 256,
    });
    this.acknowledgeDeploymentHandler();
    new CfnOutput(this, 'ConsoleUrl', { value: `https://${this.distribution.distributionDomainName}`, description: 'The admin console' });
  }

  /**
   * BucketDeployment copies the files with a singleton Lambda aws-cdk-lib owns (its runtime,
   * role and policy are not ours to change); it runs only while CloudFormation deploys.
   */
  private acknowledgeDeploymentHandler(): void {
    const handler = this.node.children.find((c) => c.node.id.startsWith('Custom::CDKBucketDeployment'));
    if (!handler) throw new Error('BucketDeployment made no handler to acknowledge');
    const owned = 'The console files are copied by the BucketDeployment handler that aws-cdk-lib creates and owns; it runs only during a deploy';
    const files = `<${this.getLogicalId(this.bucket.node.defaultChild as s3.CfnBucket)}.Arn>/*`;
    const acks: [string, string][] = [
      ['AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]', `${owned}, and aws-cdk-lib gives its role the basic execution managed policy to write its logs.`],
      ['AwsSolutions-IAM5[Action::s3:GetBucket*]', `${owned}; it reads the CDK asset bucket and writes the console bucket with aws-cdk-lib's own grant sets.`],
      ['AwsSolutions-IAM5[Action::s3:GetObject*]', `${owned}; it reads the console files from the CDK asset bucket with aws-cdk-lib's own grant set.`],
      ['AwsSolutions-IAM5[Action::s3:List*]', `${owned}; it lists the console bucket to replace its files (aws-cdk-lib's own grant set).`],
      ['AwsSolutions-IAM5[Action::s3:Abort*]', `${owned}; its write grant on the console bucket is aws-cdk-lib's own set.`],
      ['AwsSolutions-IAM5[Action::s3:DeleteObject*]', `${owned}; it removes console files a new build no longer has (aws-cdk-lib's own grant set).`],
      ['AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-<AWS::Region>/*]', `${owned}; it reads the zipped console files from the CDK bootstrap asset bucket, whose object keys are content hashes.`],
      [`AwsSolutions-IAM5[Resource::${files}]`, `${owned}; it writes every object of the console bucket, which holds nothing but the console's build output.`],
      ['AwsSolutions-IAM5[Resource::*]', `${owned}; it invalidates the CloudFront cache after a copy, and cloudfront:CreateInvalidation is granted on Resource "*" by aws-cdk-lib.`],
      ['AwsSolutions-L1', `${owned}; aws-cdk-lib pins its runtime (Python with the AWS CLI layer), which we cannot choose.`],
      ['Serverless-LambdaDLQ', `${owned}; CloudFormation waits for its answer, so a failure fails the deploy and a dead-letter queue would never be read.`],
      ['Serverless-LambdaLatestVersion', `${owned}; aws-cdk-lib pins its runtime, which we cannot choose.`],
      ['Serverless-LambdaTracing', `${owned}; tracing a deploy-time file copy would add cost and no insight into sign-ins.`],
    ];
    for (const [id, reason] of acks) Validations.of(handler).acknowledge({ id, reason });
  }
}
