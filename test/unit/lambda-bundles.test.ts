import { spawn, spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { build, type Metafile } from 'esbuild';
import { join, resolve } from 'node:path';
import { deferredImports, LAMBDA_BUILD_OPTIONS } from '../../infra/build';
import { NobleCryptoPlugin } from '@otplib/plugin-crypto-noble';
import { generateSync } from 'otplib';
import { defaultProvider } from '../../infra/lambda/credentials';
import { NodeCryptoPlugin } from '../../infra/lambda/otp-crypto';
import { deferredBundlingCommand } from '../../infra/lambda/deferred';
import { LAMBDA_ALIASES, LAMBDA_DEFERRED, lambdaEsbuildArgs } from '../../infra/lambda/aliases';
import { FUNCTIONS, type FunctionName } from '../../shared/routes';
import { deployedHandlerEnv } from '../support/aws-env';

/** Every handler bundled as `npm run build` and CDK bundle it: with the substitutions of infra/lambda/aliases.ts. */
async function bundles(): Promise<Map<FunctionName, { inputs: string[]; meta: Metafile; text: string }>> {
  const { metafile, outputFiles } = await build({
    entryPoints: Object.fromEntries(FUNCTIONS.map((name) => [name, join('functions', `${name}.ts`)])),
    ...LAMBDA_BUILD_OPTIONS,
    outdir: 'dist-test-bundles',
    write: false,
    logLevel: 'error',
  });
  const byName = new Map<FunctionName, { inputs: string[]; meta: Metafile; text: string }>();
  for (const [file, output] of Object.entries(metafile.outputs)) {
    const name = /([^/]+)\.js$/.exec(file)?.[1] as FunctionName;
    if (!file.endsWith('.js')) continue;
    const text = outputFiles.find((f) => f.path.endsWith(`/${file}`))?.text ?? '';
    byName.set(name, { inputs: Object.keys(output.inputs), meta: metafile, text });
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
  let built: Map<FunctionName, { inputs: string[]; meta: Metafile; text: string }>;
  // Bundling all handlers takes ~15 s on a quiet machine and minutes on a loaded one: a guard, not a limit.
  beforeAll(async () => {
    built = await bundles();
  }, 600_000);

  /** The inputs that put code into a handler's bundle (an import tree shaking emptied is not one), with their bytes. */
  const carriedBytes = (name: FunctionName) => {
    const output = Object.values(built.get(name)?.meta.outputs ?? {}).find((out) => out.entryPoint === `functions/${name}.ts`);
    return new Map(Object.entries(output?.inputs ?? {}).flatMap(([input, { bytesInOutput }]) => (bytesInOutput > 0 ? [[input, bytesInOutput] as const] : [])));
  };
  const carried = (name: FunctionName) => [...carriedBytes(name).keys()];

  /** The handlers whose bundle carries `module` (a repository path), sorted. */
  const withModule = (module: string) => [...built].filter(([, { inputs }]) => inputs.includes(module)).map(([name]) => name).sort();

  /** The handlers whose code loads the deferred package `specifier`, each with the bundled files that import it. */
  function deferredUsers(specifier: string): Record<string, string[]> {
    const users: Record<string, string[]> = {};
    for (const [name, { inputs, meta, text }] of [...built].sort(([a], [b]) => a.localeCompare(b))) {
      if (deferredImports(text).includes(specifier)) users[name] = importersOf(meta, inputs, specifier).sort();
    }
    return users;
  }

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

  it("bundles the SDK's ES modules, which tree-shake, not its CommonJS builds", () => {
    const commonJs = /node_modules\/@(aws-sdk|smithy)\/[^/]+\/dist-cjs\//;
    for (const [name, { inputs }] of built) {
      expect({ name, commonJs: inputs.filter((input) => commonJs.test(input)) }).toEqual({ name, commonJs: [] });
    }
    // And the ES modules are what they carry instead (every handler but the OpenAPI document's builds a client).
    const withEsm = [...built].filter(([, { inputs }]) => inputs.some((input) => /node_modules\/@aws-sdk\/client-[a-z0-9-]+\/dist-es\//.test(input)));
    expect(withEsm.length).toBe(FUNCTIONS.length - 1);
  });

  it('carries of the X-Ray SDK only what Powertools Tracer calls: no sampling pollers, plugins, SDK v2 or HTTP patcher, no semver', () => {
    const unused = /node_modules\/(aws-xray-sdk-core\/dist\/lib\/(middleware|segments\/plugins|database|env|patchers\/(aws_p|promise_p|http_p))\/?|semver\/)/;
    for (const [name, { inputs, meta }] of built) {
      expect({ name, unused: inputs.filter((input) => unused.test(input)) }).toEqual({ name, unused: [] });
      // Every handler is traced, so every bundle holds the substitute, and only Tracer imports it.
      expect(inputs).toContain('infra/lambda/xray.ts');
      const importers = importersOf(meta, inputs, 'infra/lambda/xray.ts');
      expect(importers.length).toBeGreaterThan(0);
      for (const importer of importers) expect(importer).toMatch(/node_modules\/@aws-lambda-powertools\/tracer\//);
    }
  });

  it("carries no bowser: its one importer is the SDK's browser user-agent provider, which a Node client never runs", () => {
    for (const [name, { inputs, meta }] of built) {
      expect({ name, bowser: inputs.filter((input) => /node_modules\/bowser\//.test(input)) }).toEqual({ name, bowser: [] });
      for (const importer of importersOf(meta, inputs, 'infra/lambda/bowser.ts')) {
        expect(importer).toMatch(/node_modules\/@aws-sdk\/core\/.*\/util-user-agent-browser\/createUserAgentStringParsingProvider\.js$/);
      }
    }
  });

  it('leaves the packages of some paths out of every bundle, and imports them only with a dynamic import(), on the path that needs them', () => {
    // The packages themselves and what only they import (their node_modules directories).
    const deferredCode = /node_modules\/(@simplewebauthn\/server|@peculiar\/|asn1js|tsyringe|reflect-metadata|@levischuck\/tiny-cbor|libphonenumber-js|qrcode|pngjs|csv-parse|fast-xml-parser|is-unsafe|strnum)\//;
    let imported = 0;
    for (const [name, { inputs, meta }] of built) {
      expect({ name, carried: inputs.filter((input) => deferredCode.test(input)) }).toEqual({ name, carried: [] });
      for (const input of inputs) {
        for (const { path, kind, external } of meta.inputs[input]?.imports ?? []) {
          if (!LAMBDA_DEFERRED.includes(path)) continue;
          imported++;
          // A static import would load it at every cold start, and bundling it beside would gain nothing.
          expect({ name, input, path, kind, external }).toEqual({ name, input, path, kind: 'dynamic-import', external: true });
        }
      }
    }
    expect(imported).toBeGreaterThan(10);
  });

  it('loads the QR and PNG encoders only in the enrolment handlers', () => {
    // A relying app's authenticator enrolment (issue 16) too.
    expect(deferredUsers('qrcode')).toEqual({
      'admin-authenticator': ['shared/domain/otp/otpauth.ts'],
      'admin-push-activations': ['shared/domain/otp/otpauth.ts'],
      'method-registrations': ['shared/domain/otp/otpauth.ts'],
    });
  });

  it('loads the phone-number library (its metadata is ~190 KiB) only in the handlers that parse numbers', () => {
    // Users' phones (R30, from the console or a relying app), the tenant's callerId setting and the operator's caller IDs (R15); a job's
    // batches parse numbers (a job's last step imports no rows, and its export writes E.164 as stored).
    const users = deferredUsers('libphonenumber-js/max');
    expect(Object.keys(users)).toEqual(['admin-settings', 'admin-users', 'admin-users-import', 'job-batch', 'method-registrations', 'operator-tenants']);
    for (const importers of Object.values(users)) expect(importers).toEqual(['shared/domain/phone.ts']);
  });

  it('loads the XML parser only where a PSKC file of tokens may be read, and the CSV parser only where a file is imported', () => {
    // The console's token import reads PSKC (R22); a job's batches import through the same token service.
    expect(Object.keys(deferredUsers('fast-xml-parser'))).toEqual(['admin-oath-tokens', 'job-batch']);
    // Starting a job checks only a CSV header, so admin-jobs loads the CSV parser alone; a job's last step reads none.
    expect(Object.keys(deferredUsers('csv-parse/sync'))).toEqual(['admin-jobs', 'admin-oath-tokens', 'admin-users-import', 'job-batch']);
  });

  it('loads the WebAuthn library (with its CBOR, COSE and X.509/ASN.1 parsers) only where a passkey is verified or registered, through its adapter', () => {
    // Starting a passkey challenge, its status, resends, the factor registry's `registered()` (users, recovery) need none of it.
    const adapter = ['shared/adapters/webauthn/simplewebauthn.ts'];
    expect(deferredUsers('@simplewebauthn/server')).toEqual({ 'admin-passkeys': adapter, 'passkey-registrations': adapter, 'verify-challenge': adapter });
    // Its helpers only where a registration's attestation chain is checked.
    expect(deferredUsers('@simplewebauthn/server/helpers')).toEqual({ 'admin-passkeys': adapter, 'passkey-registrations': adapter });
  });

  it('signs assertions with node:crypto: no bundle carries jose', () => {
    for (const [name, { inputs }] of built) expect({ name, jose: inputs.filter((input) => /node_modules\/jose\//.test(input)) }).toEqual({ name, jose: [] });
    // The handlers that sign or publish keys still bundle the signer.
    for (const name of ['verify-challenge', 'get-challenge', 'jwks'] as const) expect(built.get(name)?.inputs).toContain('shared/domain/assertions.ts');
  });

  it("computes OTP codes with node:crypto: no bundle carries @noble/hashes, and only otplib imports the substitute", () => {
    const withOtp = [...built].filter(([, { inputs }]) => inputs.includes('infra/lambda/otp-crypto.ts'));
    expect(withOtp.map(([name]) => name)).toContain('verify-challenge');
    for (const [name, { inputs, meta }] of built) {
      expect({ name, noble: inputs.filter((input) => /node_modules\/@noble\/hashes\//.test(input)) }).toEqual({ name, noble: [] });
      for (const importer of importersOf(meta, inputs, 'infra/lambda/otp-crypto.ts')) expect(importer).toMatch(/node_modules\/otplib\//);
    }
  });

  it("builds only its own routes' request schemas (one table per function, one schema module per area) and carries no route table", () => {
    /** The project files and packages that put code into the bundle (an import tree shaking emptied is not one). */
    const schemaModules = (name: FunctionName) =>
      carried(name)
        .filter((input) => input.startsWith('shared/schemas/'))
        .map((input) => input.replace('shared/schemas/', ''))
        .sort();
    // Its path parameter only: no body, no other route's shapes.
    expect(schemaModules('get-challenge')).toEqual(['common.ts', 'routes.ts']);
    expect(schemaModules('create-challenge')).toEqual(['challenges.ts', 'common.ts', 'routes.ts']);
    // A passkey's assertion, a recovery code or an access pass may answer a challenge; the passkey policy is the settings handler's.
    expect(schemaModules('verify-challenge')).toEqual(['answers.ts', 'common.ts', 'passkeys.ts', 'recovery.ts', 'routes.ts']);
    expect(schemaModules('admin-settings')).toEqual(['passkey-policy.ts', 'phone.ts', 'routes.ts', 'settings.ts']);
    expect(schemaModules('admin-logs')).toEqual(['common.ts', 'logs.ts', 'routes.ts']);
    // A function without inputs builds no request schema at all (its table is an empty entry).
    expect(schemaModules('jwks')).toEqual(['routes.ts']);
    // The wrapper reads FUNCTION_ACCESS, not ROUTES (about 8 KiB minified): no bundle carries the table's lines.
    for (const name of built.keys()) {
      const routesModule = carriedBytes(name).get('shared/routes.ts') ?? 0;
      expect({ name, routeTable: routesModule > 4096 }).toEqual({ name, routeTable: false });
    }
  });

  it("reads a challenge's status on a path of its own, and chooses methods without building any factor", () => {
    // The status read: no challenge service, push service, code checking, registration or notification.
    const status = carried('get-challenge');
    expect(status).toEqual(expect.arrayContaining(['shared/domain/challenge-status.ts', 'shared/domain/push-settlement.ts']));
    const notOnStatus = /^shared\/(domain\/(challenges|push-devices|registration|notifications|otp\/[^/]+)|adapters\/webhook\/[^/]+)\.ts$/;
    expect(status.filter((input) => notOnStatus.test(input))).toEqual([]);
    // Each factor's module is built in its own function, which only the challenge service's paths
    // reach: a module is in a bundle when a message only its code says is (its definition and
    // status parts say none of them). App and token codes share one module (read-code).
    const MODULE_MARKERS: Record<string, string> = {
      sms: 'The text message could not be delivered',
      voice: 'A voice challenge cannot be resent',
      push: 'A push cannot be resent',
      passkey: 'This passkey is not one this challenge accepts',
      recovery: 'This recovery code was already used',
      tap: 'This one-time access pass was already used',
      'app/oath': 'the user reads the code from their app or token',
    };
    const factorModules = (name: FunctionName) => {
      const text = built.get(name)?.text ?? '';
      expect(text.length).toBeGreaterThan(0);
      return Object.entries(MODULE_MARKERS)
        .filter(([, marker]) => text.includes(marker))
        .map(([factor]) => factor);
    };
    // Starting and resending check no answer, raise no alert and sign nothing (only verification does); a resend sends only texts (R3).
    const verificationOnly = /^shared\/(domain\/(otp\/checker|assertions|notifications)|adapters\/webhook\/[^/]+)\.ts$/;
    for (const name of ['create-challenge', 'resend-challenge'] as const) {
      expect({ name, carried: carried(name).filter((input) => verificationOnly.test(input)) }).toEqual({ name, carried: [] });
    }
    expect(carried('verify-challenge').filter((input) => verificationOnly.test(input)).length).toBeGreaterThanOrEqual(4);
    // A verify builds the verifier alone: nothing of how a challenge is started or resent (idempotency, delivery, send throttling).
    expect(carried('verify-challenge')).toContain('shared/domain/challenge-verifier.ts');
    expect(carried('verify-challenge')).not.toContain('shared/domain/challenges.ts');
    // And starting or resending one checks no answer: the verifier is not in their bundles.
    for (const name of ['create-challenge', 'resend-challenge'] as const) {
      const lifecycle = carried(name).filter((input) => /^shared\/domain\/challenge(s|-verifier)\.ts$/.test(input));
      expect({ name, lifecycle }).toEqual({ name, lifecycle: ['shared/domain/challenges.ts'] });
    }
    expect(carried('resend-challenge').filter((input) => /^shared\/(domain\/push-devices|adapters\/dynamo\/push-store)\.ts$/.test(input))).toEqual([]);
    expect(factorModules('create-challenge')).toEqual(Object.keys(MODULE_MARKERS));
    expect(factorModules('verify-challenge')).toEqual(Object.keys(MODULE_MARKERS));
    for (const name of ['get-challenge', 'recovery-codes', 'admin-recovery', 'admin-users'] as const) expect({ name, modules: factorModules(name) }).toEqual({ name, modules: [] });
  });

  it("validates with zod/mini: no bundle carries classic zod, and every bundle with zod carries its English messages", () => {
    const withZod: FunctionName[] = [];
    for (const [name, { inputs }] of built) {
      // Classic's method chains keep every method (and the JSON Schema converter) in the bundle.
      expect({ name, classic: inputs.filter((input) => /node_modules\/zod\/v4\/classic\//.test(input)) }).toEqual({ name, classic: [] });
      if (!inputs.some((input) => /node_modules\/zod\//.test(input))) continue;
      withZod.push(name);
      // Mini installs no locale: shared/zod.ts installs the English one, so the problems read as classic's did.
      const bytes = carriedBytes(name);
      const en = [...bytes].filter(([input, size]) => /node_modules\/zod\/v4\/locales\/en\.js$/.test(input) && size > 0);
      expect({ name, en: en.length, installer: (bytes.get('shared/zod.ts') ?? 0) > 0 }).toEqual({ name, en: 1, installer: true });
      // Only English: mini names every locale, and tree shaking leaves each other one out.
      const others = [...bytes].filter(([input, size]) => /node_modules\/zod\/v4\/locales\/(?!en\.js$)/.test(input) && size > 0);
      expect({ name, locales: others.map(([input]) => input) }).toEqual({ name, locales: [] });
    }
    expect(withZod.length).toBeGreaterThan(30);
  });

  it('builds no schema its handler never parses: the answers only the document describes, the job events only the job steps read, and no token schema but the serial in the job handlers', () => {
    expect(withModule('shared/schemas/job-answers.ts')).toEqual([]);
    expect(withModule('shared/schemas/job-events.ts')).toEqual(['job-batch', 'job-complete']);
    // The route inputs of the job routes, which the job steps do not parse, and the token schemas, of which admin-jobs checks only the serial.
    expect(withModule('shared/schemas/jobs.ts')).toEqual(['admin-jobs']);
    expect(withModule('shared/schemas/otp.ts').filter((name) => name.startsWith('job') || name === 'admin-jobs')).toEqual([]);
    expect(withModule('shared/schemas/oath-serial.ts')).toEqual(expect.arrayContaining(['admin-jobs', 'admin-oath-tokens', 'job-batch']));
  });

  it("builds for a job's last step its JobCompleter alone, not the batches' worker with its user and token services", () => {
    expect(withModule('shared/domain/jobs/worker.ts')).toEqual(['job-batch']);
    expect(withModule('shared/domain/jobs/completer.ts')).toEqual(['job-batch', 'job-complete']);
    expect(withModule('shared/domain/otp/oath-tokens.ts')).not.toContain('job-complete');
  });

  it("writes the admins' notifications apart from the auth log: a user import's batches build no audit lines, counters or metrics", () => {
    const notifying = [...built.keys()].filter((name) => carried(name).includes('shared/adapters/dynamo/notification-store.ts'));
    expect(notifying).toEqual(expect.arrayContaining(['admin-logs', 'admin-users', 'job-batch']));
    // A batch builds the user service (whose block and unblock notify) but writes no auth-log line: none of the store that commits them, nor what counts them as metrics.
    const auditing = /^(shared\/(adapters\/dynamo\/log-store|adapters\/metrics\/emf-metrics|domain\/metrics)\.ts|node_modules\/@aws-lambda-powertools\/metrics\/.*)$/;
    expect(carried('job-batch').filter((input) => auditing.test(input))).toEqual([]);
    // Where audit lines are written, all of it is there (so the pattern names real files).
    const auditingFiles = ['shared/adapters/dynamo/log-store.ts', 'shared/adapters/metrics/emf-metrics.ts', 'shared/domain/metrics.ts'];
    expect(carried('verify-challenge').filter((input) => auditing.test(input))).toEqual(expect.arrayContaining(auditingFiles));
    expect(carried('verify-challenge').some((input) => input.startsWith('node_modules/@aws-lambda-powertools/metrics/'))).toBe(true);
  });

  it('serves the OpenAPI document generated at build time, compressed: the openapi bundle carries no zod and not the JSON file', () => {
    const { inputs } = built.get('openapi') ?? { inputs: [] };
    expect(inputs).toContain('shared/api/openapi-gzip.ts');
    expect(inputs).not.toContain('shared/api/openapi.json');
    expect(inputs.filter((input) => /node_modules\/zod\//.test(input))).toEqual([]);
  });

  it('passes CDK the same substitutions and the same dynamic-import rule as esbuild flags', () => {
    expect(lambdaEsbuildArgs()).toEqual({
      '--alias:@aws-sdk/credential-provider-node': './infra/lambda/credentials.ts',
      '--alias:aws-xray-sdk-core': './infra/lambda/xray.ts',
      '--alias:bowser': './infra/lambda/bowser.ts',
      '--alias:@otplib/plugin-crypto-noble': './infra/lambda/otp-crypto.ts',
      '--supported:dynamic-import': 'false',
    });
  });

  it("runs CDK's after-bundling step as a command the shell reads back word for word", () => {
    const dir = join(tmpdir(), "an asset's dir", '$HOME `x` "y"');
    const run = spawnSync('bash', ['-c', `printf '%s\\n' ${deferredBundlingCommand(dir)}`], { encoding: 'utf8' });
    expect(run.stdout.split('\n').slice(0, -1)).toEqual([process.execPath, '--import', 'tsx', 'infra/lambda/deferred.ts', dir]);
  });
});

describe("Lambda bundles' OTP crypto plugin (node:crypto in place of @noble/hashes)", () => {
  const node = new NodeCryptoPlugin();
  const ascii = (text: string) => new TextEncoder().encode(text);

  it('gives the RFC 4226 Appendix D HOTP values', () => {
    const secret = ascii('12345678901234567890');
    const codes = Array.from({ length: 10 }, (_, counter) => generateSync({ strategy: 'hotp', secret, counter, crypto: node }));
    expect(codes).toEqual(['755224', '287082', '359152', '969429', '338314', '254676', '287922', '162583', '399871', '520489']);
  });

  it('gives the RFC 6238 Appendix B TOTP values for SHA-1, SHA-256 and SHA-512', () => {
    const secrets = { sha1: '12345678901234567890', sha256: '12345678901234567890123456789012', sha512: '1234567890123456789012345678901234567890123456789012345678901234' };
    const expected: Record<number, [string, string, string]> = {
      59: ['94287082', '46119246', '90693936'],
      1111111109: ['07081804', '68084774', '25091201'],
      1111111111: ['14050471', '67062674', '99943326'],
      1234567890: ['89005924', '91819424', '93441116'],
      2000000000: ['69279037', '90698825', '38618901'],
      20000000000: ['65353130', '77737706', '47863826'],
    };
    for (const [epoch, codes] of Object.entries(expected)) {
      const got = (['sha1', 'sha256', 'sha512'] as const).map((algorithm) =>
        generateSync({ strategy: 'totp', secret: ascii(secrets[algorithm]), epoch: Number(epoch), digits: 8, algorithm, crypto: node }),
      );
      expect({ epoch, got }).toEqual({ epoch, got: codes });
    }
  });

  it("answers as the noble plugin does: the same HMACs, the same algorithm names, the same refusal", () => {
    const noble = new NobleCryptoPlugin();
    const key = new Uint8Array(64).map((_, i) => (i * 37) % 256);
    const data = new Uint8Array([0, 0, 0, 0, 0, 0, 0, 42]);
    for (const algorithm of ['sha1', 'sha256', 'sha512', 'SHA-1', 'SHA256', 'Sha_512'] as const) {
      expect(Buffer.from(node.hmac(algorithm as 'sha1', key, data)).toString('hex')).toBe(Buffer.from(noble.hmac(algorithm as 'sha1', key, data)).toString('hex'));
    }
    expect(() => node.hmac('md5' as 'sha1', key, data)).toThrow(/^Unsupported hash algorithm\. Expected one of: sha1, sha256, sha512 \[plugin: node\]$/);
    expect(() => noble.hmac('md5' as 'sha1', key, data)).toThrow(/^Unsupported hash algorithm\. Expected one of: sha1, sha256, sha512 \[plugin: noble\]$/);
    expect([node.randomBytes(20).length, node.constantTimeEqual('123456', '123456'), node.constantTimeEqual('123456', '123457')]).toEqual([20, true, false]);
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

/** A segment document as the X-Ray daemon receives it. */
interface TraceDocument {
  readonly id: string;
  readonly name: string;
  readonly parent_id: string;
  readonly trace_id: string;
  readonly [field: string]: unknown;
}

describe("a bundled handler's X-Ray trace, with the substitute of infra/lambda/xray.ts", () => {
  const TRACE_ID = '1-5759e988-bd862e3fe1be46a994272793';
  const LAMBDA_PARENT = '53995c3f42cd8ad8';
  const dir = mkdtempSync(join(tmpdir(), 'tessera-xray-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** jwks bundled with the given substitutions, invoked once in a Lambda-like process: what the daemon address receives. */
  async function traceOf(alias: Record<string, string>, folder: string, deadPort: number): Promise<TraceDocument[]> {
    const outfile = join(dir, folder, 'index.js');
    await build({ ...LAMBDA_BUILD_OPTIONS, alias, entryPoints: [join('functions', 'jwks.ts')], outfile, logLevel: 'error' });
    const daemon = createSocket('udp4');
    await new Promise<void>((done) => daemon.bind(0, '127.0.0.1', done));
    const received: TraceDocument[] = [];
    daemon.on('message', (message) => {
      const [header, body] = message.toString('utf8').split('\n');
      expect(JSON.parse(header ?? '')).toEqual({ format: 'json', version: 1 });
      received.push(JSON.parse(body ?? '') as TraceDocument);
    });
    const event = {
      version: '2.0',
      routeKey: 'GET /.well-known/jwks.json',
      rawPath: '/.well-known/jwks.json',
      rawQueryString: '',
      headers: {},
      requestContext: { http: { method: 'GET', path: '/.well-known/jwks.json', sourceIp: '203.0.113.9' }, requestId: 'api-request-1' },
      isBase64Encoded: false,
    };
    const invoke = `require(process.argv[1]).handler(${JSON.stringify(event)}, { awsRequestId: 'request-1', functionName: 'tessera-jwks' }).then((r) => process.stdout.write(String(r.statusCode)));`;
    const child = spawn(process.execPath, ['-e', invoke, outfile], {
      env: {
        ...deployedHandlerEnv(),
        LAMBDA_TASK_ROOT: dir,
        AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
        AWS_LAMBDA_FUNCTION_NAME: 'tessera-jwks',
        _HANDLER: 'index.handler',
        _X_AMZN_TRACE_ID: `Root=${TRACE_ID};Parent=${LAMBDA_PARENT};Sampled=1`,
        AWS_XRAY_DAEMON_ADDRESS: `127.0.0.1:${daemon.address().port}`,
        AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE',
        AWS_SECRET_ACCESS_KEY: 'example-secret',
        AWS_ENDPOINT_URL_DYNAMODB: `http://127.0.0.1:${deadPort}`,
        POWERTOOLS_LOG_LEVEL: 'ERROR',
      },
    });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    const status = await new Promise<number | null>((done) => child.on('close', done));
    // The two documents are sent before the process ends; give the datagrams a moment to be read.
    for (let wait = 0; received.length < 2 && wait < 50; wait++) await new Promise((done) => setTimeout(done, 20));
    daemon.close();
    // The handler answered: a backing service that is down is a 503 (not a crash).
    expect({ status, stdout }).toEqual({ status: 0, stdout: '503' });
    return received;
  }

  /** A document without what differs from one run to the next (ids, times, the working directory). */
  function comparable({ id: _id, parent_id: _parent, start_time: _start, end_time: _end, cause, ...rest }: TraceDocument): Record<string, unknown> {
    const exceptions = (cause as { exceptions?: { id?: string }[] } | undefined)?.exceptions?.map(({ id: _exception, ...exception }) => exception);
    return { ...rest, ...(exceptions ? { exceptions } : {}) };
  }

  it("sends the handler's subsegment and the SDK call's under it, as the whole X-Ray SDK does", async () => {
    // DynamoDB at a port nothing listens on: the call fails, and its subsegment records the fault.
    const closed = createServer();
    await new Promise<void>((done) => closed.listen(0, '127.0.0.1', done));
    const { port: deadPort } = closed.address() as { port: number };
    await new Promise((done) => closed.close(done));
    const substitute = await traceOf({ ...LAMBDA_ALIASES }, 'substitute', deadPort);
    const { 'aws-xray-sdk-core': _xray, ...withoutSubstitute } = LAMBDA_ALIASES;
    const whole = await traceOf(withoutSubstitute, 'whole', deadPort);

    const byName = (docs: TraceDocument[], name: string) => docs.find((doc) => doc.name === name);
    const handler = byName(substitute, '## index.handler');
    const call = byName(substitute, 'DynamoDB');
    expect(substitute).toHaveLength(2);
    // The invocation's subsegment hangs under the segment Lambda opened (the trace header's parent)…
    expect(handler).toMatchObject({ type: 'subsegment', trace_id: TRACE_ID, parent_id: LAMBDA_PARENT, annotations: { Service: 'tessera' } });
    // …and the AWS SDK v3 call under it, with the operation, the table and the fault.
    expect(call).toMatchObject({ type: 'subsegment', trace_id: TRACE_ID, parent_id: handler?.id, namespace: 'aws', fault: true });
    expect(call?.aws).toMatchObject({ operation: 'Query', region: 'us-east-1', table_name: expect.stringMatching(/^tessera-/) });
    // Field for field what the whole SDK sends, ids and times aside.
    const sorted = (docs: TraceDocument[]) => docs.map(comparable).sort((a, b) => String(a.name).localeCompare(String(b.name)));
    expect(sorted(substitute)).toEqual(sorted(whole));
    expect(byName(whole, '## index.handler')?.parent_id).toBe(LAMBDA_PARENT);
  }, 60_000);
});
