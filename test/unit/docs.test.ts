import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { openApiJson } from '../../shared/api/openapi';
import { OPENAPI_GZIP_BASE64 } from '../../shared/api/openapi-gzip';
import { referenceMarkdown } from '../../shared/api/reference-markdown';
import { problemTypes } from '../../shared/http/problem';
import { ROUTES } from '../../shared/routes';

/** The documents a user reads: the README and everything under docs/. */
const DOCUMENTS = ['README.md', ...readdirSync('docs').filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
const text = (file: string) => readFileSync(file, 'utf8');

/** Every source file of the project, where a documented name must exist. */
function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return /\.(ts|js|mjs|sh)$/.test(name) ? [path] : [];
  });
}
const CODE = ['shared', 'functions', 'infra', 'test']
  .flatMap(sources)
  .concat('.ci/run', 'package.json')
  .filter((file) => !file.endsWith('docs.test.ts'))
  .map(text)
  .join('\n');

const routeKey = (method: string, path: string) => `${method} ${path.replace(/\{[^}]*\}/g, '{}')}`;
const KNOWN_ROUTES = new Set(ROUTES.map((r) => routeKey(r.method, r.path)));

function matches(pattern: RegExp, file: string): RegExpMatchArray[] {
  return [...text(file).matchAll(pattern)];
}

describe('the documentation names only what exists', () => {
  it('docs/reference.md is the reference generated from the code (npm run docs)', () => {
    expect(text('docs/reference.md')).toBe(referenceMarkdown());
  });

  it('shared/api/openapi.json is the document generated from the code (npm run docs)', () => {
    expect(text('shared/api/openapi.json')).toBe(openApiJson());
  });

  it('shared/api/openapi-gzip.ts, which the openapi handler bundles, inflates to that document, compact (npm run docs)', () => {
    // Compared inflated: gzip's bytes may differ between zlib builds, the document they carry may not.
    const served = gunzipSync(Buffer.from(OPENAPI_GZIP_BASE64, 'base64')).toString('utf8');
    expect(served).toBe(JSON.stringify(JSON.parse(openApiJson())));
  });

  it('the README stays a front door: at most 250 lines', () => {
    expect(text('README.md').split('\n').length).toBeLessThanOrEqual(250);
  });

  it.each(DOCUMENTS)('%s names only routes the API serves', (file) => {
    const named = matches(/\b(GET|POST|PUT|PATCH|DELETE) (\/(?:v1\/|\.well-known\/|openapi\.json|docs\b)[^\s`"'?)\]|,]*)/g, file).map(([, method = '', path = '']) =>
      routeKey(method, path),
    );
    expect(named.filter((key) => !KNOWN_ROUTES.has(key))).toEqual([]);
  });

  it.each(DOCUMENTS)('%s names only problem types the API answers, with their status', (file) => {
    const known = new Map(problemTypes().map(({ slug, status }) => [slug, status]));
    const byUrn = matches(/urn:tessera:problem:([a-z][a-z-]*[a-z])/g, file).map(([, slug = '']) => slug);
    expect(byUrn.filter((slug) => !known.has(slug))).toEqual([]);
    const byStatus = matches(/\b([45]\d\d) ([a-z]+(?:-[a-z]+)+)\b/g, file).map(([, status = '', slug = '']) => ({ status: Number(status), slug }));
    expect(byStatus.filter(({ status, slug }) => known.get(slug) !== status)).toEqual([]);
  });

  it.each(DOCUMENTS)('%s names only environment variables the code reads', (file) => {
    const named = matches(/\b((?:TESSERA|POWERTOOLS|SOAK)_[A-Z0-9_]+)\b/g, file).map(([, name = '']) => name);
    expect(named.filter((name) => !CODE.includes(name))).toEqual([]);
  });

  it.each(DOCUMENTS)('%s names only npm scripts that exist', (file) => {
    const scripts = Object.keys((JSON.parse(text('package.json')) as { scripts: Record<string, string> }).scripts);
    const named = matches(/\bnpm run ([a-z][a-z:-]*)/g, file).map(([, name = '']) => name);
    expect(named.filter((name) => !scripts.includes(name))).toEqual([]);
  });

  it.each(DOCUMENTS)('%s links only to files that exist', (file) => {
    const links = matches(/\]\(((?!https?:|#)[^)#\s]+)(?:#[^)]*)?\)/g, file).map(([, link = '']) => link);
    expect(links.filter((link) => !existsSync(join(dirname(file), link)))).toEqual([]);
  });
});
