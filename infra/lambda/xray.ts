/**
 * Bundled in place of `aws-xray-sdk-core` in every Lambda bundle (the alias in
 * infra/lambda/aliases.ts): the parts of the X-Ray SDK that Powertools Tracer calls, taken from
 * the SDK's own files, without what its entry point loads besides. Tracer
 * (`@aws-lambda-powertools/tracer`, its Tracer and ProviderService) takes from the SDK: the segment
 * context (getNamespace, getSegment, setSegment, setContextMissingStrategy), `Segment` and
 * `Subsegment`, captureFunc/captureAsyncFunc, the AWS SDK v3 patcher, setDaemonAddress and
 * setLogger, and the HTTP patcher when `captureHTTPsRequests` is on, which Tessera turns off on
 * purpose (shared/observability.ts: a webhook URL may carry its secret). The SDK's entry point also
 * loads the centralized sampling rule and target pollers, the EC2/ECS/Elastic Beanstalk plugins,
 * the SQL data class, the promise patcher and the AWS SDK v2 patcher: none of it runs in a Lambda
 * function (the SDK itself switches centralized sampling off there; sampling is Lambda's decision,
 * read from the trace header). The HTTP patcher and the SDK v2 one are left out too, and answer
 * with an error that says so.
 *
 * What the entry point does when it loads is done here the same way: the SDK and service data
 * every segment carries, and in Lambda (LAMBDA_TASK_ROOT set) its `env/aws_lambda` set-up, written
 * out below because that file also loads the sampling code: subsegments streamed as they close,
 * through a fresh socket each time, under a facade segment that reads the invocation's trace
 * header. test/unit/lambda-bundles.test.ts runs a bundled handler in a Lambda-like process and
 * receives its subsegments over UDP, next to the same handler bundled with the whole SDK.
 *
 * The files are reached by a relative path: an alias rewrites every `aws-xray-sdk-core/…`
 * specifier as well, to this module. The local runtime and the tests run the sources with the
 * SDK itself.
 */
import Segment from '../../node_modules/aws-xray-sdk-core/dist/lib/segments/segment';
import Subsegment from '../../node_modules/aws-xray-sdk-core/dist/lib/segments/attributes/subsegment';
import TraceID from '../../node_modules/aws-xray-sdk-core/dist/lib/segments/attributes/trace_id';
import { captureAsyncFunc, captureFunc } from '../../node_modules/aws-xray-sdk-core/dist/lib/capture';
import { captureAWSClient as captureAWSv3Client } from '../../node_modules/aws-xray-sdk-core/dist/lib/patchers/aws3_p';
import { name as sdkPackage, version as sdkVersion } from '../../node_modules/aws-xray-sdk-core/package.json';
// Modules whose functions read and write their own module object (`this.…`, `contextUtils.…`):
// taken whole, as CommonJS, so that calls keep it as their receiver.
import contextUtils = require('../../node_modules/aws-xray-sdk-core/dist/lib/context_utils');
import daemonConfig = require('../../node_modules/aws-xray-sdk-core/dist/lib/daemon_config');
import logging = require('../../node_modules/aws-xray-sdk-core/dist/lib/logger');
import segmentEmitter = require('../../node_modules/aws-xray-sdk-core/dist/lib/segment_emitter');
import segmentUtils = require('../../node_modules/aws-xray-sdk-core/dist/lib/segments/segment_utils');
import utils = require('../../node_modules/aws-xray-sdk-core/dist/lib/utils');

/** The AWS SDK v2 patcher is left out: Tessera's clients are SDK v3 ones, traced by captureAWSv3Client. */
function sdkV2NotBundled(): never {
  throw new Error('The X-Ray SDK v2 patcher (captureAWS, captureAWSClient) is not bundled in Tessera handlers: their AWS clients are SDK v3 ones');
}

/**
 * Outgoing HTTP calls are not traced (shared/observability.ts sets `captureHTTPsRequests: false`):
 * a trace would store a tenant's webhook URL, which may carry its secret in the path.
 */
function httpCaptureNotBundled(): never {
  throw new Error('X-Ray capture of outgoing HTTP calls is not bundled in Tessera handlers: a traced webhook URL could store its secret (captureHTTPsRequests: false)');
}

/** What the context utilities hold besides the functions their typings name. */
const context = contextUtils as typeof contextUtils & { contextMissingStrategy: { contextMissing(message: string): void } };

