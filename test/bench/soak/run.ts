/**
 * The soak's machinery: tenants and users on a running local runtime, then autocannon drives a
 * steady mix of authentications on loopback, bounded in time and in request count:
 *
 * - sms    (7 in 10): create → the code from the local outbox → verify → read the challenge
 * - wrong  (1 in 10): create → a wrong code (422) → the right code (200)
 * - totp   (2 in 10): create `app` → the current RFC 6238 code → verify → read the challenge
 *
 * Limits stay the product's own (R6: 5 challenges per user in 5 minutes, 10 texts per number per
 * hour; R5: a time step once per token): the soak keeps a pool of users large enough, gives each
 * a number of its own, never runs two authentications of one user at once, and only picks a user
 * whose budget the server would allow. When the pool runs dry it sends a JWKS read instead and
 * counts it as `starved`, so a too-small pool shows in the figures rather than as 429s. Only the
 * tenants' per-second cap is lifted, as `npm run bench` does: it is a cap of the tenant, not of
 * the service.
 *
 * It runs in the runtime's process: the code of a text is read from the local outbox in-process
 * (autocannon builds requests synchronously) and TOTP codes from the runtime's clock.
 */
import { request } from 'node:http';
import autocannon, { type AutocannonRequest, type Result, type SoakRequestParams } from 'autocannon';
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';
import { localClock, localOutbox } from '../../../shared/adapters/local/world';
import { base32Decode, totpAt } from '../../../shared/domain/otp/totp';
import {
  MESSAGES_PER_NUMBER_PER_HOUR,
  USER_CHALLENGE_WINDOW_SECONDS,
  USER_CHALLENGES_PER_WINDOW,
} from '../../../shared/rules';
import { readStoredRecords, reconcile, type ClientApproval, type ClientRecords, type Reconciliation, type StoredRecords } from './reconcile';

export interface SoakOptions {
  /** The local runtime; only loopback addresses are accepted. */
  readonly url: string;
  readonly operatorKey: string;
  readonly dynamoEndpoint: string;
  readonly durationSeconds: number;
  readonly connections: number;
  /** Hard cap on requests, whatever the duration. */
  readonly maxRequests: number;
  readonly tenants: number;
  /** Users with a phone for the SMS flows (R6 budget: see the module comment). */
  readonly smsUsers: number;
  /** Users with an enrolled authenticator app; 0 leaves TOTP out of the mix. */
  readonly totpUsers: number;
  readonly log?: (line: string) => void;
}

export type Scenario = 'sms' | 'wrong' | 'totp';

/** Latency summary in milliseconds. */
export interface LatencySummary {
  readonly count: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
}

export interface SoakResult {
  readonly options: Omit<SoakOptions, 'log' | 'operatorKey' | 'url' | 'dynamoEndpoint'>;
  readonly setupSeconds: number;
  readonly seconds: number;
  readonly requests: number;
  readonly requestsPerSecond: number;
  readonly approvals: number;
  readonly approvalsPerSecond: number;
  /** Completed authentications per scenario. */
  readonly completed: Record<Scenario, number>;
  /** Iterations for which no user had budget left (a JWKS read was sent instead). */
  readonly starved: number;
  /** autocannon's own figures over every request. */
  readonly latencyMs: LatencySummary & { readonly p97_5: number };
  /** Per step: `create sms`, `verify sms`, `verify wrong`, `read`, … */
  readonly latencyMsByStep: Record<string, LatencySummary>;
  readonly statusByStep: Record<string, Record<string, number>>;
  readonly statusCounts: Record<string, number>;
  /** Answers that were not what the flow expects (a 2xx where a 422 belongs counts too). */
  readonly unexpected: number;
  readonly serverErrors: number;
  readonly connectionErrors: number;
  readonly timeouts: number;
  readonly reconciliation: Reconciliation;
}

interface SoakTenant {
  readonly tenantId: string;
  readonly adminKey: string;
  readonly authKey: string;
}

interface SoakUser {
  readonly tenant: SoakTenant;
  readonly userId: string;
  readonly phone: string;
  readonly secret?: Uint8Array;
  /** Client times of this user's last challenges, newest last (at most the hourly cap). */
  readonly uses: number[];
  busy: boolean;
  /** R5: the last time step accepted for this user's app; a code is only sent for a later one. */
  lastStep: number;
}

