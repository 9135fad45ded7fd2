import { createHash, randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import * as z from 'zod';
import { localClock, localPush } from '../../shared/adapters/local/world';
import { signDeviceResponse } from '../../shared/domain/push';
import type { HttpEvent, HttpResult } from '../../shared/http/handler';
import { problemResponse, PROBLEM_TYPE_PREFIX } from '../../shared/http/problem';
import { deviceIdSchema, simulatorRespondBody } from '../../shared/schemas/push';

type Handler = (event: HttpEvent) => Promise<HttpResult>;

const DEVICE_PATH = /^\/local\/devices\/([^/]+)\/(pending|respond)$/;
const RESPOND_PATH = '/v1/push/respond';

function send(res: ServerResponse, result: HttpResult): void {
  res.writeHead(result.statusCode ?? 200, result.headers as Record<string, string>);
  res.end(result.body ?? '');
}

function problem(res: ServerResponse, status: number, code: string, detail: string): void {
  send(res, problemResponse({ type: `${PROBLEM_TYPE_PREFIX}${code}`, title: status === 404 ? 'Not found' : 'Your request is not valid', status, detail }));
}

/**
 * The simulated phone keeps the device key from the activation answer it received (R18), as
 * the authenticator app would; the server itself only ever holds the key sealed.
 */
export function rememberActivation(result: HttpResult): void {
  if (result.statusCode !== 201 || typeof result.body !== 'string') return;
  const parsed = z.object({ deviceId: z.string(), deviceKey: z.string() }).safeParse(JSON.parse(result.body));
  if (parsed.success) localPush.keep(parsed.data.deviceId, new Uint8Array(Buffer.from(parsed.data.deviceKey, 'base64url')));
}

/** The event API Gateway would hand the device-response handler for this body. */
/**
 * Each simulated phone answers from an address of its own (in 127/8, from its device id), as
 * real phones do from their own networks: the public push routes are capped per source (R6).
 */
export function deviceSourceIp(deviceId: string): string {
  const [a = 0, b = 0, c = 0] = createHash('sha256').update(deviceId).digest();
  return `127.${a}.${b}.${Math.max(1, c)}`;
}

function respondEvent(body: { readonly deviceId: string; readonly [field: string]: unknown }): HttpEvent {
  const now = Date.now();
  const routeKey = `POST ${RESPOND_PATH}`;
  return {
    version: '2.0',
    routeKey,
    rawPath: RESPOND_PATH,
    rawQueryString: '',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    isBase64Encoded: false,
    requestContext: {
      accountId: 'local',
      apiId: 'local',
      domainName: 'localhost',
      domainPrefix: 'localhost',
      http: { method: 'POST', path: RESPOND_PATH, protocol: 'HTTP/1.1', sourceIp: deviceSourceIp(body.deviceId), userAgent: 'tessera-device-simulator' },
      requestId: randomUUID(),
      routeKey,
      stage: '$default',
      time: new Date(now).toUTCString(),
      timeEpoch: now,
    },
  };
}

/**
 * The authenticator-app simulator (R9), under /local/devices/{deviceId}: `GET …/pending` shows
 * the prompts the phone received (app name, location, IP and challenge — never the number);
 * `POST …/respond` answers one as the user would, signed with the device key, through the real
 * device-response handler, whose answer it passes on.
 */
export async function serveDevices(method: string, path: string, body: Buffer, res: ServerResponse, respond: Handler): Promise<boolean> {
  const match = DEVICE_PATH.exec(path);
  if (!match) return false;
  const deviceId = deviceIdSchema.safeParse(decodeURIComponent(match[1] ?? ''));
  if (!deviceId.success) {
    problem(res, 400, 'validation-failed', 'Not a device id');
    return true;
  }
  const id = deviceId.data;
  if (method === 'GET' && match[2] === 'pending') {
    send(res, {
      statusCode: 200,
      headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
      body: JSON.stringify({ deviceId: id, prompts: localPush.pending(id) }),
    });
    return true;
  }
  if (method !== 'POST' || match[2] !== 'respond') return false;
  let input: z.infer<typeof simulatorRespondBody> | undefined;
  try {
    const parsed = simulatorRespondBody.safeParse(JSON.parse(body.toString('utf8') || '{}'));
    if (parsed.success) input = parsed.data;
  } catch {
    // answered below
  }
  if (!input) {
    problem(res, 400, 'validation-failed', `Expected ${JSON.stringify(z.toJSONSchema(simulatorRespondBody))}`);
    return true;
  }
  const key = localPush.keyOf(id);
  if (!key) {
    problem(res, 404, 'not-found', 'This simulator has no key for that device: activate it through POST /v1/push/activate first');
    return true;
  }
  const answer = { challengeId: input.challengeId, decision: input.decision, ...(input.number !== undefined ? { number: input.number } : {}), timestamp: localClock.now() };
  const result = await respond(respondEvent({ deviceId: id, ...answer, signature: signDeviceResponse(key, answer) }));
  if (result.statusCode === 200) localPush.dismiss(id, input.challengeId);
  send(res, result);
  return true;
}
