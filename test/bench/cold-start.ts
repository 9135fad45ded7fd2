/**
 * Cold starts measured against their floor. For each handler: its minified bundle (as deployed)
 * and the time Node takes to load it (module initialisation, a fresh process each time), next to
 * the same two figures for a "floor" bundle that only builds the AWS SDK clients that handler
 * really uses (read from the esbuild metafile). What a handler carries above its floor is ours to
 * cut; the SDK clients themselves are not. Handlers are bundled with the package substitutions
 * they deploy with (infra/lambda/aliases.ts); the floor is the SDK clients as the SDK ships them.
 * The packages a handler loads only on the paths that need them (LAMBDA_DEFERRED there) are not in
 * its bundle and not loaded at its cold start: they are reported beside it, with what loading each
 * costs the first request of a container that takes such a path. `npm run bench:cold` runs this alone (bench-cold.ts).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build, type Metafile } from 'esbuild';
import { BUNDLE_OPTIONS, bundleDeferred, LAMBDA_BUILD_OPTIONS } from '../../infra/build';
import { FUNCTIONS, type FunctionName } from '../../shared/routes';
import { deployedHandlerEnv } from '../support/aws-env';

/** The client class each SDK package exports; a floor builds one of each a handler bundles. */
const SDK_CLIENTS: Record<string, string> = {
  'client-dynamodb': 'DynamoDBClient',
  'client-kms': 'KMSClient',
  'client-sns': 'SNSClient',
  'client-sfn': 'SFNClient',
  'client-s3': 'S3Client',
  'client-pinpoint': 'PinpointClient',
  'client-pinpoint-sms-voice-v2': 'PinpointSMSVoiceV2Client',
  'client-chime-sdk-voice': 'ChimeSDKVoiceClient',
  'client-dynamodb-streams': 'DynamoDBStreamsClient',
  'client-sqs': 'SQSClient',
  'client-lambda': 'LambdaClient',
};

/** Targets of the architecture issue: what a handler may carry above its floor. */
export const COLD_START_TARGETS = { extraKiB: 150, extraInitMs: 30 };

export interface ColdStart {
  readonly name: FunctionName;
  readonly clients: readonly string[];
  readonly kib: number;
  readonly floorKib: number;
  readonly initMs: number;
  readonly floorInitMs: number;
  /** The median of each round's handler load minus the floor load beside it: what the handler adds. */
  readonly extraInitMs: number;
  readonly runs: number;
  /** The largest inputs above the floor: where the extra bytes go. */
  readonly heaviest: readonly { readonly path: string; readonly kib: number }[];
  /** The packages bundled beside it, loaded on the first request that needs them. */
  readonly deferred: readonly DeferredLoad[];
}

export interface DeferredLoad {
  /** The package's specifiers it answers, joined with ' + '. */
  readonly specifier: string;
  readonly kib: number;
  /** The median of fresh processes' time to require it: what the first request on its path adds. */
  readonly loadMs: number;
}

const kib = (bytes: number) => Math.round(bytes / 102.4) / 10;

/** One fresh process's time to require the bundle, in ms. */
function loadMs(file: string): number {
  const probe = 'const t = performance.now(); require(process.argv[1]); process.stdout.write(String(performance.now() - t));';
  const run = spawnSync(process.execPath, ['-e', probe, file], { env: deployedHandlerEnv(), encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`${file} did not load: ${run.stderr}`);
  return Number(run.stdout);
}

const median = (times: number[]) => {
  const sorted = [...times].sort((a, b) => a - b);
  return Math.round((sorted[Math.floor(sorted.length / 2)] ?? 0) * 10) / 10;
};

/**
 * Medians of `runs` fresh processes' time to require the handler's bundle and its floor's, in ms.
 * The two are loaded in turn, so that both see the same load of a shared machine; what the handler
 * adds is the median of those pairs' differences, which a load that comes and goes moves less than
 * the difference of the two medians.
 */
function initMs(file: string, floorFile: string, runs: number): { handler: number; floor: number; extra: number } {
  const handler: number[] = [];
  const floor: number[] = [];
  for (let i = 0; i < runs; i++) {
    handler.push(loadMs(file));
    floor.push(loadMs(floorFile));
  }
  return { handler: median(handler), floor: median(floor), extra: median(handler.map((ms, i) => ms - (floor[i] ?? 0))) };
}

/** The SDK clients whose code is in the bundle (an imported client that tree shaking left out is not). */
function clientsOf(meta: Metafile): string[] {
  const found = new Set<string>();
  const inOutput = Object.values(meta.outputs).flatMap((output) => Object.entries(output.inputs));
  for (const [input, { bytesInOutput }] of inOutput) {
    if (bytesInOutput === 0) continue;
    const pkg = /node_modules\/@aws-sdk\/(client-[a-z0-9-]+)\//.exec(input)?.[1];
    if (pkg && SDK_CLIENTS[pkg]) found.add(pkg);
  }
  return [...found].sort();
}

/** The package (or project folder) an input belongs to: where bytes are counted. */
function packageOf(input: string): string {
  const inModules = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input);
  return inModules?.[1] ?? input.split('/').slice(0, 2).join('/');
}

/** Packages in the handler's bundle beyond what its floor holds, largest first: where the extra bytes go. */
function heaviest(meta: Metafile, output: string, floor: Metafile, floorOutput: string): { path: string; kib: number }[] {
  const inFloor = new Set(Object.keys(floor.outputs[floorOutput]?.inputs ?? {}));
  const bytes = new Map<string, number>();
  for (const [input, { bytesInOutput }] of Object.entries(meta.outputs[output]?.inputs ?? {})) {
    if (inFloor.has(input)) continue;
    bytes.set(packageOf(input), (bytes.get(packageOf(input)) ?? 0) + bytesInOutput);
  }
  return [...bytes]
    .map(([path, n]) => ({ path, kib: kib(n) }))
    .sort((a, b) => b.kib - a.kib)
    .slice(0, 8);
}

