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

/** What each tag groups; typed by the tags of ROUTE_DOCS, so a new tag needs its description. */
const TAG_TEXT: Record<RouteDoc['tag'], string> = {
  Challenges: 'Relying apps start a second-factor challenge (SMS, voice call, push, authenticator app, OATH token), check its code, resend it and poll it; the JWKS checks the signed assertion of an approved one.',
  Push: 'Push activation: an admin issues a one-time activation code; the phone trades it for a device id and key, then answers prompts with an HMAC made with that key. The phone’s routes are public.',
  Users: 'A tenant’s users: list, import from CSV, create, change, delete, reset, block and unblock them, and clear their rate limits.',
  Authenticators: 'Authenticator apps (TOTP): enrol one with an otpauth URI and QR code shown once, confirm it with a current code, remove it.',
  Passkeys:
    'Passkeys (WebAuthn): a relying app or an admin gets creation options for a user, the browser makes the passkey, Tessera checks and stores it; admins list, rename and delete a user’s passkeys. Sign-in is a challenge with method "passkey".',
  'Remembered devices':
    'Remembered devices: after an approved challenge a relying app may get a token for the device, bound to the user and a value of its own, and later ask whether it is still good instead of challenging the user again; admins see and revoke a user’s remembered devices.',
  'App passwords': 'Passwords for legacy clients that cannot show a second-factor prompt: created per user and shown once, listed without secrets, deleted, verified by relying apps.',
  'OATH tokens': 'Hardware OATH tokens: import them from CSV or PSKC, list, assign to a user, take back, and resynchronise a drifted token.',
  Tenant: 'A tenant’s own configuration: its MFA provider and billing model, its settings (methods, caller ID, countries, webhook, limits) and its API keys.',
  'Logs and billing': 'What happened and what it costs: the authentication log, usage per day, the bill of a month, and the notifications sent to the webhook.',
  Operator: 'For the operator of the service, with the operator key: create tenants and rotate the key that signs assertions.',
  Service: 'This description of the API, as an OpenAPI 3.1 document and as an HTML page.',
};

/**
 * Every route shares the API stage's throttle (infra/api-stack.ts). API Gateway answers it before
 * any handler runs, with its own body, not a problem. Documented on the public routes that have
 * no 429 of their own; the local runtime does not throttle.
 */
const STAGE_THROTTLED: Json = {
  description: 'Too many requests: the API stage’s throttle (on AWS). API Gateway answers this itself, not with a problem',
  content: {
    'application/json': {
      schema: { type: 'object', properties: { message: { type: 'string', const: 'Too Many Requests' } }, required: ['message'] },
    },
  },
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
  if (route.scope === 'public' && !responses['429']) responses['429'] = { $ref: '#/components/responses/StageThrottled' };
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
      // package.json's "UNLICENSED": proprietary, no SPDX identifier and no licence text to link.
      license: { name: 'UNLICENSED (proprietary: all rights reserved)' },
      description:
        'Relying apps start and verify second-factor challenges with an `auth` key; tenant admins manage users, methods, settings, logs and bills with an `admin` key. ' +
        'Every error is an RFC 9457 problem (`application/problem+json`).',
    },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    servers: [{ url: '/' }],
    tags: [...new Set(Object.values(ROUTE_DOCS).map((d: RouteDoc) => d.tag))].map((name) => ({ name, description: TAG_TEXT[name] })),
    paths,
    components: {
      securitySchemes: Object.fromEntries(
        Object.values(SECURITY_SCHEMES).map(({ name, description }) => [name, { type: 'http', scheme: 'bearer', description }]),
      ),
      schemas: { Problem: problemSchema },
      responses: Object.fromEntries([
        ...statuses.map((status) => [
          `Problem${status}`,
          {
            description: ERROR_TEXT[status],
            ...(status === 429 ? { headers: { 'Retry-After': { description: 'Seconds to wait', schema: { type: 'integer' } } } } : {}),
            content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
          },
        ]),
        ['StageThrottled', STAGE_THROTTLED],
      ]),
    },
  };
}

/**
 * The document as the file the openapi handler serves, shared/api/openapi.json: generated by
 * `npm run docs`, so that the handler's cold start neither loads zod nor converts every schema.
 * A test fails when the file differs from what the code generates now.
 */
export function openApiJson(): string {
  return `${JSON.stringify(openApiDocument(), null, 2)}\n`;
}
