/**
 * The step CDK's bundling runs after esbuild (infra/function.ts, `commandHooks.afterBundling`):
 * bundles beside the handler in the asset directory the deferred packages its code loads
 * (infra/build.ts `bundleDeferred`, the same code `npm run build` and the benchmark use).
 * Usage: node --import tsx infra/lambda/deferred.ts <asset directory>
 */
import { join } from 'node:path';
import { bundleDeferred } from '../build';

/** A word the POSIX shell takes literally, whatever it holds. */
function shellWord(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/**
 * The command CDK runs in the repository root once esbuild has bundled a handler into
 * `outputDir`: this file, run by the Node that runs the CDK app, with tsx. Local bundling only,
 * which is what CDK does here: esbuild is a dev dependency, so it never falls back to Docker.
 */
export function deferredBundlingCommand(outputDir: string): string {
  return [process.execPath, '--import', 'tsx', 'infra/lambda/deferred.ts', outputDir].map(shellWord).join(' ');
}

if (require.main === module) {
  const dir = process.argv[2];
  if (!dir) {
    console.error('Usage: node --import tsx infra/lambda/deferred.ts <asset directory>');
    process.exit(2);
  }
  bundleDeferred(join(dir, 'index.js')).catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
