import * as z from 'zod';
import { ROUTES, type RouteDefinition, type Scope } from '../routes';
import { ROUTE_INPUTS, type RouteInputs, type RouteKey } from '../schemas/routes';
import { problem } from '../schemas/responses';
import { ROUTE_DOCS, type RouteDoc } from './docs';

type Json = Record<string, unknown>;

/** The security scheme of each scope: every key is a Bearer token; the scope decides which key. */
export const SECURITY_SCHEMES: Record<Exclude<Scope, 'public'>, { name: string; description: string }> = {
  auth: { name: 'authKey', description: 'A tenant API key of the `auth` scope (`tsr_auth_…`), for relying apps: challenges and app-password checks.' },
  admin: { name: 'adminKey', description: 'A tenant API key of the `admin` scope (`tsr_admin_…`), for tenant admins: the console API.' },
  operator: { name: 'operatorKey', description: 'The operator key (`tsr_operator_…`): creates tenants and rotates signing keys.' },
};

const ERROR_TEXT: Record<number, string> = {
  400: 'The request is not valid (body, path, query or header); nothing changed',
  401: 'No key, or a key that is unknown, revoked or expired',
  403: 'Not allowed: the key’s scope, or the user is blocked, not enabled or must register',
  404: 'No such resource (or not this tenant’s)',
  409: 'Conflict with the current state (finished challenge, provider, reused Idempotency-Key, …)',
  410: 'The challenge expired (R1)',
  413: 'The body is too large',
  415: 'The body’s media type is not accepted',
  422: 'Wrong code, or a method or number that cannot be used',
  423: 'The challenge is locked after five wrong codes (R3)',
  429: 'Too many requests; see Retry-After (R6, R8)',
  503: 'Delivery failed on every provider; the problem names the method to try next (R16)',
};

/** JSON Schema 2020-12 of a zod schema as a request reads it (defaults optional, transforms' input). */
function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Json {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Json;
  return rest;
}

function parameters(inputs: RouteInputs): Json[] {
  const out: Json[] = [];
  for (const [name, schema] of Object.entries(inputs.params ?? {})) out.push({ name, in: 'path', required: true, schema: jsonSchema(schema, 'input') });
  if (inputs.query) {
    const query = jsonSchema(inputs.query, 'input') as { properties?: Record<string, Json>; required?: string[] };
    for (const [name, schema] of Object.entries(query.properties ?? {})) {
      out.push({ name, in: 'query', required: query.required?.includes(name) ?? false, schema });
    }
  }
  for (const [name, schema] of Object.entries(inputs.headers ?? {})) out.push({ name, in: 'header', required: false, schema: jsonSchema(schema, 'input') });
  return out;
}

function requestBody(inputs: RouteInputs): Json | undefined {
  if (inputs.text) {
    return {
      required: true,
      description: `At most ${inputs.text.maxBytes} bytes.`,
      content: Object.fromEntries(inputs.text.contentTypes.map((type) => [type, { schema: { type: 'string' } }])),
    };
  }
  if (!inputs.body) return undefined;
  return { required: !inputs.body.safeParse(undefined).success, content: { 'application/json': { schema: jsonSchema(inputs.body, 'input') } } };
}

/** The errors a route can answer: those of its kind (input, key, body) and its own. */
export function errorStatuses(route: RouteDefinition, inputs: RouteInputs, own: readonly number[] = []): number[] {
  const statuses = new Set(own);
  if (inputs.params || inputs.query || inputs.headers || inputs.body || inputs.text) statuses.add(400);
  if (route.scope !== 'public') statuses.add(401);
  if (route.scope === 'auth' || route.scope === 'admin') statuses.add(403);
  // R6: every request with a tenant key counts against the tenant's per-second cap.
  if (route.scope === 'auth' || route.scope === 'admin') statuses.add(429);
  if (inputs.body || inputs.text) {
    statuses.add(413);
    statuses.add(415);
  }
  return [...statuses].sort((a, b) => a - b);
}

function operation(route: RouteDefinition): Json {
  const key = `${route.method} ${route.path}` as RouteKey;
  const inputs: RouteInputs = ROUTE_INPUTS[key];
  const doc: RouteDoc = ROUTE_DOCS[key];
  const responses: Json = {};
  for (const [status, answer] of Object.entries(doc.responses)) {
    const mediaType = answer.mediaType ?? 'application/json';
    responses[status] = {
      description: answer.description,
      ...(Number(status) === 204 ? {} : { content: { [mediaType]: answer.schema ? { schema: jsonSchema(answer.schema, 'output') } : {} } }),
    };
  }
  for (const status of errorStatuses(route, inputs, doc.errors)) {
    responses[String(status)] = { $ref: `#/components/responses/Problem${status}` };
  }
  const params = parameters(inputs);
  const body = requestBody(inputs);
  return {
    operationId: doc.operationId,
    tags: [doc.tag],
    summary: doc.summary,
    ...(doc.description ? { description: doc.description } : {}),
    'x-tessera-handler': route.handler,
    'x-tessera-scope': route.scope,
    security: route.scope === 'public' ? [] : [{ [SECURITY_SCHEMES[route.scope].name]: [] }],
    ...(params.length ? { parameters: params } : {}),
    ...(body ? { requestBody: body } : {}),
    responses,
  };
}

/** The OpenAPI 3.1 document of the API: every line of ROUTES, from the schemas the handlers use. */
export function openApiDocument(): Json {
  const paths: Record<string, Json> = {};
  for (const route of ROUTES) {
    const path = (paths[route.path] ??= {});
    path[route.method.toLowerCase()] = operation(route);
  }
  const problemSchema = jsonSchema(problem, 'output');
  const statuses = Object.keys(ERROR_TEXT).map(Number);
  return {
    openapi: '3.1.0',
    info: {
      title: 'Tessera',
      version: '1',
      summary: 'Multi-tenant multi-factor authentication as a service',
      description:
        'Relying apps start and verify second-factor challenges with an `auth` key; tenant admins manage users, methods, settings, logs and bills with an `admin` key. ' +
        'Every error is an RFC 9457 problem (`application/problem+json`).',
    },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    servers: [{ url: '/' }],
    tags: [...new Set(Object.values(ROUTE_DOCS).map((d: RouteDoc) => d.tag))].map((name) => ({ name })),
    paths,
    components: {
      securitySchemes: Object.fromEntries(
        Object.values(SECURITY_SCHEMES).map(({ name, description }) => [name, { type: 'http', scheme: 'bearer', description }]),
      ),
      schemas: { Problem: problemSchema },
      responses: Object.fromEntries(
        statuses.map((status) => [
          `Problem${status}`,
          {
            description: ERROR_TEXT[status],
            ...(status === 429 ? { headers: { 'Retry-After': { description: 'Seconds to wait', schema: { type: 'integer' } } } } : {}),
            content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
          },
        ]),
      ),
    },
  };
}
