import { gunzipSync } from 'node:zlib';
import { OPENAPI_GZIP_BASE64 } from '../shared/api/openapi-gzip';
import { referencePage } from '../shared/api/reference-page';
import { acceptsGzip } from '../shared/http/accept-encoding';
import type { HttpEvent, HttpResult } from '../shared/http/handler';
import { toProblem } from '../shared/http/problem';
import { routeOf, type RouteKeyOf } from '../shared/http/routes';
import { lambdaHandler } from '../shared/observability';

// Generated from the route table and the schemas the other handlers use (`npm run docs`; a test
// fails when it differs from them), and bundled gzip-compressed: this handler loads no zod,
// converts nothing and builds no 213 KiB object at cold start.
let text: string | undefined;
const documentText = (): string => (text ??= gunzipSync(Buffer.from(OPENAPI_GZIP_BASE64, 'base64')).toString('utf8'));

const headers = (type: string) => ({ 'content-type': type, 'cache-control': 'public, max-age=300', 'x-content-type-options': 'nosniff' });

/**
 * GET /openapi.json — the OpenAPI 3.1 document; GET /docs — the same as an HTML reference page. Public.
 * The document goes out as the compressed bytes bundled to a client that accepts gzip, and inflated
 * (once per container) to one that does not; `vary` tells caches the two apart. The page is made
 * on the first request for it and kept for the container's life: a container that only serves the
 * document never renders the page (about 480 KB of HTML).
 */
const pages: Record<RouteKeyOf<'openapi'>, (event: HttpEvent) => { key: string; make: () => HttpResult }> = {
  'GET /openapi.json': (event) => {
    const vary = { ...headers('application/json'), vary: 'accept-encoding' };
    return acceptsGzip(event.headers?.['accept-encoding'])
      ? {
          key: 'document/gzip',
          make: () => ({ statusCode: 200, headers: { ...vary, 'content-encoding': 'gzip' }, body: OPENAPI_GZIP_BASE64, isBase64Encoded: true }),
        }
      : { key: 'document', make: () => ({ statusCode: 200, headers: vary, body: documentText() }) };
  },
  'GET /docs': () => ({
    key: 'page',
    make: () => ({
      statusCode: 200,
      headers: { ...headers('text/html; charset=utf-8'), 'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'" },
      body: referencePage(JSON.parse(documentText()) as Record<string, unknown>),
    }),
  }),
};
const served = new Map<string, HttpResult>();

export const handler = lambdaHandler(async (event: HttpEvent): Promise<HttpResult> => {
  try {
    const { key, make } = routeOf(pages, event.routeKey)(event);
    const answer = served.get(key) ?? make();
    served.set(key, answer);
    return answer;
  } catch (error) {
    return toProblem(error, event.rawPath);
  }
});