const STEP_MS = 30_000;
/** The steady mix, in the order iterations take it: every scenario starts within the first three. */
const MIX: readonly Scenario[] = ['sms', 'wrong', 'totp', 'sms', 'sms', 'totp', 'sms', 'sms', 'sms', 'sms'];
const AREA_CODES = ['415', '650', '212', '312', '617', '206', '303', '512'];

/** A distinct, valid US number per user: the per-number cap (R6) is across all tenants. */
export function soakPhone(i: number): string {
  const area = AREA_CODES[Math.floor(i / 9000)];
  if (!area) throw new RangeError('The soak has numbers for at most 72,000 users');
  return `+1${area}555${String(1000 + (i % 9000)).padStart(4, '0')}`;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

export function summarize(samples: number[]): LatencySummary {
  const sorted = [...samples].sort((a, b) => a - b);
  const round = (n: number) => Math.round(n * 10) / 10;
  return { count: sorted.length, p50: round(percentile(sorted, 50)), p90: round(percentile(sorted, 90)), p99: round(percentile(sorted, 99)), max: round(sorted.at(-1) ?? 0) };
}

/** Round-robin over users, skipping those busy or out of budget. */
class Pool {
  private next = 0;

  constructor(readonly users: SoakUser[]) {}

  take(usable: (user: SoakUser, now: number) => boolean): SoakUser | undefined {
    const now = Date.now();
    for (let i = 0; i < this.users.length; i++) {
      const user = this.users[(this.next + i) % this.users.length] as SoakUser;
      if (user.busy || !usable(user, now)) continue;
      this.next = (this.next + i + 1) % this.users.length;
      user.busy = true;
      user.uses.push(now);
      if (user.uses.length > MESSAGES_PER_NUMBER_PER_HOUR) user.uses.shift();
      return user;
    }
    return undefined;
  }
}

/** R6 as the server counts it, with a second of margin for clock differences. */
function withinBudget(user: SoakUser, now: number): boolean {
  const recent = (seconds: number) => user.uses.filter((t) => t > now - seconds * 1000 - 1000).length;
  return recent(USER_CHALLENGE_WINDOW_SECONDS) < USER_CHALLENGES_PER_WINDOW && recent(3600) < MESSAGES_PER_NUMBER_PER_HOUR;
}

/** The newest code texted to each number, from the in-process outbox. */
const latestCodes = new Map<string, string>();
let listening = false;
function listenToOutbox(): void {
  if (listening) return;
  listening = true;
  localOutbox.onMessage((message) => {
    const code = /\b(\d{6})\b/.exec(message.body)?.[1];
    if (code) latestCodes.set(message.to, code);
  });
}

function assertLoopback(url: string): void {
  const host = new URL(url).hostname;
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(host)) throw new Error(`The soak only runs against loopback, not ${host}`);
}

/**
 * One request on a connection of its own: the run leaves pooled keep-alive connections idle past
 * the server's keep-alive timeout, and a fetch that reuses one as the server closes it fails.
 */
function call(url: string, method: string, path: string, key?: string, body?: unknown, contentType = 'application/json'): Promise<{ status: number; json: Record<string, unknown> }> {
  const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      `${url}${path}`,
      {
        method,
        agent: false,
        headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...(payload === undefined ? {} : { 'content-type': contentType, 'content-length': Buffer.byteLength(payload) }) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          try {
            resolve({ status: res.statusCode ?? 0, json: (text ? JSON.parse(text) : {}) as Record<string, unknown> });
          } catch (error) {
            reject(error instanceof Error ? error : new Error(String(error)));
          }
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

async function inBatches(count: number, width: number, work: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < count) await work(next++);
    }),
  );
}

