import { gunzipSync, gzipSync } from 'node:zlib';
import { OPENAPI_GZIP_BASE64 } from '../shared/api/openapi-gzip';
import { referencePage } from '../shared/api/reference-page';
import { acceptsGzip } from '../shared/http/accept-encoding';
import type { HttpEvent, HttpResult } from '../shared/http/handler';
import { toProblem } from '../shared/http/problem';
import { routeOf, type RouteKeyOf } from '../shared/http/routes';
import { lambdaHandler } from '../shared/observability';
import { once } from '../shared/once';

// Generated from the route table and the schemas the other handlers use (`npm run docs`; a test
// fails when it differs from them), and bundled gzip-compressed: this handler loads no zod,
// converts nothing and builds no 213 KiB object at cold start.
const documentText = once((): string => gunzipSync(Buffer.from(OPENAPI_GZIP_BASE64, 'base64')).toString('utf8'));

/** One answer, as text and gzip-compressed in base64, each made on first use. */
interface Page {
  readonly type: string;
  readonly headers?: Record<string, string>;
  readonly text: () => string;
  readonly gzipBase64: () => string;
}

/**
 * GET /openapi.json — the OpenAPI 3.1 document; GET /docs — the same as an HTML reference page
 * (about 630 KB). Public. A client whose Accept-Encoding accepts gzip gets the compressed bytes
 * (the document's as bundled, the page's compressed once), one that does not the text; `vary`
 * tells caches the two apart. Each is made on the first request that needs it and kept for the
 * container's life: a container that only serves the document never renders the page.
 */
const pages: Record<RouteKeyOf<'openapi'>, Page> = {
  'GET /openapi.json': { type: 'application/json', text: documentText, gzipBase64: () => OPENAPI_GZIP_BASE64 },
  'GET /docs': (() => {
    const html = once(() => referencePage(JSON.parse(documentText()) as Record<string, unknown>));
    return {
      type: 'text/html; charset=utf-8',
      headers: { 'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'" },
      text: html,
      gzipBase64: once(() => gzipSync(html()).toString('base64')),
    };
  })(),
};

function answer(page: Page, gzip: boolean): HttpResult {
  const headers = { 'content-type': page.type, 'cache-control': 'public, max-age=300', 'x-content-type-options': 'nosniff', vary: 'accept-encoding', ...page.headers };
  return gzip
    ? { statusCode: 200, headers: { ...headers, 'content-encoding': 'gzip' }, body: page.gzipBase64(), isBase64Encoded: true }
    : { statusCode: 200, headers, body: page.text() };
}

export const handler = lambdaHandler(async (event: HttpEvent): Promise<HttpResult> => {
  try {
    return answer(routeOf(pages, event.routeKey), acceptsGzip(event.headers?.['accept-encoding']));
  } catch (error) {
    return toProblem(error, event.rawPath);
  }
});
