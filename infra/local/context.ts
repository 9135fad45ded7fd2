import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import type { FunctionName } from '../../shared/routes';

/** What infra/function.ts deploys every handler with, as the context reports it. */
const MEMORY_MB = '512';
const DEFAULT_TIMEOUT_MS = 10_000;

const notOnThisRuntime = (name: string) => () => {
  throw new Error(`context.${name}() is the callback style, which Tessera's async handlers do not use`);
};

/**
 * The Lambda context the local runtime hands each invocation, as the Lambda runtime does: a fresh
 * `awsRequestId` every time (Powertools Logger puts it on every line as function_request_id),
 * the function's name as the stack names it, and the time left before its timeout.
 */
export function localContext(name: FunctionName, timeoutMs = DEFAULT_TIMEOUT_MS): Context {
  const deadline = Date.now() + timeoutMs;
  const functionName = `tessera-${name}`;
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${functionName}`,
    memoryLimitInMB: MEMORY_MB,
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: notOnThisRuntime('done'),
    fail: notOnThisRuntime('fail'),
    succeed: notOnThisRuntime('succeed'),
  };
}
