import { openApiDocument } from '../shared/api/openapi';
import { referencePage } from '../shared/api/reference-page';
import type { HttpEvent, HttpResult } from '../shared/http/handler';
import { lambdaHandler } from '../shared/observability';

// Built once per cold start from the schemas the other handlers use: it cannot drift from them.
const document = openApiDocument();
const json = JSON.stringify(document);
const html = referencePage(document);
const headers = (type: string) => ({ 'content-type': type, 'cache-control': 'public, max-age=300', 'x-content-type-options': 'nosniff' });

/** GET /openapi.json — the OpenAPI 3.1 document; GET /docs — the same as an HTML reference page. Public. */
export const handler = lambdaHandler(async (event: HttpEvent): Promise<HttpResult> => {
  if (event.routeKey === 'GET /docs') {
    return { statusCode: 200, headers: { ...headers('text/html; charset=utf-8'), 'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'" }, body: html };
  }
  return { statusCode: 200, headers: headers('application/json'), body: json };
});
