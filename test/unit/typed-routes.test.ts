import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { sha256Hex } from '../../shared/domain/crypto';
import { NotFoundError } from '../../shared/domain/errors';
import type { Reply } from '../../shared/http/handler';
import { cappedPerSource, routeHandlers, routeOf, scopeOf, type RouteKeyOf, type RouteMap } from '../../shared/http/routes';
import { HTTP_FUNCTIONS, ROUTES } from '../../shared/routes';
import * as inputTables from '../../shared/schemas/routes';
import { adminProviderInputs, adminSettingsInputs, jwksInputs, operatorSigningKeysInputs, ROUTE_INPUTS } from '../../shared/schemas/routes';
import { localContext } from '../../infra/local/context';
import { SilentLog } from '../support/fakes';

const unused = () => {
  throw new Error('not for this scope');
};
/** Route handlers as the composition root makes them, with an operator key and no tenant keys. */
const routeHandler = routeHandlers({
  authenticator: unused,
  requestCaps: unused,
  operatorKeySha256: () => sha256Hex('tsr_operator_test'),
  log: () => Object.assign(new SilentLog(), { appendKeys: () => undefined, resetKeys: () => undefined }),
});

const ok = async (): Promise<Reply> => ({ status: 204 });

// Checked by `tsc --noEmit` (npm test): an unused @ts-expect-error fails the type check, so each
// of these must stay a compile error.
const _complete: RouteMap<'admin-provider'> = { 'PUT /v1/admin/provider': ok, 'GET /v1/admin/provider': ok, 'DELETE /v1/admin/provider': ok };
// @ts-expect-error a map that misses a route of its function does not compile
const _missing: RouteMap<'admin-provider'> = { 'PUT /v1/admin/provider': ok, 'GET /v1/admin/provider': ok };
const _extra: RouteMap<'admin-provider'> = {
  ..._complete,
  // @ts-expect-error a route of another function (here admin-settings') does not compile
  'GET /v1/admin/settings': ok,
};
// @ts-expect-error the keys are the route table's, not free strings
const _typo: RouteKeyOf<'admin-provider'> = 'GET /v1/admin/providers';
const _scoped: RouteMap<'operator-tenants'> = {
  // @ts-expect-error an operator route has no tenant principal
  'POST /v1/operator/tenants': async (req) => ({ status: 200, body: req.principal.tenantId }),
  'PUT /v1/operator/tenants/{tenantId}/limits': ok,
  'PUT /v1/operator/tenants/{tenantId}/caller-ids': ok,
};
const _inputs: RouteMap<'admin-settings'> = {
  'GET /v1/admin/settings': ok,
  // @ts-expect-error a route's inputs are its own ROUTE_INPUTS entry: PUT /v1/admin/settings has a body, no path parameters
  'PUT /v1/admin/settings': async (_req, route) => ({ status: 200, body: route.params }),
  'PATCH /v1/admin/settings': ok,
};
// Never called: it only has to compile (or, here, not).
const _partial = () =>
  // @ts-expect-error routeHandler too takes every route of its function
  routeHandler('admin-provider', adminProviderInputs, { 'GET /v1/admin/provider': ok, 'PUT /v1/admin/provider': ok });
const _otherInputs = () =>
  // @ts-expect-error a handler passes its own function's inputs, not another's
  routeHandler('admin-provider', adminSettingsInputs, { 'PUT /v1/admin/provider': ok, 'GET /v1/admin/provider': ok, 'DELETE /v1/admin/provider': ok });

function event(routeKey: string, authorization?: string): APIGatewayProxyEventV2 {
  const [method = 'GET', rawPath = '/'] = routeKey.split(' ');
  return {
    version: '2.0',
    routeKey,
    rawPath,
    rawQueryString: '',
    headers: authorization ? { authorization } : {},
    isBase64Encoded: false,
    requestContext: { http: { method, path: rawPath, sourceIp: '192.0.2.1' } },
  } as unknown as APIGatewayProxyEventV2;
}

