import { build } from 'esbuild';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * The browser pages: each is a folder of `infra/web/` with an `index.html` and a `main.ts` that
 * esbuild bundles (one minified ES module, no source maps, nothing fetched from a CDN). The
 * local runtime builds them on first request; `npm run build:web` writes them to `dist/web/`
 * for static hosting (the console on S3 + CloudFront).
 */
export const WEB_PAGES = ['simulator', 'demo', 'console'] as const;

/**
 * The pages' Content-Security-Policy, wherever they are served (the local runtime; CloudFront for
 * the console): same-origin scripts and API calls only, no CDN, no inline script, no framing.
 * An admin key typed into the console can only go to the origin that served it.
 */
export const PAGE_CSP = "default-src 'self'; connect-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'";
export type WebPage = (typeof WEB_PAGES)[number];

const ROOT = join(__dirname);

export interface BuiltPage {
  readonly html: string;
  readonly js: string;
}

export async function buildPage(page: WebPage): Promise<BuiltPage> {
  const [html, bundle] = await Promise.all([
    readFile(join(ROOT, page, 'index.html'), 'utf8'),
    build({
      entryPoints: [join(ROOT, page, 'main.ts')],
      bundle: true,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      minify: true,
      write: false,
      logLevel: 'silent',
      legalComments: 'none',
    }),
  ]);
  return { html, js: bundle.outputFiles[0]?.text ?? '' };
}
