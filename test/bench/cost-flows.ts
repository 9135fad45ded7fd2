/**
 * Measures what one authentication uses, per method, against the local runtime in this process:
 * API Gateway requests and Lambda invocations (every handler call), Lambda duration (each call's
 * time, rounded up to the millisecond as Lambda bills it), DynamoDB requests and the capacity
 * units DynamoDB reported (ReturnConsumedCapacity, through the handlers' own client), Step
 * Functions transitions (states entered in the local run of the voice machine), KMS requests
 * (the local secret box stands for KMS), texts, pushes and calls.
 *
 * Measured locally, so durations are upper bounds: DynamoDB Local on a shared machine answers
 * slower than DynamoDB. Chime's SIP media application Lambda is not run locally (the telephone
 * simulator stands in for Chime), so its invocations per call are counted from the events of an
 * answered call and its duration is an assumption, both stated below.
 */
import { localClock, localOutbox, localTelephone } from '../../shared/adapters/local/world';
import { localSecretBoxCalls } from '../../shared/adapters/secrets/local-secret-box';
import { dynamoRequests } from '../../shared/adapters/dynamo/client';
import { base32Decode, base32Encode, generateSecret, totpAt } from '../../shared/domain/otp/totp';
import { localStepFunctionsUsage } from '../../shared/voice/local-runner';
import type { AuthResources } from './cost';
import { soakPhone } from './soak/run';

export const COST_METHODS = ['sms', 'voice', 'push', 'app', 'oath'] as const;
export type CostMethod = (typeof COST_METHODS)[number];

/**
 * Invocations of the SIP media application's Lambda for a call answered with #: NEW_OUTBOUND_CALL,
 * RINGING, CALL_ANSWERED (speak and collect digits), ACTION_SUCCESSFUL (the digits), HANGUP.
 */
export const SMA_INVOCATIONS_PER_ANSWERED_CALL = 5;
/** Assumed billed duration of one of those invocations (one SendTaskSuccess at most). */
export const SMA_ASSUMED_MS = 50;

export interface MethodMeasurement {
  readonly method: CostMethod;
  readonly auths: number;
  readonly failures: number;
  readonly perAuth: AuthResources;
  /** DynamoDB requests per authentication by operation and table ("TransactWriteItems Usage"). */
  readonly dynamoByTable: Readonly<Record<string, number>>;
  /** Round trip of a whole authentication, client side (ms). */
  readonly authMs: { readonly p50: number; readonly p99: number };
}

interface Tenant {
  readonly tenantId: string;
  readonly adminKey: string;
  readonly authKey: string;
}

interface Call {
  readonly status: number;
  readonly json: Record<string, unknown>;
}

/** Counts the requests a flow makes through API Gateway and the Lambda time behind each. */
class Meter {
  apiRequests = 0;
  invocations = 0;
  billedMs = 0;

  constructor(private readonly url: string) {}

