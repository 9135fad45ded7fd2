/**
 * `npm run build`: bundles every Lambda entry point the way it is deployed (esbuild, minified,
 * Node 24, arm64 needs nothing special for pure JS) into dist/<function>/index.js, with the
 * packages it loads only on some paths beside it (dist/<function>/node_modules/…), and reports
 * each bundle's size. The benchmark reuses it to report bundle bytes. Every bundle gets the
 * package substitutions of infra/lambda/aliases.ts, as CDK's bundling does.
 */
import { build, type BuildOptions, type Metafile } from 'esbuild';
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { FUNCTIONS, type FunctionName } from '../shared/routes';
import { LAMBDA_ALIASES, LAMBDA_DEFERRED, LAMBDA_MAIN_FIELDS, LAMBDA_SUPPORTED } from './lambda/aliases';

/** How every Lambda entry point is bundled, and the benchmark's floors with it. */
export const BUNDLE_OPTIONS = {
  bundle: true,
  minify: true,
  platform: 'node',
  target: 'node24',
  format: 'cjs',
  // The packages' ES modules first, as CDK's bundling is told too (infra/lambda/aliases.ts).
  mainFields: [...LAMBDA_MAIN_FIELDS],
  sourcemap: false,
  legalComments: 'none',
  logLevel: 'warning',
  metafile: true,
} as const satisfies BuildOptions;

/** The options a deferred package's own bundle is built with: the substitutions, and nothing left out of it. */
const DEFERRED_BUILD_OPTIONS = { ...BUNDLE_OPTIONS, alias: LAMBDA_ALIASES } as const satisfies BuildOptions;

/**
 * The same, with the package substitutions a deployed bundle gets (CDK's bundling passes them as
 * flags), and without the packages it loads only on the paths that need them (`bundleDeferred`),
 * whose `import()` it writes as `require()`.
 */
export const LAMBDA_BUILD_OPTIONS = { ...DEFERRED_BUILD_OPTIONS, supported: LAMBDA_SUPPORTED, external: [...LAMBDA_DEFERRED] } as const satisfies BuildOptions;

const REPO_ROOT = resolve(__dirname, '..');

/**
 * The deferred packages (infra/lambda/aliases.ts) a bundle loads: the `require` calls its code
 * keeps for them (esbuild writes a dynamic import of an external package as one). Read from the
 * code rather than the metafile, whose imports are those of each file read, even where the code
 * that makes them was left out of this bundle.
 */
export function deferredImports(code: string): string[] {
  return LAMBDA_DEFERRED.filter((specifier) => code.includes(`require(${JSON.stringify(specifier)})`)).sort();
}

export interface DeferredBundle {
  /** The specifiers it answers: one, or several entry points of one package, which share most of their code. */
  readonly specifiers: readonly string[];
  /** Where it lies beside the handler's index.js, under node_modules/<package>/. */
  readonly file: string;
  readonly bytes: number;
  readonly metafile: Metafile;
}

/** The package a specifier names: its scope and name, without a subpath. */
const packageOf = (specifier: string) => specifier.split('/').slice(0, specifier.startsWith('@') ? 2 : 1).join('/');

/** The file `require(specifier)` resolves to from a bundle in `dir`, with no package.json needed. */
const deferredFile = (dir: string, specifier: string) => join(dir, 'node_modules', ...specifier.split('/'), 'index.js');

/**
 * Bundles each deferred package that the bundle `bundleFile` loads into its directory, as
 * node_modules/<specifier>/index.js: the module `require(specifier)` resolves to from the bundle,
 * with no package.json needed. It is built from the package's ES modules, as the handlers are
 * (`mainFields`), and exports the package's named exports, which is what the handler's
 * `import()` takes from it (through esbuild's interop, as the sources get them from Node). Several
 * entry points of one package (the WebAuthn library and its helpers) are bundled together, once,
 * in node_modules/<package>/deferred-entries.js, and each entry point's index.js takes its part of
 * it: bundled apart, each would carry the code they share (its X.509 and ASN.1 parsers), and a
 * registration would load it twice.
 */
export async function bundleDeferred(bundleFile: string): Promise<DeferredBundle[]> {
  const dir = dirname(bundleFile);
  const byPackage = new Map<string, string[]>();
  for (const specifier of deferredImports(readFileSync(bundleFile, 'utf8'))) byPackage.set(packageOf(specifier), [...(byPackage.get(packageOf(specifier)) ?? []), specifier]);
  const bundles: DeferredBundle[] = [];
  for (const [pkg, specifiers] of byPackage) {
    const [only] = specifiers;
    const together = specifiers.length > 1 || only === undefined;
    const file = together ? join(dir, 'node_modules', ...pkg.split('/'), 'deferred-entries.js') : deferredFile(dir, only);
    const contents = together
      ? [
          ...specifiers.map((specifier, i) => `import * as entry${i} from ${JSON.stringify(specifier)};`),
          `export { ${specifiers.map((specifier, i) => `entry${i} as ${JSON.stringify(specifier)}`).join(', ')} };`,
        ].join('\n')
      : `export * from ${JSON.stringify(only)};`;
    const built = await build({
      ...DEFERRED_BUILD_OPTIONS,
      stdin: { contents, resolveDir: REPO_ROOT, sourcefile: `deferred:${specifiers.join('+')}`, loader: 'js' },
      outfile: file,
    });
    if (together) {
      for (const specifier of specifiers) {
        const entry = deferredFile(dir, specifier);
        const path = relative(dirname(entry), file);
        mkdirSync(dirname(entry), { recursive: true });
        writeFileSync(entry, `module.exports = require(${JSON.stringify(path.startsWith('.') ? path : `./${path}`)})[${JSON.stringify(specifier)}];\n`);
      }
    }
    bundles.push({ specifiers, file, bytes: statSync(file).size, metafile: built.metafile });
  }
  return bundles;
}

/** The deferred bundles beside a handler, for a report: each one's entries and its size. */
export function deferredSummary(deferred: readonly DeferredBundle[]): string {
  return deferred.map((d) => `${d.specifiers.join(' + ')} ${(d.bytes / 1024).toFixed(1)} KiB`).join(', ');
}

export interface BundleSize {
  readonly name: FunctionName;
  readonly bytes: number;
  /** What esbuild put in the bundle, input by input. */
  readonly metafile: Metafile;
  /** The packages it loads on first use, bundled beside it. */
  readonly deferred: readonly DeferredBundle[];
}

export async function bundleAll(outDir = 'dist'): Promise<BundleSize[]> {
  const sizes: BundleSize[] = [];
  for (const name of FUNCTIONS) {
    const outfile = join(outDir, name, 'index.js');
    mkdirSync(join(outDir, name), { recursive: true });
    // What an earlier build put beside it goes: the handler may no longer load it.
    rmSync(join(outDir, name, 'node_modules'), { recursive: true, force: true });
    const { metafile } = await build({
      ...LAMBDA_BUILD_OPTIONS,
      entryPoints: [join('functions', `${name}.ts`)],
      outfile,
    });
    const deferred = await bundleDeferred(outfile);
    sizes.push({ name, bytes: statSync(outfile).size, metafile, deferred });
  }
  return sizes;
}

const kib = (bytes: number) => `${(bytes / 1024).toFixed(1).padStart(8)} KiB`;

if (require.main === module) {
  bundleAll().then(
    (sizes) => {
      for (const { name, bytes, deferred } of sizes) {
        const later = deferredSummary(deferred);
        console.log(`${name.padEnd(24)} ${kib(bytes)}${later ? `   on first use: ${later}` : ''}`);
      }
    },
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
