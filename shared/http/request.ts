import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import * as z from '../zod';
import { PayloadTooLargeError, UnsupportedMediaTypeError, ValidationError } from '../domain/errors';
import { MAX_JSON_BODY_BYTES } from '../rules';

function rawBody(event: APIGatewayProxyEventV2): Buffer {
  if (event.body === undefined || event.body === null) return Buffer.alloc(0);
  return event.isBase64Encoded ? Buffer.from(event.body, 'base64') : Buffer.from(event.body, 'utf8');
}

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;.*)?$/i;

/**
 * Reads a JSON body and checks it against a zod schema (R29): wrong content type → 415, larger
 * than MAX_JSON_BODY_BYTES → 413, malformed JSON, wrong types or unknown fields → 400 with a
 * JSON pointer per problem.
 */
export function parseJsonBody<S extends z.core.$ZodType>(event: APIGatewayProxyEventV2, schema: S): z.infer<S> {
  const body = rawBody(event);
  if (body.length > MAX_JSON_BODY_BYTES) {
    throw new PayloadTooLargeError(`The body may be at most ${MAX_JSON_BODY_BYTES} bytes`);
  }
  const contentType = event.headers?.['content-type'] ?? '';
  if (body.length > 0 && !JSON_TYPE.test(contentType)) {
    throw new UnsupportedMediaTypeError('Send the body as application/json');
  }
  let value: unknown = undefined;
  if (body.length > 0) {
    try {
      value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body));
    } catch {
      throw new ValidationError('The body is not valid UTF-8 JSON');
    }
  }
  return validate(schema, value, 'body');
}

/** A text body of one of the given media types (CSV imports), at most `maxBytes`. */
export function readText(event: APIGatewayProxyEventV2, contentTypes: readonly string[], maxBytes: number): string {
  const body = rawBody(event);
  if (body.length > maxBytes) throw new PayloadTooLargeError(`The body may be at most ${maxBytes} bytes`);
  const type = (event.headers?.['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (!contentTypes.includes(type)) throw new UnsupportedMediaTypeError(`Send the body as ${contentTypes.join(' or ')}`);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    throw new ValidationError('The body is not valid UTF-8');
  }
}

/** Checks any value (body, path or query parameters) against a schema, as a 400 on failure. */
export function validate<S extends z.core.$ZodType>(schema: S, value: unknown, what: string): z.infer<S> {
  const parsed = z.safeParse(schema, value);
  if (parsed.success) return parsed.data;
  const pointer = (path: readonly PropertyKey[]) => path.map((p) => `/${String(p).replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
  const errors = parsed.error.issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({ pointer: pointer([...issue.path, key]), detail: 'is not a known field' }))
      : [{ pointer: pointer(issue.path), detail: issue.message }],
  );
  throw new ValidationError(`The ${what} is not valid`, errors);
}

export function header(event: APIGatewayProxyEventV2, name: string): string | undefined {
  return event.headers?.[name.toLowerCase()];
}