describe('typed route maps', () => {
  it('every HTTP function serves routes of exactly one scope, read off the route table', () => {
    for (const name of HTTP_FUNCTIONS) expect(scopeOf(name)).toBe(ROUTES.find((route) => route.handler === name)?.scope);
    // The wrapper reads FUNCTION_ACCESS (its bundle carries no route table): every line of a function agrees with it.
    for (const route of ROUTES) expect(scopeOf(route.handler)).toBe(route.scope);
  });

  it("each function's inputs table holds exactly its routes' ROUTE_INPUTS entries, the very objects", () => {
    const camel = (name: string) => name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
    const tables = inputTables as unknown as Record<string, Record<string, unknown>>;
    const entries = ROUTE_INPUTS as Record<string, unknown>;
    for (const name of HTTP_FUNCTIONS) {
      const table = tables[`${camel(name)}Inputs`] ?? {};
      const keys = ROUTES.filter((route) => route.handler === name).map((route) => `${route.method} ${route.path}`);
      expect(Object.keys(table).sort()).toEqual(keys.sort());
      for (const key of keys) expect(table[key]).toBe(entries[key]);
    }
    expect(Object.keys(ROUTE_INPUTS)).toHaveLength(ROUTES.length);
  });

  it('an unknown route key is the 404 problem, never another route', () => {
    const routes = { 'GET /a': 1 };
    expect(routeOf(routes, 'GET /a')).toBe(1);
    expect(() => routeOf(routes, 'GET /b')).toThrow(NotFoundError);
    expect(() => routeOf(routes, 'toString')).toThrow(NotFoundError);
  });

  it('a handler runs the entry of the matched route with its inputs, and answers 404 to any other route key', async () => {
    const served: unknown[] = [];
    const handler = routeHandler('jwks', jwksInputs, {
      'GET /.well-known/jwks.json': async (_req, route) => {
        served.push(route);
        return { status: 200, body: { keys: [] } };
      },
    });
    expect(await handler(event('GET /.well-known/jwks.json'), localContext('jwks'))).toMatchObject({ statusCode: 200, body: '{"keys":[]}' });
    expect(served).toEqual([{}]);
    const unknown = await handler(event('GET /v1/admin/provider'), localContext('jwks'));
    expect(unknown.statusCode).toBe(404);
    expect(JSON.parse(unknown.body ?? '')).toMatchObject({ type: 'urn:tessera:problem:not-found', status: 404 });
    expect(served).toHaveLength(1);
  });

  it('authenticates by the scope the route table gives the function (R27): an operator route takes the operator key', async () => {
    const handler = routeHandler('operator-signing-keys', operatorSigningKeysInputs, { 'POST /v1/operator/signing-keys': async (req) => ({ status: 201, body: req.principal }) });
    expect((await handler(event('POST /v1/operator/signing-keys'), localContext('operator-signing-keys'))).statusCode).toBe(401);
    expect((await handler(event('POST /v1/operator/signing-keys', 'Bearer tsr_operator_other'), localContext('operator-signing-keys'))).statusCode).toBe(401);
    expect(await handler(event('POST /v1/operator/signing-keys', 'Bearer tsr_operator_test'), localContext('operator-signing-keys'))).toMatchObject({ statusCode: 201, body: '{"operator":true}' });
  });
});

describe('R6: the per-source cap is declared in the route table', () => {
  it('caps exactly the public routes that do costly work, and only public ones', () => {
    const capped = HTTP_FUNCTIONS.filter((name) => cappedPerSource(name));
    expect(capped.sort()).toEqual(['push-activate', 'push-respond']);
    for (const route of ROUTES.filter((line) => 'cap' in line)) expect(route.scope).toBe('public');
    for (const route of ROUTES) expect(cappedPerSource(route.handler)).toBe('cap' in route && route.cap === 'source');
    expect(cappedPerSource('jwks')).toBe(false);
  });
});
