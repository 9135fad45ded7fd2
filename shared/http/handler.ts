import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type * as z from '../zod';
import { authenticateOperator, type ApiKeyAuthenticator } from '../domain/api-keys';
import type { RequestCaps } from '../domain/request-caps';
import type { ApiScope, Principal } from '../domain/types';
import { annotate, lambdaHandler, traceError, type LambdaHandler } from '../observability';
import type { Log } from '../ports';
import { toProblem, transientFailure } from './problem';
import { header, parseJsonBody, readText, validate } from './request';

export type HttpEvent = APIGatewayProxyEventV2;
export type HttpResult = APIGatewayProxyStructuredResultV2;

export interface Reply {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
}

export interface Request<P> {
  readonly event: HttpEvent;
  readonly principal: P;
  readonly method: string;
  /** The matched route, e.g. `POST /v1/admin/users/{userId}/block`. */
  readonly route: string;
  /** The JSON body, checked against the schema (400/413/415 otherwise). */
  json<S extends z.core.$ZodType>(schema: S): z.infer<S>;
  /** A path parameter, checked against the schema (400 when malformed). */
  param<S extends z.core.$ZodType>(name: string, schema: S): z.infer<S>;
  /** The query string, checked against the schema. */
  query<S extends z.core.$ZodType>(schema: S): z.infer<S>;
  header(name: string): string | undefined;
  /** The raw body as text, for non-JSON uploads (CSV): checks size and content type. */
  text(contentTypes: readonly string[], maxBytes: number): string;
}

type Authenticate<P> = (event: HttpEvent) => Promise<P>;

/** Authentication by a tenant API key of the given scope (R27). */
export const tenantKey =
  (authenticator: ApiKeyAuthenticator, scope: ApiScope): Authenticate<Principal> =>
  async (event) => ({
    ...(await authenticator.authenticate(header(event, 'authorization'), scope)),
    sourceIp: event.requestContext.http.sourceIp,
  });

export const operatorKey =
  (operatorKeySha256: string): Authenticate<{ operator: true }> =>
  async (event) => {
    authenticateOperator(header(event, 'authorization'), operatorKeySha256);
    return { operator: true };
  };

export const anyone: Authenticate<undefined> = async () => undefined;

/** Public routes that do costly work carry no key: each source address has a request cap instead (R6). */
export const capPerSource =
  (caps: RequestCaps): Authenticate<undefined> =>
  async (event) => {
    await caps.source(event.requestContext.http.sourceIp);
    return undefined;
  };

export interface HandlerLogger extends Log {
  appendKeys(keys: Record<string, unknown>): void;
  resetKeys(): void;
}

/**
 * The shape of every HTTP handler: authenticate, run the domain call, answer JSON; any error
 * becomes one RFC 9457 problem (R29). Unknown errors are logged with their cause and answered
 * with a generic 500 that reveals nothing. Each invocation is traced (X-Ray, on AWS) and its
 * log lines carry its request id ({@link lambdaHandler}).
 */
export function httpHandler<P>(
  options: { authenticate: Authenticate<P>; log: HandlerLogger },
  run: (request: Request<P>) => Promise<Reply>,
): LambdaHandler<HttpEvent, HttpResult> {
  const { log } = options;
  return lambdaHandler(async (event: HttpEvent) => {
    const instance = event.rawPath;
    try {
      const principal = await options.authenticate(event);
      if (principal && typeof principal === 'object' && 'tenantId' in principal) {
        log.appendKeys({ tenantId: principal.tenantId });
        annotate({ tenantId: String(principal.tenantId) });
      }
      const reply = await run({
        event,
        principal,
        method: event.requestContext.http.method,
        route: event.routeKey,
        query: (schema) => validate(schema, event.queryStringParameters ?? {}, 'query string'),
        text: (types, max) => readText(event, types, max),
        json: (schema) => parseJsonBody(event, schema),
        param: (name, schema) => validate(schema, event.pathParameters?.[name], `path parameter "${name}"`),
        header: (name) => header(event, name),
      });
      return {
        statusCode: reply.status,
        headers: {
          'cache-control': 'no-store',
          ...(reply.body === undefined ? {} : { 'content-type': 'application/json' }),
          ...reply.headers,
        },
        ...(reply.body === undefined ? {} : { body: JSON.stringify(reply.body) }),
      };
    } catch (error) {
      const result = toProblem(error, instance);
      if (result.statusCode === 500) traceError(error);
      if (result.statusCode === 500) log.error('unhandled error', { error: error instanceof Error ? { name: error.name, message: error.message, stack: error.stack } : String(error) });
      // A throttled or unreachable AWS service (503, retriable): worth seeing, not a bug.
      else if (transientFailure(error)) log.warn('backing service unavailable', { error: error instanceof Error ? { name: error.name, message: error.message } : String(error) });
      return result;
    } finally {
      log.resetKeys();
    }
  });
}
