import { Tracer } from '@aws-lambda-powertools/tracer';

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

/** An AWS SDK v3 client whose calls appear as subsegments of the invocation's trace. */
export function traced<T>(client: T): T {
  return tracer.captureAWSv3Client(client);
}

/**
 * Wraps a Lambda handler in a subsegment of its own, annotated with the cold start and the
 * service, with any error recorded on it; the handler's result is passed through untouched
 * (responses hold assertions and keys, so none is added to the trace as metadata).
 */
export function instrumented<E, R>(handler: (event: E) => Promise<R>): (event: E) => Promise<R> {
  return async (event) => {
    if (!tracer.isTracingEnabled()) return handler(event);
    const parent = tracer.getSegment();
    const segment = parent?.addNewSubsegment(`## ${process.env.AWS_LAMBDA_FUNCTION_NAME ?? 'handler'}`);
    if (segment) tracer.setSegment(segment);
    tracer.annotateColdStart();
    tracer.addServiceNameAnnotation();
    try {
      return await handler(event);
    } catch (error) {
      tracer.addErrorAsMetadata(error as Error);
      throw error;
    } finally {
      segment?.close();
      if (parent) tracer.setSegment(parent);
    }
  };
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