  async call(method: string, path: string, key?: string, body?: unknown, counted = !path.startsWith('/local/')): Promise<Call> {
    const started = performance.now();
    const response = await fetch(`${this.url}${path}`, {
      method,
      headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    const text = await response.text();
    if (counted) {
      this.apiRequests++;
      this.invocations++;
      this.billedMs += Math.ceil(performance.now() - started);
    }
    return { status: response.status, json: (text ? JSON.parse(text) : {}) as Record<string, unknown> };
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until the voice executions stop moving (their last states run after the approval). */
async function settleStepFunctions(): Promise<void> {
  let last = -1;
  let stable = 0;
  while (stable < 3) {
    await sleep(100);
    const now = localStepFunctionsUsage.transitions + localStepFunctionsUsage.taskInvocations;
    stable = now === last ? stable + 1 : 0;
    last = now;
  }
}

interface Snapshot {
  readonly dynamo: number;
  readonly read: number;
  readonly write: number;
  readonly transitions: number;
  readonly tasks: number;
  readonly taskMs: number;
  readonly kms: number;
  readonly texts: number;
  readonly byTable: ReadonlyMap<string, number>;
}

function snapshot(): Snapshot {
  return {
    dynamo: dynamoRequests.total,
    read: dynamoRequests.capacity.read,
    write: dynamoRequests.capacity.write,
    transitions: localStepFunctionsUsage.transitions,
    tasks: localStepFunctionsUsage.taskInvocations,
    taskMs: localStepFunctionsUsage.taskMs,
    kms: localSecretBoxCalls.encrypt + localSecretBoxCalls.decrypt,
    texts: localOutbox.list().length,
    byTable: new Map(dynamoRequests.byTable),
  };
}

/** One authentication: true when it ended approved with an assertion. */
type Flow = (meter: Meter, i: number) => Promise<{ approved: boolean; pushes?: number }>;

export interface CostOptions {
  readonly url: string;
  readonly operatorKey: string;
  /** Authentications measured per method. */
  readonly auths: number;
  readonly concurrency: number;
  /** First index of the soakPhone numbers this run may use (the per-number cap is global). */
  readonly firstPhone: number;
}

/** Runs `auths` authentications of every method and returns what each used on average. */
export async function measureMethods(options: CostOptions): Promise<MethodMeasurement[]> {
  const setup = new Meter(options.url);
  const created = await setup.call('POST', '/v1/operator/tenants', options.operatorKey, { name: 'Cost', provider: { billingModel: 'per_authentication' }, callerIds: ['+14155550199'] });
  const tenant = created.json as unknown as Tenant;
  // Only the operator raises a tenant's per-second caps (R6).
  const caps = await setup.call('PUT', `/v1/operator/tenants/${tenant.tenantId}/limits`, options.operatorKey, { challengesPerSecond: 10_000, requestsPerSecond: 10_000 });
  if (caps.status !== 200) throw new Error(`caps not lifted: ${JSON.stringify(caps.json)}`);
  const settings = await setup.call('PATCH', '/v1/admin/settings', tenant.adminKey, { callerId: '+14155550199' });
  if (settings.status !== 200) throw new Error(`settings not changed: ${JSON.stringify(settings.json)}`);

  // One user per authentication (plus one to warm up), so no limit of R6 or R5 is in the way.
  const count = options.auths + 1;
  let phone = options.firstPhone;
  const users: Record<CostMethod, { userId: string; phone: string; secret?: Uint8Array; deviceId?: string }[]> = {
    sms: [],
    voice: [],
    push: [],
    app: [],
    oath: [],
  };
  const serials: string[] = [];
  const csv = ['Serial Number,Secret Key,Time Interval'];
  for (const method of COST_METHODS) {
    for (let i = 0; i < count; i++) {
      // SMS measures a long (worst plausible) user: an email as user id, names and email kept in
      // the auth log, so its challenge item and the lines riding on it are as large as they get.
      const user = { userId: method === 'sms' ? `maximiliane.oberhauser-lindqvist.${i}@subsidiary.example.com` : `${method}${i}`, phone: soakPhone(phone++) };
      const details = method === 'sms' ? { firstName: 'Maximiliane-Charlotte', lastName: 'Oberhauser-Lindqvist', email: user.userId } : {};
      const put = await setup.call('PUT', `/v1/admin/users/${encodeURIComponent(user.userId)}`, tenant.adminKey, { mfaEnabled: true, phones: { primary: user.phone }, ...details });
      if (put.status !== 201) throw new Error(`user not created: ${JSON.stringify(put.json)}`);
      users[method].push(user);
      if (method === 'voice') await setup.call('PUT', `/local/phone/${encodeURIComponent(user.phone)}/script`, undefined, { script: 'press#' });
      if (method === 'push') {
        const issued = await setup.call('POST', `/v1/admin/users/${user.userId}/push-activations`, tenant.adminKey);
        // Every phone activates from this one address, which the public push routes cap per
        // minute (R6): past the cap, move the local clock to the next minute and try again.
        let activated = await setup.call('POST', '/v1/push/activate', undefined, { activationCode: issued.json.activationCode, platform: 'ios', pushToken: `token-${i}` });
        if (activated.status === 429) {
          await setup.call('POST', '/local/clock', undefined, { advanceSeconds: Number(activated.json.retryAfter ?? 60) });
          activated = await setup.call('POST', '/v1/push/activate', undefined, { activationCode: issued.json.activationCode, platform: 'ios', pushToken: `token-${i}` });
        }
        if (activated.status !== 201) throw new Error(`device not activated: ${JSON.stringify(activated.json)}`);
        Object.assign(user, { deviceId: activated.json.deviceId });
      }
      if (method === 'app') {
        const enrolled = await setup.call('POST', `/v1/admin/users/${user.userId}/authenticator`, tenant.adminKey);
        const secret = new URL(String(enrolled.json.otpauthUri)).searchParams.get('secret') ?? '';
        const bytes = base32Decode(secret);
        const confirmed = await setup.call('POST', `/v1/admin/users/${user.userId}/authenticator/confirm`, tenant.adminKey, { code: totpAt(bytes, localClock.now()) });
        if (confirmed.status !== 200) throw new Error(`app not confirmed: ${JSON.stringify(confirmed.json)}`);
        Object.assign(user, { secret: bytes });
      }
      if (method === 'oath') {
        const secret = generateSecret();
        const serial = `COST-${i}`;
        serials.push(serial);
        csv.push(`${serial},${base32Encode(secret)},30`);
        Object.assign(user, { secret });
      }
    }
  }
  const imported = await fetch(`${options.url}/v1/admin/oath-tokens:import`, {
    method: 'POST',
    headers: { authorization: `Bearer ${tenant.adminKey}`, 'content-type': 'text/csv' },
    body: `${csv.join('\n')}\n`,
  });
  if (imported.status !== 200) throw new Error(`tokens not imported: ${imported.status} ${await imported.text()}`);
  for (const [i, serial] of serials.entries()) {
    const assigned = await setup.call('POST', `/v1/admin/oath-tokens/${serial}/assign`, tenant.adminKey, { userId: users.oath[i]?.userId });
    if (assigned.status !== 200) throw new Error(`token not assigned: ${JSON.stringify(assigned.json)}`);
  }
  // The apps were confirmed with the current time step, which R5 never accepts twice: move on one.
  await setup.call('POST', '/local/clock', undefined, { advanceSeconds: 31 });

  // The SMS sign-ins go through a key with a long name (the line names it) and an IPv6 client.
  const longKey = await setup.call('POST', '/v1/admin/api-keys', tenant.adminKey, { name: 'VPN gateway eu-west-1 production cluster (primary)', scope: 'auth' });
  if (longKey.status !== 201) throw new Error(`key not created: ${JSON.stringify(longKey.json)}`);
  const smsKey = String(longKey.json.key);
  const smsContext = { clientIp: '2001:0db8:85a3:0000:0000:8a2e:0370:7334' };
  const auth = (m: Meter, body: unknown, key = tenant.authKey) => m.call('POST', '/v1/challenges', key, body);
  const verify = (m: Meter, id: unknown, code: string, key = tenant.authKey) => m.call('POST', `/v1/challenges/${String(id)}/verify`, key, { code });
  const read = (m: Meter, id: unknown) => m.call('GET', `/v1/challenges/${String(id)}`, tenant.authKey);
  const approved = (c: Call) => c.status === 200 && c.json.status === 'approved' && typeof c.json.assertion === 'string';

  const flows: Record<CostMethod, Flow> = {
    sms: async (m, i) => {
      const user = users.sms[i]!;
      const created = await auth(m, { userId: user.userId, method: 'sms', context: smsContext }, smsKey);
      const code = /\b(\d{6})\b/.exec(localOutbox.list(user.phone).at(-1)?.body ?? '')?.[1] ?? '';
      return { approved: approved(await verify(m, created.json.challengeId, code, smsKey)) };
    },
    voice: async (m, i) => {
      const user = users.voice[i]!;
      const created = await auth(m, { userId: user.userId, method: 'voice' });
      // The relying app polls; locally the scripted phone answers at once.
      for (let polls = 0; polls < 100; polls++) {
        await sleep(200);
        const state = await read(m, created.json.challengeId);
        if (state.json.status !== 'pending') return { approved: approved(state) };
      }
      return { approved: false };
    },
    push: async (m, i) => {
      const user = users.push[i]!;
      const created = await auth(m, { userId: user.userId, method: 'push', context: { appName: 'Bench', clientIp: '203.0.113.9' } });
      const pending = await m.call('GET', `/local/devices/${user.deviceId}/pending`);
      const pushes = ((pending.json.prompts ?? []) as { challengeId: string }[]).filter((p) => p.challengeId === created.json.challengeId).length;
      // The phone's answer is POST /v1/push/respond on AWS: an API request and an invocation.
      await m.call('POST', `/local/devices/${user.deviceId}/respond`, undefined, { challengeId: created.json.challengeId, decision: 'approve', number: created.json.number }, true);
      return { approved: approved(await read(m, created.json.challengeId)), pushes };
    },
    app: async (m, i) => {
      const user = users.app[i]!;
      const created = await auth(m, { userId: user.userId, method: 'app' });
      return { approved: approved(await verify(m, created.json.challengeId, totpAt(user.secret!, localClock.now()))) };
    },
    oath: async (m, i) => {
      const user = users.oath[i]!;
      const created = await auth(m, { userId: user.userId, method: 'oath' });
      return { approved: approved(await verify(m, created.json.challengeId, totpAt(user.secret!, localClock.now()))) };
    },
  };

  const results: MethodMeasurement[] = [];
  dynamoRequests.measureCapacity = true;
  try {
    for (const method of COST_METHODS) {
      // The first authentication loads code and keys (cold start): measured is the warm path.
      await flows[method](new Meter(options.url), options.auths);
      if (method === 'voice') await settleStepFunctions();
      const meter = new Meter(options.url);
      const before = snapshot();
      const calls = users.voice.reduce((n, u) => n + localTelephone.calls(u.phone).length, 0);
      let failures = 0;
      let pushes = 0;
      const authMs: number[] = [];
      let next = 0;
      await Promise.all(
        Array.from({ length: options.concurrency }, async () => {
          while (next < options.auths) {
            const started = performance.now();
            const outcome = await flows[method](meter, next++);
            authMs.push(performance.now() - started);
            if (!outcome.approved) failures++;
            pushes += outcome.pushes ?? 0;
          }
        }),
      );
      if (method === 'voice') await settleStepFunctions();
      const after = snapshot();
      const n = options.auths;
      const voiceCalls = method === 'voice' ? users.voice.reduce((sum, u) => sum + localTelephone.calls(u.phone).length, 0) - calls : 0;
      const tasks = after.tasks - before.tasks;
      const smaInvocations = voiceCalls * SMA_INVOCATIONS_PER_ANSWERED_CALL;
      const per = (x: number) => Math.round((x / n) * 1000) / 1000;
      const sorted = authMs.sort((a, b) => a - b);
      results.push({
        method,
        auths: n,
        failures,
        perAuth: {
          apiRequests: per(meter.apiRequests),
          lambdaInvocations: per(meter.invocations + tasks + smaInvocations),
          lambdaBilledMs: per(meter.billedMs + Math.ceil(after.taskMs - before.taskMs) + tasks + smaInvocations * SMA_ASSUMED_MS),
          dynamoRequests: per(after.dynamo - before.dynamo),
          dynamoReadUnits: per(after.read - before.read),
          dynamoWriteUnits: per(after.write - before.write),
          stepFunctionsTransitions: per(after.transitions - before.transitions),
          kmsRequests: per(after.kms - before.kms),
          pushNotifications: per(pushes),
          smsMessages: per(after.texts - before.texts),
          voiceCalls: per(voiceCalls),
          voiceMinutes: per(voiceCalls),
        },
        dynamoByTable: Object.fromEntries(
          [...after.byTable].map(([key, count]) => [key, per(count - (before.byTable.get(key) ?? 0))]).filter(([, count]) => count !== 0),
        ),
        authMs: {
          p50: Math.round(sorted[Math.floor(sorted.length / 2)] ?? 0),
          p99: Math.round(sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.99) - 1)] ?? 0),
        },
      });
    }
  } finally {
    dynamoRequests.measureCapacity = false;
  }
  return results;
}
