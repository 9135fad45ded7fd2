import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { buildPage, WEB_PAGES, type WebPage } from './pages';

/**
 * `npm run build:web`: writes each page to `dist/web/<page>/` (index.html, main.js) for static
 * hosting. `tsx infra/web/build.ts <page> <dir>` writes one page's two files straight into `dir`
 * (what the CDK console stack runs while bundling its asset).
 */
async function main(): Promise<void> {
  const [only, dir] = process.argv.slice(2);
  if (only !== undefined && !(WEB_PAGES as readonly string[]).includes(only)) throw new Error(`Unknown page "${only}": one of ${WEB_PAGES.join(', ')}`);
  if (only !== undefined && dir === undefined) throw new Error('Give the output folder after the page name');
  const targets: [WebPage, string][] = only ? [[only as WebPage, resolve(dir as string)]] : WEB_PAGES.map((page) => [page, join(process.cwd(), 'dist', 'web', page)]);
  for (const [page, out] of targets) {
    const built = await buildPage(page);
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, 'index.html'), built.html);
    writeFileSync(join(out, 'main.js'), built.js);
    console.log(`${page} → ${out}: index.html ${built.html.length} B, main.js ${built.js.length} B`);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