async function setUp(options: SoakOptions): Promise<{ tenants: SoakTenant[]; sms: SoakUser[]; totp: SoakUser[] }> {
  const { url } = options;
  const tenants: SoakTenant[] = [];
  for (let t = 0; t < options.tenants; t++) {
    const created = await call(url, 'POST', '/v1/operator/tenants', options.operatorKey, { name: `Soak ${t}`, provider: { billingModel: 'per_authentication' } });
    if (created.status !== 201) throw new Error(`tenant not created: ${created.status}`);
    const tenant = created.json as unknown as SoakTenant;
    // Only the operator raises a tenant's per-second caps (R6).
    const lifted = await call(url, 'PUT', `/v1/operator/tenants/${tenant.tenantId}/limits`, options.operatorKey, { challengesPerSecond: 10_000, requestsPerSecond: 10_000 });
    if (lifted.status !== 200) throw new Error(`caps not lifted: ${lifted.status}`);
    tenants.push(tenant);
  }
  const user = (i: number, prefix: string): SoakUser => ({
    tenant: tenants[i % tenants.length] as SoakTenant,
    userId: `${prefix}${i}`,
    phone: soakPhone(i),
    uses: [],
    busy: false,
    lastStep: -1,
  });
  const sms = Array.from({ length: options.smsUsers }, (_, i) => user(i, 's'));
  const totp = Array.from({ length: options.totpUsers }, (_, i) => user(options.smsUsers + i, 't'));
  // The console's bulk import (at most 5,000 rows a request): one request per tenant and chunk.
  for (const tenant of tenants) {
    const mine = [...sms, ...totp].filter((u) => u.tenant === tenant);
    for (let i = 0; i < mine.length; i += 5000) {
      const rows = mine.slice(i, i + 5000).map((u) => `${u.userId},${u.phone}`);
      const imported = await call(url, 'POST', '/v1/admin/users:import', tenant.adminKey, `userId,phone\n${rows.join('\n')}\n`, 'text/csv');
      const created = (imported.json.summary as { created?: number } | undefined)?.created;
      if (imported.status !== 200 || created !== rows.length) throw new Error(`users not imported: ${imported.status} ${JSON.stringify(imported.json).slice(0, 300)}`);
    }
  }
  await inBatches(totp.length, 16, async (i) => {
    const u = totp[i] as SoakUser;
    const enrolled = await call(url, 'POST', `/v1/admin/users/${u.userId}/authenticator`, u.tenant.adminKey);
    if (enrolled.status !== 201) throw new Error(`not enrolled: ${enrolled.status}`);
    const secret = base32Decode(new URL(String(enrolled.json.otpauthUri)).searchParams.get('secret') ?? '');
    const now = localClock.now();
    const confirmed = await call(url, 'POST', `/v1/admin/users/${u.userId}/authenticator/confirm`, u.tenant.adminKey, { code: totpAt(secret, now) });
    if (confirmed.status !== 200) throw new Error(`not confirmed: ${confirmed.status}`);
    // The confirmation used this step (R5): the first challenge needs a later one.
    totp[i] = { ...u, secret, lastStep: Math.floor(now / STEP_MS) };
  });
  return { tenants, sms, totp };
}

interface FlowContext extends Record<string, unknown> {
  scenario?: Scenario | 'idle';
  user?: SoakUser;
  challengeId?: string;
  sentAt?: number;
  step?: string;
  failed?: boolean;
}

/** A soak's figures, and the record sets its reconciliation compared. */
export interface SoakRun {
  readonly result: SoakResult;
  readonly client: ClientRecords;
  readonly stored: StoredRecords;
}

