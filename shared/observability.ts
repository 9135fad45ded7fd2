import { Tracer } from '@aws-lambda-powertools/tracer';

/**
 * The `service` every log line, metric and trace carries: `tessera-<stage>` on AWS (the stack
 * sets POWERTOOLS_SERVICE_NAME), so two stages in one account never mix their figures.
 */
export const SERVICE_NAME = process.env.POWERTOOLS_SERVICE_NAME || 'tessera';

/** X-Ray through Powertools Tracer. It switches itself off outside Lambda (the local runtime, tests). */
export const tracer = new Tracer({ serviceName: SERVICE_NAME });

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

/** Indexed trace annotations: which tenant a request was for (an id, never a secret). */
export function annotate(keys: Readonly<Record<string, string>>): void {
  if (!tracer.isTracingEnabled()) return;
  for (const [key, value] of Object.entries(keys)) tracer.putAnnotation(key, value);
}