let lastTraceHeader: string | null = null;

/**
 * The segment Lambda opens for an invocation, as the SDK's `env/aws_lambda` builds it: it is never
 * sent itself; it carries the trace id and parent id of the invocation's trace header, read anew
 * for each invocation, so that the subsegments opened under it land in that trace.
 */
function facadeSegment(): Segment {
  const segment = new Segment('facade');
  const fields = segment as unknown as Record<string, unknown>;
  const kept = ['addNewSubsegment', 'addSubsegment', 'removeSubsegment', 'toString', 'addSubsegmentWithoutSampling', 'addNewSubsegmentWithoutSampling'];
  const silent = ['incrementCounter', 'decrementCounter', 'isClosed', 'close', 'format', 'flush'];
  for (const key in segment) {
    if (typeof fields[key] !== 'function' || kept.includes(key)) continue;
    fields[key] = silent.includes(key)
      ? () => undefined
      : () => {
          logging.getLogger().warn(`Function "${key}" cannot be called on an AWS Lambda segment. Please use a subsegment to record data.`);
        };
  }
  const facade = segment as Segment & { trace_id: string; in_progress: boolean; counter: number; notTraced: boolean; facade: boolean; subsegments?: unknown };
  facade.trace_id = TraceID.Invalid().toString();
  fields.isClosed = () => true;
  facade.in_progress = false;
  facade.counter = 1;
  facade.notTraced = true;
  facade.facade = true;
  fields.reset = function reset(this: typeof facade) {
    this.trace_id = TraceID.Invalid().toString();
    this.id = '00000000';
    delete this.subsegments;
    this.notTraced = true;
  };
  fields.resolveLambdaTraceData = function resolveLambdaTraceData(this: typeof facade & { reset(): void }) {
    const store = (globalThis as { awslambda?: { InvokeStore?: { getXRayTraceId(): string | undefined } } }).awslambda?.InvokeStore;
    const header = store?.getXRayTraceId() ?? process.env._X_AMZN_TRACE_ID;
    if (header) {
      // A new trace header resets the trace data, so nothing leaks from one invocation to the next.
      if (header !== lastTraceHeader) {
        this.reset();
        if (utils.LambdaUtils.populateTraceData(segment, header)) lastTraceHeader = header;
      }
    } else {
      this.reset();
      context.contextMissingStrategy.contextMissing(
        'Missing AWS Lambda trace data for X-Ray. Ensure Active Tracing is enabled and no subsegments are created outside the function handler.',
      );
    }
  };
  // A valid header at start-up (rare: this usually runs before the first invocation) is taken at once.
  const atStart = process.env._X_AMZN_TRACE_ID;
  if (utils.LambdaUtils.validTraceData(atStart) && atStart && utils.LambdaUtils.populateTraceData(segment, atStart)) lastTraceHeader = atStart;
  return segment;
}

segmentUtils.setSDKData({ sdk: 'X-Ray for Node.js', sdk_version: sdkVersion, package: sdkPackage });
segmentUtils.setServiceData({
  runtime: process.release?.name ?? 'unknown',
  runtime_version: process.version,
  version: process.env.npm_package_version || 'unknown',
  name: process.env.npm_package_name || 'unknown',
});
if (process.env.LAMBDA_TASK_ROOT) {
  segmentEmitter.disableReusableSocket();
  segmentUtils.setStreamingThreshold(0);
  // The SDK logs this in Lambda when it stops its sampling pollers; here they are never loaded.
  logging.getLogger().info('Disabling centralized sampling in Lambda environment.');
  const namespace = contextUtils.getNamespace();
  namespace.enter(namespace.createContext());
  contextUtils.setSegment(facadeSegment());
}

export default {
  captureAWS: sdkV2NotBundled,
  captureAWSClient: sdkV2NotBundled,
  captureAWSv3Client,
  captureAsyncFunc,
  captureFunc,
  captureHTTPsGlobal: httpCaptureNotBundled,
  getNamespace: contextUtils.getNamespace,
  getSegment: contextUtils.getSegment,
  setSegment: contextUtils.setSegment,
  setContextMissingStrategy: contextUtils.setContextMissingStrategy,
  setDaemonAddress: daemonConfig.setDaemonAddress,
  setLogger: logging.setLogger,
  getLogger: logging.getLogger,
  Segment,
  Subsegment,
};
