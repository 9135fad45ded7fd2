import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import * as z from 'zod';
import { PHONE_ACTIONS } from '../../shared/adapters/local/telephone';
import { LOCAL_SMS_PROVIDERS, localClock, localMetrics, localOutbox, localTelephone } from '../../shared/adapters/local/world';
import { DomainError, ServiceUnavailableError } from '../../shared/domain/errors';
import { problemResponse, PROBLEM_TYPE_PREFIX, toProblem } from '../../shared/http/problem';
import type { HttpEvent, HttpResult } from '../../shared/http/handler';
import { ROUTES, type RouteDefinition } from '../../shared/routes';
import { runBilling } from './billing';
import { rememberActivation, serveDevices } from './devices';
import { serveFaults } from './faults';
import { localContext } from './context';
import { localProjection } from './projection';
import { HANDLERS } from './handlers';
import { serveWeb } from './web';
import { localObjectStore } from './root';
import { config } from '../../shared/composition';
import { LOCAL_OBJECTS_PATH } from '../../shared/adapters/objects/file-object-store';
import type { LocalConfig } from '../../shared/config';

/** API Gateway HTTP APIs refuse bodies over 10 MB; the local server does the same. */
const MAX_REQUEST_BYTES = 10 * 1024 * 1024;

/** A handler module's entry point as the server calls it: each call gets a fresh Lambda context (localContext). */
type Handler = (event: HttpEvent) => Promise<HttpResult>;

interface CompiledRoute {
  readonly route: RouteDefinition;
  readonly pattern: RegExp;
  readonly params: string[];
}

function compile(route: RouteDefinition): CompiledRoute {
  const params: string[] = [];
  const source = route.path
    .split(/(\{[^}]+\})/)
    .map((part) => {
      const param = /^\{([^}]+)\}$/.exec(part);
      if (!param?.[1]) return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      params.push(param[1]);
      return '([^/]+)';
    })
    .join('');
  return { route, pattern: new RegExp(`^${source}$`), params };
}

const TEXT_TYPES = /^(application\/([\w.+-]+\+)?json|text\/|application\/(x-www-form-urlencoded|xml))/i;

/** Turns a Node request into the API Gateway HTTP API (payload format 2.0) event a Lambda receives. */
export function toEvent(req: IncomingMessage, body: Buffer, route: CompiledRoute, match: RegExpExecArray): HttpEvent {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(',') : value;
  }
  const query: Record<string, string> = {};
  for (const [k, v] of url.searchParams) query[k] = query[k] === undefined ? v : `${query[k]},${v}`;
  const pathParameters = Object.fromEntries(route.params.map((name, i) => [name, decodeURIComponent(match[i + 1] ?? '')]));
  const isText = body.length === 0 || TEXT_TYPES.test(headers['content-type'] ?? '');
  const now = Date.now();
  const routeKey = `${route.route.method} ${route.route.path}`;
  return {
    version: '2.0',
    routeKey,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    ...(Object.keys(query).length ? { queryStringParameters: query } : {}),
    ...(route.params.length ? { pathParameters } : {}),
    ...(body.length ? { body: isText ? body.toString('utf8') : body.toString('base64') } : {}),
    isBase64Encoded: body.length > 0 && !isText,
    requestContext: {
      accountId: 'local',
      apiId: 'local',
      domainName: headers.host ?? 'localhost',
      domainPrefix: 'localhost',
      http: {
        method: req.method ?? 'GET',
        path: url.pathname,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp: (req.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, ''),
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey,
      stage: '$default',
      time: new Date(now).toUTCString(),
      timeEpoch: now,
    },
  };
}

/** A handler's answer as API Gateway sends it: a body marked base64 goes out as the bytes it encodes. */
function send(res: ServerResponse, result: HttpResult): void {
  res.writeHead(result.statusCode ?? 200, result.headers as Record<string, string>);
  res.end(result.isBase64Encoded ? Buffer.from(result.body ?? '', 'base64') : (result.body ?? ''));
}

function json(res: ServerResponse, status: number, body: unknown): void {
  send(res, { statusCode: status, headers: { 'content-type': 'application/json', 'cache-control': 'no-store' }, body: JSON.stringify(body) });
}

function problem(res: ServerResponse, status: number, code: string, title: string, detail: string): void {
  send(res, problemResponse({ type: `${PROBLEM_TYPE_PREFIX}${code}`, title, status, detail }));
}

async function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_REQUEST_BYTES) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

const advanceClock = z.strictObject({
  // Fractions allowed: tests set the clock to an exact instant (23:59:59 on a month's last day).
  advanceSeconds: z.number().min(0).max(366 * 24 * 3600).optional(),
  frozen: z.boolean().optional(),
});
const providerState = z.strictObject({ state: z.enum(['up', 'down']) });
const phoneAnswer = z.strictObject({ action: z.enum(PHONE_ACTIONS) });
const billingRun = z.strictObject({ month: z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/).optional() });
const phoneScript = z.strictObject({ script: z.enum([...PHONE_ACTIONS, 'manual']) });
const E164 = /^\+[1-9]\d{6,14}$/;
const PHONE_PATH = /^\/local\/phone\/([^/]+)(\/answer|\/script)?$/;

