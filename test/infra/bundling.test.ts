import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { LAMBDA_DEFERRED } from '../../infra/lambda/aliases';
import { FUNCTIONS } from '../../shared/routes';
import { deployedHandlerEnv } from '../support/aws-env';

/**
 * Real bundling, once for the whole file, by the real CLI: `cdk synth` as `npm run synth` runs
 * it (offline, no AWS account), into a folder of the test's own. CDK starts the local esbuild
 * through npx per function.
 */
describe('`cdk synth` offline, bundling with the local esbuild', () => {
  const outdir = mkdtempSync(path.join(tmpdir(), 'tessera-cdk-'));
  let bundles: { name: string; dir: string }[] = [];

  beforeAll(() => {
    const run = spawnSync('npx', ['cdk', 'synth', '--quiet', '--output', outdir], { cwd: path.resolve(__dirname, '..', '..'), encoding: 'utf8' });
    if (run.status !== 0) throw new Error(`cdk synth failed (${run.status}):\n${run.stderr}`);
    const template = JSON.parse(readFileSync(path.join(outdir, 'Tessera-dev-Api.template.json'), 'utf8')) as {
      Resources: Record<string, { Type: string; Properties: { Code?: { S3Key?: string } } }>;
    };
    // A function's S3 key is its asset's hash, and the staged asset directory is named after it.
    bundles = Object.entries(template.Resources)
      .filter(([, r]) => r.Type === 'AWS::Lambda::Function')
      .map(([name, r]) => ({
        name,
        dir: path.join(outdir, `asset.${String(r.Properties.Code?.S3Key).replace(/\.zip$/, '')}`),
      }));
  }, 600_000);
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  it('makes one bundle with a source map per handler', () => {
    expect(bundles).toHaveLength(FUNCTIONS.length);
    for (const { dir } of bundles) {
      expect([existsSync(path.join(dir, 'index.js')), existsSync(path.join(dir, 'index.js.map'))]).toEqual([true, true]);
    }
  });

  it('bundles the SDK clients: a bundle requires nothing but Node built-ins and the packages bundled beside it, and none carries jose (assertions are signed with node:crypto)', () => {
    const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
    // The SDK core probes for these optional SigV4a signers inside try/catch; no client used here needs them.
    const optional = new Set(['@aws-sdk/signature-v4-crt', '@aws-sdk/signature-v4a']);
    let beside = 0;
    for (const { name, dir } of bundles) {
      const code = readFileSync(path.join(dir, 'index.js'), 'utf8');
      const required = [...code.matchAll(/require\(\s*["']([^"']+)["']\s*\)/g)].map((m) => m[1] ?? '');
      const external = required.filter((m) => !builtins.has(m) && !optional.has(m));
      // The packages loaded on first use (infra/lambda/aliases.ts LAMBDA_DEFERRED) lie beside the bundle, where require() finds them.
      const deferred = external.filter((m) => LAMBDA_DEFERRED.includes(m));
      const missing = deferred.filter((m) => !existsSync(path.join(dir, 'node_modules', ...m.split('/'), 'index.js')));
      beside += deferred.length;
      // jose's error codes survive minification: their presence would show it was inlined.
      expect({ name, external: external.filter((m) => !deferred.includes(m)), missing, jose: code.includes('ERR_JOSE_GENERIC') }).toEqual({ name, external: [], missing: [], jose: false });
    }
    expect(beside).toBeGreaterThan(10);
  });

  it("takes Lambda's environment credentials, not the SDK's default chain, and no semver (infra/lambda/aliases.ts)", () => {
    for (const { name, dir } of bundles) {
      const code = readFileSync(path.join(dir, 'index.js'), 'utf8');
      // The default chain's last word, and semver's own regular expression for a prerelease.
      const carried = { chain: code.includes('Could not load credentials from any providers'), semver: code.includes('PRERELEASEIDENTIFIER') };
      expect({ name, ...carried }).toEqual({ name, chain: false, semver: false });
    }
  });

  it("takes the packages' ES modules first and validates with zod/mini, as `npm run build` does (infra/lambda/aliases.ts, shared/zod.ts)", () => {
    let withSdk = 0;
    for (const { name, dir } of bundles) {
      const { sources } = JSON.parse(readFileSync(path.join(dir, 'index.js.map'), 'utf8')) as { sources: string[] };
      const commonJs = sources.filter((source) => /node_modules\/@(aws-sdk|smithy)\/[^/]+\/dist-cjs\//.test(source));
      const classicZod = sources.filter((source) => source.includes('node_modules/zod/v4/classic/'));
      expect({ name, commonJs, classicZod }).toEqual({ name, commonJs: [], classicZod: [] });
      if (sources.some((source) => /node_modules\/@aws-sdk\/client-[a-z0-9-]+\/dist-es\//.test(source))) withSdk++;
    }
    // Every function but the OpenAPI document's builds an SDK client.
    expect(withSdk).toBe(FUNCTIONS.length - 1);
  });

  it('each bundle loads as CommonJS, passes its cold-start configuration check and exports the handler', () => {
    const env = deployedHandlerEnv();
    const probe = 'const m = require(process.argv[1]); if (typeof m.handler !== "function") process.exit(3);';
    for (const { name, dir } of bundles) {
      const run = spawnSync(process.execPath, ['--enable-source-maps', '-e', probe, path.join(dir, 'index.js')], {
        env,
        encoding: 'utf8',
      });
      expect({ name, status: run.status, stderr: run.stderr }).toEqual({ name, status: 0, stderr: '' });
    }
  });

  it('each package bundled beside a handler loads on its own, in a fresh process, and exports what the package does', () => {
    const probe = 'process.stdout.write(JSON.stringify(Object.keys(require(process.argv[1])).sort()))';
    let checked = 0;
    for (const { name, dir } of bundles) {
      for (const specifier of LAMBDA_DEFERRED) {
        const file = path.join(dir, 'node_modules', ...specifier.split('/'), 'index.js');
        if (!existsSync(file)) continue;
        const run = spawnSync(process.execPath, ['-e', probe, file], { encoding: 'utf8' });
        // eslint-disable-next-line @typescript-eslint/no-require-imports -- the package's own exports, as Node loads it from the repository
        const own = Object.keys(require(specifier) as object).sort();
        expect({ name, specifier, status: run.status, stderr: run.stderr }).toEqual({ name, specifier, status: 0, stderr: '' });
        expect(JSON.parse(run.stdout)).toEqual(expect.arrayContaining(own.filter((key) => key !== 'default' && key !== '__esModule')));
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(10);
  });
});
