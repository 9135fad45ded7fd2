import { openApiDocument } from '../shared/api/openapi';
import { referencePage } from '../shared/api/reference-page';
import type { HttpEvent, HttpResult } from '../shared/http/handler';
import { toProblem } from '../shared/http/problem';
import { routeOf, type RouteKeyOf } from '../shared/http/routes';
import { lambdaHandler } from '../shared/observability';

// Built once per cold start from the schemas the other handlers use: it cannot drift from them.
const document = openApiDocument();
const headers = (type: string) => ({ 'content-type': type, 'cache-control': 'public, max-age=300', 'x-content-type-options': 'nosniff' });

/** GET /openapi.json — the OpenAPI 3.1 document; GET /docs — the same as an HTML reference page. Public. */
const pages: Record<RouteKeyOf<'openapi'>, HttpResult> = {
  'GET /openapi.json': { statusCode: 200, headers: headers('application/json'), body: JSON.stringify(document) },
  'GET /docs': {
    statusCode: 200,
    headers: { ...headers('text/html; charset=utf-8'), 'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'" },
    body: referencePage(document),
  },
};

export const handler = lambdaHandler(async (event: HttpEvent): Promise<HttpResult> => {
  try {
    return routeOf(pages, event.routeKey);
  } catch (error) {
    return toProblem(error, event.rawPath);
  }
});
