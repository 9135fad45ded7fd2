import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { API_PATHS } from '../../infra/web-console';
import { PAGE_CSP } from '../../infra/web/pages';
import { buildTestApp } from './support';

type Props = Record<string, unknown>;

describe('the admin console on AWS: S3 + CloudFront', () => {
  const built = buildTestApp();
  const template = Template.fromStack(built.console);
  const distribution = Object.values(template.findResources('AWS::CloudFront::Distribution'))[0]!.Properties as {
    DistributionConfig: { DefaultCacheBehavior: Props; CacheBehaviors: Props[]; Origins: Props[]; DefaultRootObject: string };
  };
  const config = distribution.DistributionConfig;

  it('the files bucket is private, encrypted, owner-enforced and SSL-only', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
  });

  it('CloudFront reads the bucket through origin access control, over HTTPS, with security headers', () => {
    template.resourceCountIs('AWS::CloudFront::OriginAccessControl', 1);
    // The console's CSP on AWS is the one the local runtime sends: scripts and API calls to its own origin only.
    template.hasResourceProperties('AWS::CloudFront::ResponseHeadersPolicy', {
      ResponseHeadersPolicyConfig: Match.objectLike({
        SecurityHeadersConfig: Match.objectLike({
          ContentSecurityPolicy: { ContentSecurityPolicy: PAGE_CSP, Override: true },
          FrameOptions: { FrameOption: 'DENY', Override: true },
          StrictTransportSecurity: Match.objectLike({ AccessControlMaxAgeSec: 31_536_000, Override: true }),
        }),
      }),
    });
    expect(PAGE_CSP).toContain("connect-src 'self'");
    expect(config.DefaultRootObject).toBe('index.html');
    expect(config.DefaultCacheBehavior).toMatchObject({ ViewerProtocolPolicy: 'redirect-to-https', Compress: true, ResponseHeadersPolicyId: expect.anything() });
  });

  it('the API paths go to API Gateway on the same origin, uncached, with the viewer\'s headers (the admin key) but Host', () => {
    expect(config.CacheBehaviors.map((b) => b.PathPattern).sort()).toEqual([...API_PATHS].sort());
    for (const behavior of config.CacheBehaviors) {
      expect(behavior).toMatchObject({
        ViewerProtocolPolicy: 'https-only',
        AllowedMethods: ['GET', 'HEAD', 'OPTIONS', 'PUT', 'PATCH', 'POST', 'DELETE'],
        // The managed CachingDisabled and AllViewerExceptHostHeader policies.
        CachePolicyId: '4135ea2d-6df8-44a3-9df3-4b5a84be39ad',
        OriginRequestPolicyId: 'b689b0a8-53d0-40ab-baf2-68738e2966ac',
      });
    }
    const apiOrigin = config.Origins.find((o) => (o as { CustomOriginConfig?: unknown }).CustomOriginConfig) as { CustomOriginConfig: Props; DomainName: unknown };
    expect(apiOrigin.CustomOriginConfig).toMatchObject({ OriginProtocolPolicy: 'https-only' });
    expect(JSON.stringify(apiOrigin.DomainName)).toContain('ApiEndpoint');
  });

  it('outputs the console URL', () => {
    template.hasOutput('ConsoleUrl', {});
  });

  it('synth builds the console into the deployed asset: its page and its script', () => {
    const outdir = mkdtempSync(join(tmpdir(), 'tessera-console-'));
    try {
      const app = buildTestApp({ 'aws:cdk:bundling-stacks': ['Tessera-dev-Console'] }, { outdir }).app;
      app.synth();
      const assets = readdirSync(outdir).filter((f) => f.startsWith('asset.') && existsSync(join(outdir, f, 'index.html')));
      expect(assets).toHaveLength(1);
      expect(readdirSync(join(outdir, assets[0]!)).sort()).toEqual(['index.html', 'main.js']);
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });
});
