/**
 * `npm run build`: bundles every Lambda entry point the way it is deployed (esbuild, minified,
 * Node 24, arm64 needs nothing special for pure JS) into dist/<function>/index.js, and reports
 * each bundle's size. The benchmark reuses it to report bundle bytes. Every bundle gets the
 * package substitutions of infra/lambda/aliases.ts, as CDK's bundling does.
 */
import { build, type Metafile } from 'esbuild';
import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { FUNCTIONS, type FunctionName } from '../shared/routes';
import { LAMBDA_ALIASES } from './lambda/aliases';

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
      entryPoints: [join('functions', `${name}.ts`)],
      outfile,
      bundle: true,
      minify: true,
      platform: 'node',
      target: 'node24',
      format: 'cjs',
      sourcemap: false,
      legalComments: 'none',
      logLevel: 'warning',
      alias: { ...LAMBDA_ALIASES },
      metafile: true,
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
