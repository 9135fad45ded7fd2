import { Logger } from '@aws-lambda-powertools/logger';
import { Tracer } from '@aws-lambda-powertools/tracer';
import type { Context } from 'aws-lambda';

/**
 * The `service` every log line, metric and trace carries: `tessera-<stage>` on AWS (the stack
 * sets POWERTOOLS_SERVICE_NAME), so two stages in one account never mix their figures.
 */
export const SERVICE_NAME = process.env.POWERTOOLS_SERVICE_NAME || 'tessera';

/**
 * X-Ray through Powertools Tracer. It switches itself off outside Lambda (the local runtime,
 * tests). Outgoing HTTP calls are not traced: a tenant's webhook URL may carry its secret in the
 * path, and a trace would store it.
 */
export const tracer = new Tracer({ serviceName: SERVICE_NAME, captureHTTPsRequests: false });

let containerLogger: Logger | undefined;

/**
 * The container's one Powertools Logger: every handler, service and adapter of a Lambda logs
 * through it, so the Lambda context that {@link lambdaHandler} adds to it at each invocation
 * (function_request_id, cold_start, function_name…) is on every line. Built on first use, after
 * the runtime has set POWERTOOLS_LOG_LEVEL (the local runtime sets it before loading handlers).
 */
export function serviceLogger(): Logger {
  containerLogger ??= new Logger({ serviceName: SERVICE_NAME });
  return containerLogger;
}

/** An AWS SDK v3 client whose calls appear as subsegments of the invocation's trace. */
export function traced<T>(client: T): T {
  return tracer.captureAWSv3Client(client);
}

/** A Lambda handler with the signature the Lambda runtime calls (and the local runtime imitates). */
export type LambdaHandler<E, R> = (event: E, context: Context) => Promise<R>;

type HandlerDecorator = ReturnType<Tracer['captureLambdaHandler']>;

/**
 * A Lambda entry point wrapped by Powertools' own handler wrappers, its two method decorators,
 * applied the way `@decorator` syntax applies them to a handler class's method (innermost first):
 * - Logger's `injectLambdaContext` adds the invocation's Lambda context to the container's
 *   logger, so each line logged while handling it carries its request id;
 * - Tracer's `captureLambdaHandler` runs the invocation in a subsegment of its own, annotated with
 *   the cold start and the service, records any error thrown on it, and adds nothing of the
 *   response (`captureResponse: false`: responses hold assertions and keys).
 * Not the middy middlewares: `@middy/core` is ESM-only (its package exports only an `import`
 * condition), and the sources run as CommonJS under tsx (the local runtime) and jest, where
 * `require('@middy/core')` cannot resolve it.
 */
export function lambdaHandler<E, R>(handler: LambdaHandler<E, R>): LambdaHandler<E, R> {
  const method = { value: handler };
  const decorate = (decorator: HandlerDecorator) => decorator({ handler }, 'handler', method as Parameters<HandlerDecorator>[2]);
  // R28: never the event itself (API keys, codes, phone numbers), whatever POWERTOOLS_LOGGER_LOG_EVENT says.
  decorate(serviceLogger().injectLambdaContext({ logEvent: false }));
  decorate(tracer.captureLambdaHandler({ captureResponse: false }));
  return method.value;
}

/** Records an unexpected error (a 500) on the invocation's trace, which the HTTP wrapper otherwise answers and swallows. */
export function traceError(error: unknown): void {
  if (!tracer.isTracingEnabled()) return;
  tracer.addErrorAsMetadata(error instanceof Error ? error : new Error(String(error)));
}

/** Indexed trace annotations: which tenant a request was for (an id, never a secret). */
export function annotate(keys: Readonly<Record<string, string>>): void {
  if (!tracer.isTracingEnabled()) return;
  for (const [key, value] of Object.entries(keys)) tracer.putAnnotation(key, value);
}
