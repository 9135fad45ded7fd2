import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { localContext } from '../../infra/local/context';
import { anyone, httpHandler } from '../../shared/http/handler';
import { lambdaHandler, serviceLogger } from '../../shared/observability';

function event(): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: 'GET /.well-known/jwks.json',
    rawPath: '/.well-known/jwks.json',
    rawQueryString: '',
    headers: {},
    isBase64Encoded: false,
    requestContext: { http: { method: 'GET', path: '/.well-known/jwks.json', protocol: 'HTTP/1.1', sourceIp: '198.51.100.7', userAgent: 'test' } },
  } as APIGatewayProxyEventV2;
}

/** The JSON lines the container's Powertools Logger writes while `run` runs. */
async function loggedLines(run: () => Promise<unknown>): Promise<Record<string, unknown>[]> {
  const written: string[] = [];
  const capture = (chunk: unknown) => {
    written.push(String(chunk));
    return true;
  };
  const out = jest.spyOn(process.stdout, 'write').mockImplementation(capture);
  const err = jest.spyOn(process.stderr, 'write').mockImplementation(capture);
  try {
    await run();
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
  return written
    .join('')
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('observability: the Lambda context on every log line', () => {
  it('R28: never logs the invocation event (keys, codes, phone numbers), even with POWERTOOLS_LOGGER_LOG_EVENT set', async () => {
    process.env.POWERTOOLS_LOGGER_LOG_EVENT = 'true';
    try {
      let fresh: typeof import('../../shared/observability') | undefined;
      // A container started with the variable set: its Logger reads the environment when it is made.
      jest.isolateModules(() => {
        fresh = jest.requireActual<typeof import('../../shared/observability')>('../../shared/observability');
      });
      const handler = fresh!.lambdaHandler(async (_event: unknown) => ({ statusCode: 204 }));
      const invocation = { headers: { authorization: 'Bearer tsr_auth_secret' }, body: '{"code":"492817","phone":"+14155550123"}' };
      const lines = await loggedLines(() => handler(invocation, localContext('verify-challenge')));
      const written = JSON.stringify(lines);
      expect(written).not.toContain('tsr_auth_secret');
      expect(written).not.toContain('492817');
      expect(written).not.toContain('+14155550123');
    } finally {
      delete process.env.POWERTOOLS_LOGGER_LOG_EVENT;
    }
  });

  it("puts each invocation's request id on the lines logged while handling it, and a new one on the next", async () => {
    const log = serviceLogger();
    const handler = httpHandler({ authenticate: anyone, log }, async () => {
      log.warn('handling');
      return { status: 204 };
    });
    const first = localContext('jwks');
    const second = localContext('jwks');
    expect(first.awsRequestId).not.toBe(second.awsRequestId);

    const lines = await loggedLines(async () => {
      await handler(event(), first);
      await handler(event(), second);
    });

    const handling = lines.filter((line) => line.message === 'handling');
    expect(handling.map((line) => line.function_request_id)).toEqual([first.awsRequestId, second.awsRequestId]);
    expect(handling[0]).toMatchObject({ function_name: 'tessera-jwks', service: expect.any(String) });
  });

  it("carries the request id on the line of an unexpected error, which the HTTP wrapper logs and answers as a 500", async () => {
    const handler = httpHandler({ authenticate: anyone, log: serviceLogger() }, async () => {
      throw new TypeError('boom');
    });
    const context = localContext('jwks');
    let status: number | undefined;
    const lines = await loggedLines(async () => {
      status = (await handler(event(), context)).statusCode;
    });
    expect(status).toBe(500);
    expect(lines.find((line) => line.message === 'unhandled error')).toMatchObject({ level: 'ERROR', function_request_id: context.awsRequestId });
  });

  it('wraps non-HTTP handlers the same way, passing the result and any error through untouched', async () => {
    const log = serviceLogger();
    const result = { month: '2026-10', keys: { csv: 'billing/2026-10.csv' } };
    const ok = lambdaHandler(async (input: { month: string }) => {
      log.warn('running', { month: input.month });
      return result;
    });
    const context = localContext('billing-run');
    let answered: unknown;
    const lines = await loggedLines(async () => {
      answered = await ok({ month: '2026-10' }, context);
    });
    expect(answered).toBe(result);
    expect(lines.find((line) => line.message === 'running')).toMatchObject({ function_request_id: context.awsRequestId, month: '2026-10' });

    const failure = new Error('Invalid billing event');
    const failing = lambdaHandler(async () => {
      throw failure;
    });
    await expect(failing(undefined, localContext('billing-run'))).rejects.toBe(failure);
  });
});
