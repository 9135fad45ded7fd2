import generated from '../shared/api/openapi.json';
import { referencePage } from '../shared/api/reference-page';
import type { HttpEvent, HttpResult } from '../shared/http/handler';
import { toProblem } from '../shared/http/problem';
import { routeOf, type RouteKeyOf } from '../shared/http/routes';
import { lambdaHandler } from '../shared/observability';

// Generated from the route table and the schemas the other handlers use (`npm run docs`; a test
// fails when it differs from them), so this handler loads no zod and converts nothing at cold start.
const document: Record<string, unknown> = generated;
const headers = (type: string) => ({ 'content-type': type, 'cache-control': 'public, max-age=300', 'x-content-type-options': 'nosniff' });

/**
 * GET /openapi.json — the OpenAPI 3.1 document; GET /docs — the same as an HTML reference page. Public.
 * Each answer is made on the first request for it and kept for the container's life: a container
 * that only serves the document never renders the page (about 480 KB of HTML), and the other way round.
 */
const pages: Record<RouteKeyOf<'openapi'>, () => HttpResult> = {
  'GET /openapi.json': () => ({ statusCode: 200, headers: headers('application/json'), body: JSON.stringify(document) }),
  'GET /docs': () => ({
    statusCode: 200,
    headers: { ...headers('text/html; charset=utf-8'), 'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'" },
    body: referencePage(document),
  }),
};
const served = new Map<string, HttpResult>();

export const handler = lambdaHandler(async (event: HttpEvent): Promise<HttpResult> => {
  try {
    const page = routeOf(pages, event.routeKey);
    const answer = served.get(event.routeKey) ?? page();
    served.set(event.routeKey, answer);
    return answer;
  } catch (error) {
    return toProblem(error, event.rawPath);
  }
});