export async function measureColdStarts(options: { runs?: number; only?: readonly FunctionName[] } = {}): Promise<ColdStart[]> {
  const runs = options.runs ?? 7;
  const dir = mkdtempSync(join(tmpdir(), 'tessera-cold-'));
  const results: ColdStart[] = [];
  // A deferred package's bundle is the same beside every handler: measured once.
  const deferredLoads = new Map<string, DeferredLoad>();
  try {
    for (const name of options.only ?? FUNCTIONS) {
      mkdirSync(join(dir, name));
      const outfile = join(dir, name, 'index.js');
      const { metafile } = await build({ ...LAMBDA_BUILD_OPTIONS, entryPoints: [resolve('functions', `${name}.ts`)], outfile });
      const deferred: DeferredLoad[] = [];
      for (const { specifiers, file, bytes } of await bundleDeferred(outfile)) {
        const specifier = specifiers.join(' + ');
        if (!deferredLoads.has(specifier)) deferredLoads.set(specifier, { specifier, kib: kib(bytes), loadMs: median(Array.from({ length: runs }, () => loadMs(file))) });
        deferred.push(deferredLoads.get(specifier) as DeferredLoad);
      }
      const clients = clientsOf(metafile);
      const floorEntry = join(dir, name, 'floor.ts');
      writeFileSync(
        floorEntry,
        [
          ...clients.map((pkg) => `import { ${SDK_CLIENTS[pkg]} } from '@aws-sdk/${pkg}';`),
          `export const clients = [${clients.map((pkg) => `new ${SDK_CLIENTS[pkg]}({})`).join(', ')}];`,
          'export const handler = async () => clients.length;',
        ].join('\n'),
      );
      const floorFile = join(dir, name, 'floor.js');
      const floor = await build({ ...BUNDLE_OPTIONS, entryPoints: [floorEntry], outfile: floorFile, nodePaths: [resolve('node_modules')] });
      const output = Object.keys(metafile.outputs)[0] ?? '';
      const floorOutput = Object.keys(floor.metafile.outputs)[0] ?? '';
      const init = initMs(outfile, floorFile, runs);
      results.push({
        name,
        clients,
        kib: kib(statSync(outfile).size),
        floorKib: kib(statSync(floorFile).size),
        initMs: init.handler,
        floorInitMs: init.floor,
        extraInitMs: init.extra,
        runs,
        heaviest: heaviest(metafile, output, floor.metafile, floorOutput),
        deferred,
      });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return results;
}

export function printColdStarts(results: readonly ColdStart[]): void {
  const { extraKiB, extraInitMs } = COLD_START_TARGETS;
  console.log(`  cold starts against their floor (the SDK clients each handler uses; target ≤ +${extraKiB} KiB and ≤ +${extraInitMs} ms; init is the median of ${results[0]?.runs ?? 0} fresh processes, +ms the median of the differences of handler and floor loaded in turn):`);
  console.log(`    ${'handler'.padEnd(24)} ${'KiB'.padStart(7)} ${'floor'.padStart(7)} ${'+KiB'.padStart(7)} ${'init ms'.padStart(8)} ${'floor'.padStart(7)} ${'+ms'.padStart(6)} ${'later'.padStart(7)}  clients`);
  for (const r of results) {
    const later = Math.round(r.deferred.reduce((sum, d) => sum + d.kib, 0) * 10) / 10;
    const cells = [r.kib, r.floorKib, Math.round((r.kib - r.floorKib) * 10) / 10, r.initMs, r.floorInitMs, r.extraInitMs, later || '-'];
    const widths = [7, 7, 7, 8, 7, 6, 7];
    console.log(`    ${r.name.padEnd(24)} ${cells.map((c, i) => String(c).padStart(widths[i] ?? 7)).join(' ')}  ${r.clients.map((c) => c.replace('client-', '')).join(', ')}`);
  }
  const overBytes = results.filter((r) => r.kib - r.floorKib > extraKiB);
  const overInit = results.filter((r) => r.extraInitMs > extraInitMs);
  const within = results.filter((r) => !overBytes.includes(r) && !overInit.includes(r)).length;
  const over = [...overBytes.map((r) => `${r.name} +${Math.round((r.kib - r.floorKib) * 10) / 10} KiB`), ...overInit.map((r) => `${r.name} +${r.extraInitMs} ms`)];
  console.log(`  within both targets: ${within} of ${results.length} (+KiB: ${results.length - overBytes.length}, +ms: ${results.length - overInit.length}); over: ${over.length > 0 ? over.join(', ') : 'none'}`);
  const deferred = new Map(results.flatMap((r) => r.deferred.map((d) => [d.specifier, d] as const)));
  if (deferred.size === 0) return;
  console.log('  "later": KiB bundled beside the handler and loaded on the first request that needs it (infra/lambda/aliases.ts LAMBDA_DEFERRED); what each adds to that request:');
  for (const d of deferred.values()) {
    const users = results.filter((r) => r.deferred.some((e) => e.specifier === d.specifier)).map((r) => r.name);
    console.log(`    ${d.specifier.padEnd(32)} ${String(d.kib).padStart(7)} KiB ${String(d.loadMs).padStart(7)} ms  ${users.join(', ')}`);
  }
}