/** Runs the soak against a running local runtime and reconciles afterwards. */
export async function runSoak(options: SoakOptions): Promise<SoakRun> {
  assertLoopback(options.url);
  listenToOutbox();
  const log = options.log ?? (() => undefined);
  const setupStarted = performance.now();
  log(`setting up ${options.tenants} tenants, ${options.smsUsers} SMS users and ${options.totpUsers} authenticator-app users…`);
  const { sms, totp } = await setUp(options);
  if (totp.length > 0) {
    // Every app was just confirmed with the current time step, which R5 will not accept again:
    // move the local clock to the next step before any challenge exists, rather than idle.
    const now = localClock.now();
    await call(options.url, 'POST', '/local/clock', undefined, { advanceSeconds: (STEP_MS - (now % STEP_MS) + 50) / 1000 });
  }
  const setupSeconds = (performance.now() - setupStarted) / 1000;
  const smsPool = new Pool(sms);
  const totpPool = new Pool(totp);
  const authHeaders = (t: SoakTenant) => ({ authorization: `Bearer ${t.authKey}`, 'content-type': 'application/json' });

  const latency = new Map<string, number[]>();
  const statusByStep: Record<string, Record<string, number>> = {};
  const completed: Record<Scenario, number> = { sms: 0, wrong: 0, totp: 0 };
  const approvals: (ClientApproval & { assertion: string })[] = [];
  const created: Record<string, number> = {};
  const pendingCreates: Record<string, number> = {};
  const pendingVerifies = new Set<string>();
  let starved = 0;
  let unexpected = 0;
  let iteration = 0;

  const record = (ctx: FlowContext, status: number, expected: number): boolean => {
    const step = ctx.step ?? 'unknown';
    const ms = performance.now() - (ctx.sentAt ?? performance.now());
    (latency.get(step) ?? latency.set(step, []).get(step))?.push(ms);
    const byStatus = (statusByStep[step] ??= {});
    byStatus[status] = (byStatus[status] ?? 0) + 1;
    if (status !== expected) unexpected++;
    return status === expected;
  };
  const release = (ctx: FlowContext) => {
    if (ctx.user) ctx.user.busy = false;
  };
  const send = (req: SoakRequestParams, ctx: FlowContext, step: string, params: SoakRequestParams): SoakRequestParams => {
    ctx.step = step;
    ctx.sentAt = performance.now();
    return { ...req, ...params };
  };

  const plan = (): { scenario: Scenario; user: SoakUser } | undefined => {
    const wanted = MIX[iteration++ % MIX.length] as Scenario;
    if (wanted === 'totp' && totp.length > 0) {
      const user = totpPool.take((u, now) => withinBudget(u, now) && Math.floor(localClock.now() / STEP_MS) > u.lastStep);
      if (user) return { scenario: 'totp', user };
    }
    const user = smsPool.take(withinBudget);
    return user ? { scenario: wanted === 'totp' ? 'sms' : wanted, user } : undefined;
  };

  const codeOf = (ctx: FlowContext): string => latestCodes.get(ctx.user?.phone ?? '') ?? '000000';
  const wrongCode = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, '0');
  const verifyPath = (ctx: FlowContext) => `/v1/challenges/${ctx.challengeId}/verify`;

  const approved = (ctx: FlowContext, body: string) => {
    const { challengeId, user, scenario } = ctx;
    if (!challengeId || !user || !scenario || scenario === 'idle') return;
    pendingVerifies.delete(challengeId);
    const answer = JSON.parse(body) as { assertion?: string };
    approvals.push({ tenantId: user.tenant.tenantId, challengeId, userId: user.userId, method: scenario === 'totp' ? 'app' : 'sms', assertion: answer.assertion ?? '' });
    completed[scenario]++;
  };

  const requests: AutocannonRequest[] = [
    {
      setupRequest: (req, ctx: FlowContext) => {
        const next = plan();
        if (!next) {
          starved++;
          ctx.scenario = 'idle';
          return send(req, ctx, 'starved (jwks)', { method: 'GET', path: '/.well-known/jwks.json', headers: {}, body: '' });
        }
        ctx.scenario = next.scenario;
        ctx.user = next.user;
        const tenantId = next.user.tenant.tenantId;
        pendingCreates[tenantId] = (pendingCreates[tenantId] ?? 0) + 1;
        const method = next.scenario === 'totp' ? 'app' : 'sms';
        return send(req, ctx, `create ${method}`, {
          method: 'POST',
          path: '/v1/challenges',
          headers: authHeaders(next.user.tenant),
          body: JSON.stringify({ userId: next.user.userId, method }),
        });
      },
      onResponse: (status, body, ctx: FlowContext) => {
        if (ctx.scenario === 'idle' || !ctx.user) {
          record(ctx, status, 200);
          return;
        }
        const tenantId = ctx.user.tenant.tenantId;
        pendingCreates[tenantId] = (pendingCreates[tenantId] ?? 1) - 1;
        if (record(ctx, status, 201)) {
          created[tenantId] = (created[tenantId] ?? 0) + 1;
          ctx.challengeId = String((JSON.parse(body) as { challengeId?: string }).challengeId);
        } else {
          ctx.failed = true;
          release(ctx);
        }
      },
    },
    {
      setupRequest: (req, ctx: FlowContext) => {
        if (ctx.scenario === 'idle' || ctx.failed || !ctx.user || !ctx.challengeId) return undefined;
        const headers = authHeaders(ctx.user.tenant);
        if (ctx.scenario === 'wrong') {
          return send(req, ctx, 'verify wrong code', { method: 'POST', path: verifyPath(ctx), headers, body: JSON.stringify({ code: wrongCode(codeOf(ctx)) }) });
        }
        pendingVerifies.add(ctx.challengeId);
        if (ctx.scenario === 'totp') {
          const now = localClock.now();
          ctx.user.lastStep = Math.floor(now / STEP_MS);
          return send(req, ctx, 'verify app', { method: 'POST', path: verifyPath(ctx), headers, body: JSON.stringify({ code: totpAt(ctx.user.secret as Uint8Array, now) }) });
        }
        return send(req, ctx, 'verify sms', { method: 'POST', path: verifyPath(ctx), headers, body: JSON.stringify({ code: codeOf(ctx) }) });
      },
      onResponse: (status, body, ctx: FlowContext) => {
        if (ctx.scenario === 'wrong') {
          if (!record(ctx, status, 422)) {
            ctx.failed = true;
            release(ctx);
          }
          return;
        }
        if (record(ctx, status, 200)) approved(ctx, body);
        else {
          if (ctx.challengeId) pendingVerifies.delete(ctx.challengeId);
          ctx.failed = true;
          release(ctx);
        }
      },
    },
    {
      setupRequest: (req, ctx: FlowContext) => {
        if (ctx.scenario === 'idle' || ctx.failed || !ctx.user || !ctx.challengeId) return undefined;
        const headers = authHeaders(ctx.user.tenant);
        if (ctx.scenario === 'wrong') {
          pendingVerifies.add(ctx.challengeId);
          return send(req, ctx, 'verify sms after a wrong code', { method: 'POST', path: verifyPath(ctx), headers, body: JSON.stringify({ code: codeOf(ctx) }) });
        }
        return send(req, ctx, 'read challenge', { method: 'GET', path: `/v1/challenges/${ctx.challengeId}`, headers: { authorization: headers.authorization }, body: '' });
      },
      onResponse: (status, body, ctx: FlowContext) => {
        release(ctx);
        if (ctx.scenario === 'wrong') {
          if (record(ctx, status, 200)) approved(ctx, body);
          else if (ctx.challengeId) pendingVerifies.delete(ctx.challengeId);
          return;
        }
        if (record(ctx, status, 200) && (JSON.parse(body) as { status?: string }).status !== 'approved') unexpected++;
      },
    },
  ];

  log(`set up in ${setupSeconds.toFixed(1)} s; driving ${options.connections} connections for ${options.durationSeconds} s…`);
  const started = performance.now();
  const load = await new Promise<Result>((resolve, reject) => {
    autocannon(
      {
        url: options.url,
        connections: options.connections,
        duration: options.durationSeconds,
        maxOverallRequests: options.maxRequests,
        timeout: 10,
        requests,
      },
      (error, res) => (error ? reject(error) : resolve(res)),
    );
  });
  const seconds = (performance.now() - started) / 1000;

  // Every assertion a client got must verify offline against the JWKS and name its challenge (R4).
  const jwks = createLocalJWKSet((await call(options.url, 'GET', '/.well-known/jwks.json')).json as unknown as JSONWebKeySet);
  let invalidAssertions = 0;
  for (const a of approvals) {
    try {
      const { payload } = await jwtVerify(a.assertion, jwks);
      if (payload.cid !== a.challengeId || payload.tid !== a.tenantId || payload.sub !== a.userId) invalidAssertions++;
    } catch {
      invalidAssertions++;
    }
  }
  const stored = await readStoredRecords(options.dynamoEndpoint);
  const client: ClientRecords = {
    approvals: approvals.map(({ assertion: _a, ...rest }) => rest),
    cutOffVerifies: [...pendingVerifies],
    created,
    cutOffCreates: pendingCreates,
    invalidAssertions,
  };
  const reconciliation = reconcile(client, stored);

  const statusCounts = Object.fromEntries(Object.entries(load.statusCodeStats).map(([status, s]) => [status, s.count]));
  const serverErrors = Object.entries(statusCounts).filter(([status]) => Number(status) >= 500).reduce((n, [, c]) => n + c, 0);
  const total = approvals.length;
  const soak: SoakResult = {
    options: {
      durationSeconds: options.durationSeconds,
      connections: options.connections,
      maxRequests: options.maxRequests,
      tenants: options.tenants,
      smsUsers: options.smsUsers,
      totpUsers: options.totpUsers,
    },
    setupSeconds: Math.round(setupSeconds * 10) / 10,
    seconds: Math.round(seconds * 10) / 10,
    requests: load.requests.total,
    requestsPerSecond: Math.round((load.requests.total / seconds) * 10) / 10,
    approvals: total,
    approvalsPerSecond: Math.round((total / seconds) * 10) / 10,
    completed,
    starved,
    latencyMs: {
      count: load.latency.totalCount ?? load.requests.total,
      p50: load.latency.p50,
      p90: load.latency.p90,
      p97_5: load.latency.p97_5,
      p99: load.latency.p99,
      max: load.latency.max,
    },
    latencyMsByStep: Object.fromEntries([...latency].map(([step, samples]) => [step, summarize(samples)])),
    statusByStep,
    statusCounts,
    unexpected,
    serverErrors,
    connectionErrors: load.errors,
    timeouts: load.timeouts,
    reconciliation,
  };
  return { result: soak, client, stored };
}
