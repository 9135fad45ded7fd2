import { build, type Metafile } from 'esbuild';
import { join, resolve } from 'node:path';
import { LAMBDA_BUILD_OPTIONS } from '../../infra/build';
import { defaultProvider } from '../../infra/lambda/credentials';
import { esbuildAliasArgs } from '../../infra/lambda/aliases';
import { FUNCTIONS, type FunctionName } from '../../shared/routes';

/** Every handler bundled as `npm run build` and CDK bundle it: with the substitutions of infra/lambda/aliases.ts. */
async function bundles(): Promise<Map<FunctionName, { inputs: string[]; meta: Metafile }>> {
  const { metafile } = await build({
    entryPoints: Object.fromEntries(FUNCTIONS.map((name) => [name, join('functions', `${name}.ts`)])),
    ...LAMBDA_BUILD_OPTIONS,
    outdir: 'dist-test-bundles',
    write: false,
    logLevel: 'error',
  });
  const byName = new Map<FunctionName, { inputs: string[]; meta: Metafile }>();
  for (const [file, output] of Object.entries(metafile.outputs)) {
    const name = /([^/]+)\.js$/.exec(file)?.[1] as FunctionName;
    byName.set(name, { inputs: Object.keys(output.inputs), meta: metafile });
  }
  return byName;
}

/** The bundled files that import `target`, within one bundle. */
function importersOf(meta: Metafile, inBundle: readonly string[], target: string): string[] {
  const present = new Set(inBundle);
  return inBundle.filter((file) => present.has(file) && (meta.inputs[file]?.imports ?? []).some((i) => i.path === target));
}

/** The SDK's credential chain beyond the environment: providers, their nested STS/SSO clients and token readers. */
const NODE_CHAIN = /node_modules\/(@aws-sdk\/(credential-provider-(node|ini|sso|process|web-identity|http|login)|nested-clients|token-providers)|@smithy\/credential-provider-imds)\//;

describe('Lambda bundles: what each carries', () => {
  let built: Map<FunctionName, { inputs: string[]; meta: Metafile }>;
  beforeAll(async () => {
    built = await bundles();
  });

  it('bundles every handler', () => {
    expect([...built.keys()].sort()).toEqual([...FUNCTIONS].sort());
  });

  it("uses Lambda's environment credentials: no bundle carries the SDK's default chain, and only SDK clients import the substitute", () => {
    for (const [name, { inputs, meta }] of built) {
      expect({ name, chain: inputs.filter((input) => NODE_CHAIN.test(input)) }).toEqual({ name, chain: [] });
      const substitute = resolve('infra/lambda/credentials.ts');
      const file = inputs.find((input) => resolve(input) === substitute);
      if (!file) continue;
      const importers = importersOf(meta, inputs, file);
      expect(importers.length).toBeGreaterThan(0);
      for (const importer of importers) expect(importer).toMatch(/node_modules\/@aws-sdk\/client-[a-z0-9-]+\//);
    }
    // Every handler that builds an SDK client gets the substitute.
    const withClients = [...built].filter(([, { inputs }]) => inputs.some((i) => /node_modules\/@aws-sdk\/client-/.test(i)));
    expect(withClients.length).toBeGreaterThan(20);
    for (const [, { inputs }] of withClients) expect(inputs).toContain('infra/lambda/credentials.ts');
  });

  it('carries no semver: its one importer is the X-Ray SDK v2 patcher, which Tessera never calls', () => {
    for (const [name, { inputs, meta }] of built) {
      expect({ name, semver: inputs.filter((input) => /node_modules\/semver\//.test(input)) }).toEqual({ name, semver: [] });
      // Every handler is traced, so every bundle holds the X-Ray SDK and the substitute.
      expect(inputs).toContain('infra/lambda/semver.ts');
      for (const importer of importersOf(meta, inputs, 'infra/lambda/semver.ts')) expect(importer).toMatch(/node_modules\/aws-xray-sdk-core\/dist\/lib\/patchers\/aws_p\.js$/);
    }
  });

  it('carries the QR and PNG encoders only in the enrolment handlers', () => {
    const withQr = [...built].filter(([, { inputs }]) => inputs.some((input) => /node_modules\/(qrcode|pngjs)\//.test(input))).map(([name]) => name);
    expect(withQr.sort()).toEqual(['admin-authenticator', 'admin-push-activations']);
  });

  it("carries the phone-number library (its metadata is ~190 KiB) only in the handlers that parse numbers", () => {
    const withLibrary = [...built].filter(([, { inputs }]) => inputs.some((input) => /node_modules\/libphonenumber-js\/metadata/.test(input))).map(([name]) => name);
    // Users' phones (R30), the tenant's callerId setting and the operator's caller IDs (R15).
    expect(withLibrary.sort()).toEqual(['admin-settings', 'admin-users', 'admin-users-import', 'operator-tenants']);
  });

  it('passes CDK the same substitutions as esbuild flags', () => {
    expect(esbuildAliasArgs()).toEqual({
      '--alias:@aws-sdk/credential-provider-node': './infra/lambda/credentials.ts',
      '--alias:semver': './infra/lambda/semver.ts',
    });
  });
});

describe("Lambda bundles' credentials: the environment Lambda provides", () => {
  const KEYS = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE'] as const;
  const saved = Object.fromEntries(KEYS.map((key) => [key, process.env[key]]));
  afterEach(() => {
    for (const key of KEYS) {
      if (saved[key] === undefined) delete process.env[key];
      else process.env[key] = saved[key];
    }
  });

  it("answers with the role's credentials from the environment", async () => {
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'ASIAEXAMPLE', AWS_SECRET_ACCESS_KEY: 'secret', AWS_SESSION_TOKEN: 'token' });
    await expect(defaultProvider()()).resolves.toMatchObject({ accessKeyId: 'ASIAEXAMPLE', secretAccessKey: 'secret', sessionToken: 'token' });
  });

  it('fails as the default chain does when there are none, naming the missing credentials', async () => {
    for (const key of KEYS) delete process.env[key];
    await expect(defaultProvider()()).rejects.toThrow(/environment variable credentials/);
  });
});