/**
 * The simulated world, under /local: the SMS outbox (R16's two local providers, each of which
 * can be switched off), the telephone network for voice calls (each number scripted, or
 * answered by hand), and the clock, which tests move forward instead of sleeping.
 */
async function serveLocal(req: IncomingMessage, res: ServerResponse, url: URL, body: Buffer): Promise<boolean> {
  const parse = <S extends z.ZodType>(schema: S): z.infer<S> | undefined => {
    try {
      const parsed = schema.safeParse(JSON.parse(body.toString('utf8') || '{}'));
      if (parsed.success) return parsed.data;
    } catch {
      // fall through to the problem below
    }
    problem(res, 400, 'validation-failed', 'Your request is not valid', `Expected ${JSON.stringify(z.toJSONSchema(schema))}`);
    return undefined;
  };
  const key = `${req.method} ${url.pathname}`;
  if (key === 'GET /local/outbox') {
    json(res, 200, localOutbox.list(url.searchParams.get('to') ?? undefined));
    return true;
  }
  if (key === 'GET /local/metrics') {
    // What the handlers publish to CloudWatch on AWS (namespace Tessera), as totals since start.
    json(res, 200, localMetrics.list());
    return true;
  }
  if (key === 'GET /local/clock' || key === 'POST /local/clock') {
    if (req.method === 'POST') {
      const input = parse(advanceClock);
      if (!input) return true;
      if (input.frozen !== undefined) localClock.setFrozen(input.frozen);
      if (input.advanceSeconds) localClock.advance(input.advanceSeconds);
    }
    json(res, 200, { now: new Date(localClock.now()).toISOString(), offsetSeconds: localClock.offsetSeconds, frozen: localClock.frozen });
    return true;
  }
  if (key === 'POST /local/projection/drain') {
    // Waits until every challenge change so far has its auth-log lines, usage and billing meter.
    await localProjection.drain();
    res.writeHead(204).end();
    return true;
  }
  if (key === 'POST /local/billing-run') {
    // What the schedule does on the 1st (R26), on demand: `{ "month": "YYYY-MM" }`, or last month.
    const input = parse(billingRun);
    if (!input) return true;
    try {
      json(res, 200, await runBilling(input.month));
    } catch (error) {
      // A month not yet ended is refused (400); a projection that cannot catch up, 503 with Retry-After.
      if (error instanceof DomainError) send(res, toProblem(error));
      else problem(res, 400, 'validation-failed', 'The billing run was refused', error instanceof Error ? error.message : String(error));
    }
    return true;
  }
  if (key === 'GET /local/sms-providers') {
    json(res, 200, localOutbox.providerStates(LOCAL_SMS_PROVIDERS));
    return true;
  }
  const provider = /^\/local\/sms-providers\/([a-z-]+)$/.exec(url.pathname)?.[1];
  if (req.method === 'PUT' && provider && (LOCAL_SMS_PROVIDERS as readonly string[]).includes(provider)) {
    const input = parse(providerState);
    if (!input) return true;
    localOutbox.setDown(provider, input.state === 'down');
    json(res, 200, localOutbox.providerStates(LOCAL_SMS_PROVIDERS));
    return true;
  }
  if (key === 'PUT /local/phone-default') {
    const input = parse(phoneScript);
    if (!input) return true;
    localTelephone.setDefault(input.script);
    json(res, 200, { script: input.script });
    return true;
  }
  const phone = PHONE_PATH.exec(url.pathname);
  if (phone) return servePhone(req, res, decodeURIComponent(phone[1] ?? ''), phone[2], parse);
  return false;
}

/** The telephone simulator (R10–R12): see a number's calls, script it, or answer its ringing call. */
async function servePhone(
  req: IncomingMessage,
  res: ServerResponse,
  number: string,
  action: string | undefined,
  parse: <S extends z.ZodType>(schema: S) => z.infer<S> | undefined,
): Promise<boolean> {
  if (!E164.test(number)) {
    problem(res, 400, 'validation-failed', 'Your request is not valid', 'The number must be E.164 (a + and 7 to 15 digits; %2B in a URL)');
    return true;
  }
  const view = () => ({ number, script: localTelephone.scriptOf(number), ringing: localTelephone.ringing(number), calls: localTelephone.calls(number) });
  if (req.method === 'GET' && action === undefined) {
    json(res, 200, view());
    return true;
  }
  if (req.method === 'PUT' && action === '/script') {
    const input = parse(phoneScript);
    if (!input) return true;
    localTelephone.script(number, input.script);
    json(res, 200, view());
    return true;
  }
  if (req.method === 'POST' && action === '/answer') {
    const input = parse(phoneAnswer);
    if (!input) return true;
    if (localTelephone.ringing(number).length === 0) {
      problem(res, 404, 'not-found', 'Not found', 'No call is ringing at this number');
      return true;
    }
    json(res, 200, await localTelephone.answer(number, input.action));
    return true;
  }
  return false;
}

