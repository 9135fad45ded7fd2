/**
 * `npm run build`: bundles every Lambda entry point the way it is deployed (esbuild, minified,
 * Node 24, arm64 needs nothing special for pure JS) into dist/<function>/index.js, and reports
 * each bundle's size. The benchmark reuses it to report bundle bytes. Every bundle gets the
 * package substitutions of infra/lambda/aliases.ts, as CDK's bundling does.
 */
import { build, type BuildOptions, type Metafile } from 'esbuild';
import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { FUNCTIONS, type FunctionName } from '../shared/routes';
import { LAMBDA_ALIASES, LAMBDA_MAIN_FIELDS } from './lambda/aliases';

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

/** The same, with the package substitutions a deployed bundle gets (CDK's bundling passes them as flags). */
export const LAMBDA_BUILD_OPTIONS = { ...BUNDLE_OPTIONS, alias: LAMBDA_ALIASES } as const satisfies BuildOptions;

export interface BundleSize {
  readonly name: FunctionName;
  readonly bytes: number;
  /** What esbuild put in the bundle, input by input. */
  readonly metafile: Metafile;
}

export async function bundleAll(outDir = 'dist'): Promise<BundleSize[]> {
  const sizes: BundleSize[] = [];
  for (const name of FUNCTIONS) {
    const outfile = join(outDir, name, 'index.js');
    mkdirSync(join(outDir, name), { recursive: true });
    const { metafile } = await build({
      ...LAMBDA_BUILD_OPTIONS,
      entryPoints: [join('functions', `${name}.ts`)],
      outfile,
    });
    sizes.push({ name, bytes: statSync(outfile).size, metafile });
  }
  return sizes;
}

if (require.main === module) {
  bundleAll().then(
    (sizes) => {
      for (const { name, bytes } of sizes) console.log(`${name.padEnd(24)} ${(bytes / 1024).toFixed(1).padStart(8)} KiB`);
    },
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
