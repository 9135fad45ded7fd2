import { ConditionalCheckFailedException, ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import { KMSInternalException } from '@aws-sdk/client-kms';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { isLocalLockTimeout } from '../../shared/adapters/dynamo/errors';
import { transact } from '../../shared/adapters/dynamo/transact';
import { NotFoundError } from '../../shared/domain/errors';
import { httpHandler, type HandlerLogger } from '../../shared/http/handler';
import { localContext } from '../../infra/local/context';
import { toProblem, TRANSIENT_RETRY_AFTER_SECONDS } from '../../shared/http/problem';
import { SilentLog } from '../support/fakes';

/*
 * A throttled or unreachable backing service is a retriable 503 with Retry-After, never a 500
 * (issue 10, faults); anything else unknown stays a bare 500 that says nothing.
 */

const meta = { $metadata: {} };
const networkError = (code: string) => Object.assign(new Error('socket hang up'), { code });

describe('transient failures of AWS services become a retriable 503', () => {
  it.each([
    ['DynamoDB throttling', new ProvisionedThroughputExceededException({ message: 'slow down', ...meta })],
    ['a throttling error by name', Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' })],
    ['a server-side fault', new KMSInternalException({ message: 'oops', ...meta })],
    ['a dropped connection', networkError('ECONNRESET')],
    ['a refused connection', networkError('ECONNREFUSED')],
    ['an SDK timeout', Object.assign(new Error('timed out'), { name: 'TimeoutError' })],
    ['the SDK wrapper of a foreign-realm error', new Error('AWS SDK error wrapper for TimeoutError: socket hang up')],
    ['a cause further down', new Error('store failed', { cause: networkError('ETIMEDOUT') })],
  ])('%s', (_name, error) => {
    const result = toProblem(error, '/v1/challenges');
    expect(result.statusCode).toBe(503);
    expect(result.headers).toMatchObject({ 'content-type': 'application/problem+json', 'retry-after': String(TRANSIENT_RETRY_AFTER_SECONDS) });
    expect(JSON.parse(result.body ?? '')).toMatchObject({ type: 'urn:tessera:problem:service-unavailable', status: 503, retryAfter: TRANSIENT_RETRY_AFTER_SECONDS });
    expect(result.body).not.toMatch(/socket|hang up|oops|slow down/);
  });

  it.each([
    ['a failed condition', new ConditionalCheckFailedException({ message: 'no', ...meta })],
    ['a plain bug', new TypeError('x is undefined')],
    ['a thrown string', 'boom'],
    // A name that does not resolve is a wrong endpoint or region: retrying would never help.
    ['a host name that does not resolve', networkError('ENOTFOUND')],
  ])('%s stays a 500', (_name, error) => {
    expect(toProblem(error).statusCode).toBe(500);
  });

  it('a domain error is never reclassified', () => {
    expect(toProblem(new NotFoundError('none')).statusCode).toBe(404);
  });
});

class HandlerLog extends SilentLog implements HandlerLogger {
  appendKeys(): void {}
  resetKeys(): void {}
}

describe('httpHandler and a throttled table', () => {
  it('answers the retriable 503 and logs a warning (not an error) without the request', async () => {
    const log = new HandlerLog();
    const handler = httpHandler({ authenticate: async () => undefined, log }, async () => {
      throw new ProvisionedThroughputExceededException({ message: 'slow down', ...meta });
    });
    const event = { rawPath: '/v1/challenges', headers: {}, requestContext: { http: { method: 'POST', sourceIp: '127.0.0.1' } } } as unknown as APIGatewayProxyEventV2;
    const result = await handler(event, localContext('get-challenge'));
    expect(result.statusCode).toBe(503);
    expect(log.entries.map((e) => [e.level, e.message])).toEqual([['warn', 'backing service unavailable']]);
  });
});

describe("DynamoDB Local's lock timeout is retried like a transaction conflict", () => {
  const lockTimeout = Object.assign(new Error('This action timed out because it too long waiting for a lock. This request will succeed in actual DynamoDB API'), { name: 'InternalServerError' });

  it('is told apart from any other internal error', () => {
    expect(isLocalLockTimeout(lockTimeout)).toBe(true);
    expect(isLocalLockTimeout(Object.assign(new Error('Internal server error (injected)'), { name: 'InternalServerError' }))).toBe(false);
    expect(isLocalLockTimeout(new Error('waiting for a lock'))).toBe(false);
  });

  it('a transaction that meets it is sent again and succeeds', async () => {
    let sends = 0;
    const db = { send: async () => (++sends < 3 ? Promise.reject(lockTimeout) : {}) } as unknown as DynamoDBDocumentClient;
    await expect(transact(db, [])).resolves.toEqual({ kind: 'done' });
    expect(sends).toBe(3);
  });
});