/**
 * R19/R22: the jobs' files, as S3's presigned URLs serve them on AWS: an upload streams to the
 * folder (up to the signed size, never buffered whole), a download streams back. A URL that
 * was changed, used late or for another method is a 403, as S3 answers.
 */
async function serveObject(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const objects = localObjectStore(config() as LocalConfig);
  const grant = objects.check(req.method ?? 'GET', url.pathname, url.searchParams);
  if (grant.kind === 'refused') {
    req.resume();
    problem(res, 403, 'forbidden', 'Forbidden', grant.detail);
    return;
  }
  if (grant.kind === 'upload') {
    const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
    const length = Number(req.headers['content-length'] ?? NaN);
    if (type !== grant.contentType) {
      req.resume();
      problem(res, 403, 'forbidden', 'Forbidden', `The URL is signed for content-type ${grant.contentType}`);
      return;
    }
    if (Number.isFinite(length) && length > grant.bytes) {
      res.setHeader('connection', 'close');
      problem(res, 413, 'payload-too-large', 'Request body too large', `The URL is signed for a file of ${grant.bytes} bytes`);
      return;
    }
    if (!(await objects.receive(grant.key, req, grant.bytes))) {
      res.setHeader('connection', 'close');
      problem(res, 400, 'validation-failed', 'Your request is not valid', `The URL is signed for a file of exactly ${grant.bytes} bytes`);
      return;
    }
    send(res, { statusCode: 200, headers: {}, body: '' });
    return;
  }
  if ((await objects.size(grant.key)) === undefined) {
    problem(res, 404, 'not-found', 'Not found', 'No such object');
    return;
  }
  res.writeHead(200, { 'content-type': grant.contentType, 'content-disposition': `attachment; filename="${grant.fileName}"`, 'cache-control': 'no-store' });
  for await (const chunk of objects.read(grant.key)) res.write(chunk);
  res.end();
}

/** The functions whose routes read what the challenge projection writes (auth logs, usage, billing). */
const READS_PROJECTION: ReadonlySet<string> = new Set(['admin-logs']);

/** An HTTP server that routes like the deployed HTTP API and invokes the same handler modules. */
export async function createLocalServer(): Promise<Server> {
  const compiled = ROUTES.map(compile);
  const handlers = new Map<string, Handler>();
  for (const name of new Set(ROUTES.map((r) => r.handler))) {
    const { handler } = await HANDLERS[name]();
    handlers.set(name, (event) => handler(event, localContext(name)));
  }

  return createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      // Uploads are streamed, not read into memory like API requests (which stop at 10 MB).
      if (url.pathname.startsWith(LOCAL_OBJECTS_PATH) && (req.method === 'PUT' || req.method === 'GET')) return serveObject(req, res, url);
      const body = await readBody(req);
      if (body === undefined) {
        // The rest of the body is never read, so this connection cannot carry another request.
        res.setHeader('connection', 'close');
        problem(res, 413, 'payload-too-large', 'Request body too large', 'Requests may be at most 10 MB');
        return;
      }
      const respond = handlers.get('push-respond') as Handler;
      // The browser pages: device simulator, demo relying app and admin console.
      if (await serveWeb(req.method ?? 'GET', url.pathname, res)) return;
      if (url.pathname.startsWith('/local/devices/') && (await serveDevices(req.method ?? 'GET', url.pathname, body, res, respond))) return;
      if (url.pathname === '/local/faults') return serveFaults(req.method ?? 'GET', body, res);
      if (url.pathname.startsWith('/local/') && (await serveLocal(req, res, url, body))) return;
      const candidates = compiled.filter((c) => c.pattern.test(url.pathname));
      const found = candidates.find((c) => c.route.method === req.method);
      const match = found && found.pattern.exec(url.pathname);
      if (!found || !match) {
        if (candidates.length) {
          res.setHeader('allow', candidates.map((c) => c.route.method).join(', '));
          problem(res, 405, 'method-not-allowed', 'Method not allowed', `${req.method} is not served at ${url.pathname}`);
        } else {
          problem(res, 404, 'not-found', 'Not found', `No route for ${req.method} ${url.pathname}`);
        }
        return;
      }
      const handler = handlers.get(found.route.handler) as Handler;
      // Auth logs, usage and billing are written from the Challenges table's stream: locally a
      // read sees every change made before it (on AWS they follow within the bound docs/architecture.md states).
      // A request without a key is refused by the handler: it does not wait for (or start) a pass.
      if (READS_PROJECTION.has(found.route.handler) && req.headers.authorization) await localProjection.drain();
      const result = await handler(toEvent(req, body, found, match));
      // The simulated phone keeps the device key it was given (R18).
      if (found.route.handler === 'push-activate') rememberActivation(result);
      send(res, result);
    })().catch((error: unknown) => {
      // A drain that gives up (the projection keeps failing or is behind) is a 503 with Retry-After.
      if (error instanceof ServiceUnavailableError && !res.headersSent) return send(res, toProblem(error));
      console.error('local server error', error);
      if (!res.headersSent) problem(res, 500, 'internal', 'Internal error', 'The local server failed; see its console.');
      else res.end();
    });
  });
}
