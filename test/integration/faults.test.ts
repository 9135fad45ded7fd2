import { ScanCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { localContext } from '../../infra/local/context';
import { localClient } from '../../infra/local/dynamo';
import { PUSH_TIMEOUT_SECONDS } from '../../shared/rules';
import { expectProblem, TestApi, type Reply, type Tenant } from '../support/runtime';

/*
 * Faults (issue 10, part 2). Also covered elsewhere:
 * - primary SMS provider down → the second delivers, and the code works: delivery-and-keys.test.ts (R16 SMS failover);
 * - a voice call nobody answers → the call task times out and the rollover moves on:
 *   voice.test.ts ("R12: no answer within the call task timeout rolls over to the next number").
 */

let api: TestApi;
let tenant: Tenant;

beforeAll(async () => {
  api = await TestApi.start({ faultInjection: true });
  tenant = await api.createTenant();
});

afterAll(() => api.stop());

afterEach(async () => {
  await api.clearFaults();
  await api.setSmsProvider('local-primary', 'up');
  await api.setSmsProvider('local-secondary', 'up');
});

type Row = { table: string; item: Record<string, AttributeValue> };

/** Billed units (R24) and usage counts of one tenant, summed over the shards. */
function meters(items: Row[], tenantId: string) {
  const usage = items.filter((r) => r.table === 'Usage');
  const sum = (rows: Row[]) => rows.reduce((n, r) => n + Number(r.item.count?.N ?? 0), 0);
  return {
    billed: sum(usage.filter((r) => r.item.pk?.S?.startsWith(`BILL#${tenantId}#`))),
    sent: sum(usage.filter((r) => r.item.pk?.S?.startsWith(`${tenantId}#`) && r.item.result?.S === 'sent')),
    failed: sum(usage.filter((r) => r.item.pk?.S?.startsWith(`${tenantId}#`) && r.item.result?.S === 'failed')),
  };
}

const challengesOf = (items: Row[], userId: string) => items.filter((r) => r.table === 'Challenges' && r.item.userId?.S === userId);
const logsOf = (items: Row[], challengeId: string) => items.filter((r) => r.table === 'Logs' && r.item.challengeId?.S === challengeId);

function verify(t: Tenant, challengeId: string, code: string): Promise<Reply> {
  return api.request('POST', `/v1/challenges/${challengeId}/verify`, { key: t.authKey, body: { code } });
}

function expectRetriable(reply: Reply): void {
  expectProblem(reply, 503, 'service-unavailable');
  expect(reply.headers.get('retry-after')).toBe('1');
  expect(reply.body.retryAfter).toBe(1);
}

describe('R16 both SMS providers down', () => {
  it('a 503 naming the next method; the failed send is logged but nothing is billed', async () => {
    const fresh = await api.createTenant('Unbilled');
    const { userId, phone } = await api.newUser(fresh, 'nobill');
    await api.setSmsProvider('local-primary', 'down');
    await api.setSmsProvider('local-secondary', 'down');
    const reply = await api.createChallenge(fresh, userId);
    expectProblem(reply, 503, 'delivery-failed');
    expect(reply.body.nextMethods).toEqual(['voice']);
    expect(await api.outbox(phone)).toHaveLength(0);
    expect(meters(await api.allItems(), fresh.tenantId)).toEqual({ billed: 0, sent: 0, failed: 1 });

    // The same user once a provider is back: one text, one billed unit.
    await api.setSmsProvider('local-secondary', 'up');
    expect((await api.createChallenge(fresh, userId)).status).toBe(201);
    expect((await api.outbox(phone)).map((m) => m.provider)).toEqual(['local-secondary']);
    expect(meters(await api.allItems(), fresh.tenantId)).toEqual({ billed: 1, sent: 1, failed: 1 });
  });
});

describe('R18 push activation spends its code only when it succeeds', () => {
  it('R18: an activation that fails after the code was checked keeps the code: the phone tries again and is activated, once', async () => {
    const { userId } = await api.newUser(tenant, 'activation');
    const issued = await api.request('POST', `/v1/admin/users/${userId}/push-activations`, { key: tenant.adminKey });
    const activate = () =>
      api.request('POST', '/v1/push/activate', { body: { activationCode: issued.body.activationCode, platform: 'ios', pushToken: 'token-retried' } });
    // The write that stores the device fails, as a transient DynamoDB or push-service failure would.
    await api.setFaults([{ operation: 'TransactWriteItems', table: 'Tenants', kind: 'network' }]);
    expectRetriable(await activate());
    await api.clearFaults();
    expect((await activate()).status).toBe(201);
    expectProblem(await activate(), 401, 'unauthenticated');
    expect((await api.request('GET', `/v1/admin/users/${userId}`, { key: tenant.adminKey })).body.methods).toContain('push');
  });
});

describe('R7 an ignored push is counted for fatigue even when the throttle table fails mid-sweep', () => {
  it('R7: a sweep whose fatigue write fails settles nothing; the next sweep counts each ignored push once and a fourth push is paused', async () => {
    const { userId } = await api.newUser(tenant, 'swept');
    const issued = await api.request('POST', `/v1/admin/users/${userId}/push-activations`, { key: tenant.adminKey });
    const activated = await api.request('POST', '/v1/push/activate', { body: { activationCode: issued.body.activationCode, platform: 'ios', pushToken: 'token-swept' } });
    expect(activated.status).toBe(201);
    const push = () => api.request('POST', '/v1/challenges', { key: tenant.authKey, body: { userId, method: 'push' } });
    for (let i = 0; i < 3; i++) expect((await push()).status).toBe(201);
    await api.advanceClock(PUSH_TIMEOUT_SECONDS + 1);
    // The scheduled sweep is off under fault injection: run its handler, as the schedule would.
    const { handler: sweep } = await import('../../functions/push-sweep');
    const open = async () => challengesOf(await api.allItems(), userId).filter((r) => r.item.status?.S === 'pending' && r.item.gsi1pk).length;

    // Every write of the throttle table fails, however the fatigue count is written.
    await api.setFaults([
      { operation: 'UpdateItem', table: 'Throttle', kind: 'internal' },
      { operation: 'TransactWriteItems', table: 'Throttle', kind: 'internal' },
    ]);
    await expect(sweep(undefined, localContext('push-sweep'))).rejects.toThrow('3 push timeouts not settled');
    await api.clearFaults();
    // Nothing half-done: the three pushes are still open and listed for the next sweep.
    expect(await open()).toBe(3);

    expect(await sweep(undefined, localContext('push-sweep'))).toEqual({ checked: 3 });
    expect(await open()).toBe(0);
    const logs = await api.request('GET', `/v1/admin/auth-logs?userId=${userId}&method=push&result=denied`, { key: tenant.adminKey });
    expect((logs.body.items as { reason?: string }[]).filter((l) => l.reason === 'timeout')).toHaveLength(3);
    const fourth = await push();
    expectProblem(fourth, 429, 'retry-later');
    expect(fourth.body).toMatchObject({ reason: 'fatigue_pause' });
  });
});

describe('DynamoDB throttled or unreachable in the middle of a request', () => {
  it.each(['throttle', 'network', 'internal'] as const)(
    'creating a challenge whose write fails (%s): a retriable 503, nothing stored and no text sent; the retry works',
    async (kind) => {
      const { userId, phone } = await api.newUser(tenant, `create-${kind}-`);
      await api.setFaults([{ operation: 'TransactWriteItems', table: 'Challenges', kind }]);
      const reply = await api.createChallenge(tenant, userId);
      expectRetriable(reply);
      expect((await api.faults()).injected).toBeGreaterThanOrEqual(1);
      expect(await api.outbox(phone)).toHaveLength(0);
      expect(challengesOf(await api.allItems(), userId)).toHaveLength(0);

      await api.clearFaults();
      const retried = await api.createChallenge(tenant, userId);
      expect(retried.status).toBe(201);
      expect(await api.outbox(phone)).toHaveLength(1);
      expect((await verify(tenant, retried.body.challengeId as string, await api.latestCode(phone))).status).toBe(200);
    },
  );

  it('a verify whose approval is throttled: a retriable 503, still pending with no approval logged; the same code then approves once', async () => {
    const { userId, phone } = await api.newUser(tenant, 'verify-throttled');
    const created = await api.createChallenge(tenant, userId);
    const id = created.body.challengeId as string;
    const code = await api.latestCode(phone);
    await api.setFaults([{ operation: 'TransactWriteItems', table: 'Challenges', kind: 'throttle' }]);
    expectRetriable(await verify(tenant, id, code));

    await api.clearFaults();
    const status = await api.request('GET', `/v1/challenges/${id}`, { key: tenant.authKey });
    expect(status.body).toMatchObject({ status: 'pending' });
    expect(logsOf(await api.allItems(), id).map((r) => r.item.result?.S)).toEqual(['sent']);

    const approved = await verify(tenant, id, code);
    expect(approved.status).toBe(200);
    expect(approved.body.assertion).toEqual(expect.any(String));
    expect(logsOf(await api.allItems(), id).map((r) => r.item.result?.S).sort()).toEqual(['approved', 'sent']);
    expectProblem(await verify(tenant, id, code), 409, 'challenge-finished');
  });

  it('the Nth DynamoDB request of a sign-in fails, for every N: a 503 leaves no code without a challenge and no approval without its log line', async () => {
    const kinds = ['throttle', 'network', 'internal'] as const;
    const approvedByClient: string[] = [];
    const refused = { create: 0, verify: 0 };
    // Creating: fail every request from the Nth on, until N is past the last request made.
    for (let n = 1; ; n++) {
      const { userId, phone } = await api.newUser(tenant, `nth-create-${n}-`);
      await api.setFaults([{ kind: kinds[n % 3] as (typeof kinds)[number], after: n - 1 }]);
      const reply = await api.createChallenge(tenant, userId);
      const injected = (await api.faults()).injected;
      await api.clearFaults();
      const items = await api.allItems();
      if (reply.status === 503) {
        expectRetriable(reply);
        expect(await api.outbox(phone)).toHaveLength(0);
        expect(challengesOf(items, userId)).toHaveLength(0);
        refused.create++;
        continue;
      }
      expect(reply.status).toBe(201);
      expect(await api.outbox(phone)).toHaveLength(1);
      expect(challengesOf(items, userId)).toHaveLength(1);
      if (injected === 0) break;
      expect(n).toBeLessThan(15);
    }
    // Verifying: the same sweep over the requests of a verify with the right code.
    for (let n = 1; ; n++) {
      const { userId, phone } = await api.newUser(tenant, `nth-verify-${n}-`);
      const id = (await api.createChallenge(tenant, userId)).body.challengeId as string;
      const code = await api.latestCode(phone);
      await api.setFaults([{ kind: kinds[n % 3] as (typeof kinds)[number], after: n - 1 }]);
      const reply = await verify(tenant, id, code);
      const injected = (await api.faults()).injected;
      await api.clearFaults();
      if (reply.status === 200) approvedByClient.push(id);
      else {
        expectRetriable(reply);
        refused.verify++;
      }
      if (reply.status === 200 && injected === 0) break;
      expect(n).toBeLessThan(15);
    }
    // Each sweep met every request of its call: a create makes two (the user with its throttle
    // state, the transaction), a verify two (the challenge, the transaction), plus the key and
    // tenant whenever the runtime reads them again (API_KEY_CACHE_SECONDS).
    expect(refused.create).toBeGreaterThanOrEqual(2);
    expect(refused.verify).toBeGreaterThanOrEqual(2);
    const items = await api.allItems();
    const challenges = items.filter((r) => r.table === 'Challenges' && r.item.userId?.S?.startsWith('nth-verify-'));
    for (const { item } of challenges) {
      const id = item.challengeId?.S as string;
      const approvals = logsOf(items, id).filter((r) => r.item.result?.S === 'approved');
      // No approval without its log line, and none logged for a challenge still open.
      expect(approvals).toHaveLength(item.status?.S === 'approved' ? 1 : 0);
      if (approvedByClient.includes(id)) expect(item.status?.S).toBe('approved');
    }
  });

  it('with DynamoDB unreachable, every kind of route answers a retriable 503, never a 500', async () => {
    const { userId } = await api.newUser(tenant, 'unreachable');
    await api.setFaults([{ kind: 'network' }]);
    expectRetriable(await api.createChallenge(tenant, userId));
    expectRetriable(await api.request('GET', `/v1/admin/users/${userId}`, { key: tenant.adminKey }));
    expectRetriable(await api.request('GET', '/v1/admin/auth-logs', { key: tenant.adminKey }));
    expectRetriable(await api.request('POST', '/v1/operator/tenants', { key: api.runtime.operatorKey, body: { name: 'Down', provider: { billingModel: 'per_user' } } }));
  });

  it('a rule that fails the first attempt only is absorbed by the SDK retry: the request succeeds', async () => {
    const { userId, phone } = await api.newUser(tenant, 'absorbed');
    await api.setFaults([{ operation: 'TransactWriteItems', table: 'Challenges', kind: 'throttle', times: 1 }]);
    expect((await api.createChallenge(tenant, userId)).status).toBe(201);
    expect((await api.faults()).injected).toBe(1);
    expect(await api.outbox(phone)).toHaveLength(1);
  });

  it('/local/faults refuses malformed rules with a problem', async () => {
    expectProblem(await api.request('PUT', '/local/faults', { body: { rules: [{ kind: 'meteor' }] } }), 400, 'validation-failed');
    expectProblem(await api.request('PUT', '/local/faults', { body: { rules: [{ kind: 'throttle', table: 'Nope' }] } }), 400, 'validation-failed');
  });
});

/** A runtime in a child process, on tables that outlive it. */
class RuntimeProcess {
  private constructor(
    readonly child: ChildProcess,
    readonly url: string,
  ) {}

  static async start(env: Record<string, string>): Promise<RuntimeProcess> {
    const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, '..', 'support', 'runtime-process.ts')], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const line = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout as NodeJS.ReadableStream }).once('line', resolve);
      child.once('exit', (code) => reject(new Error(`runtime exited (${code}): ${stderr}`)));
    });
    return new RuntimeProcess(child, (JSON.parse(line) as { url: string }).url);
  }

  async request(method: string, path: string, key?: string, body?: unknown): Promise<Reply> {
    const response = await fetch(`${this.url}${path}`, {
      method,
      headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  }

  async kill(): Promise<void> {
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGKILL');
    await exited;
  }
}

describe('the local runtime killed mid-load and restarted on the same tables', () => {
  const prefix = `k${randomBytes(4).toString('hex')}-`;
  const exportDir = mkdtempSync(join(tmpdir(), 'tessera-restart-'));
  const env = {
    TESSERA_TEST_TABLE_PREFIX: prefix,
    TESSERA_TEST_MASTER_KEY: randomBytes(32).toString('base64'),
    TESSERA_TEST_OPERATOR_KEY: `tsr_operator_${randomBytes(24).toString('base64url')}`,
    TESSERA_TEST_EXPORT_DIR: exportDir,
  };
  const running: RuntimeProcess[] = [];

  afterAll(async () => {
    for (const r of running) if (r.child.exitCode === null && r.child.signalCode === null) await r.kill();
    rmSync(exportDir, { recursive: true, force: true });
  });

  it('no approval the client received is lost (each with its log line), and no code used before the kill works after it', async () => {
    const first = await RuntimeProcess.start(env);
    running.push(first);
    const created = await first.request('POST', '/v1/operator/tenants', env.TESSERA_TEST_OPERATOR_KEY, {
      name: 'Restart',
      provider: { billingModel: 'per_authentication' },
    });
    expect(created.status).toBe(201);
    const t = created.body as unknown as Tenant;
    const USERS = 24;
    const puts = await Promise.all(
      Array.from({ length: USERS }, (_, i) => first.request('PUT', `/v1/admin/users/r${i}`, t.adminKey, { mfaEnabled: true, phones: { primary: `+1415556${String(1000 + i)}` } })),
    );
    expect(puts.map((p) => p.status)).toEqual(puts.map(() => 201));

    // Each user signs in; the runtime is killed once a third of them are approved.
    const approved: { id: string; code: string }[] = [];
    const inFlight: { id: string; code: string }[] = [];
    let killed: Promise<void> | undefined;
    const signIn = async (i: number) => {
      try {
        const challenge = await first.request('POST', '/v1/challenges', t.authKey, { userId: `r${i}`, method: 'sms' });
        if (challenge.status !== 201) return;
        const id = challenge.body.challengeId as string;
        const outbox = await first.request('GET', `/local/outbox?to=${encodeURIComponent(`+1415556${String(1000 + i)}`)}`);
        const code = /\b(\d{6})\b/.exec(JSON.stringify(outbox.body))?.[1] as string;
        inFlight.push({ id, code });
        const reply = await first.request('POST', `/v1/challenges/${id}/verify`, t.authKey, { code });
        if (reply.status === 200) approved.push({ id, code });
        if (approved.length >= USERS / 3) killed ??= first.kill();
      } catch {
        // The connection died with the runtime: the client never learnt the outcome.
      }
    };
    await Promise.all(Array.from({ length: USERS }, (_, i) => signIn(i)));
    await killed;
    expect(first.child.signalCode).toBe('SIGKILL');
    expect(approved.length).toBeGreaterThanOrEqual(USERS / 3);

    const second = await RuntimeProcess.start(env);
    running.push(second);
    // The new runtime's projection reads the stream from its start: what the first had not projected when it died, and again what it had.
    expect((await second.request('POST', '/local/projection/drain')).status).toBe(204);
    const client = localClient(process.env.TESSERA_TEST_DYNAMODB_ENDPOINT as string);
    const logs = (await client.send(new ScanCommand({ TableName: `${prefix}Logs` }))).Items ?? [];
    const stored = (await client.send(new ScanCommand({ TableName: `${prefix}Challenges` }))).Items ?? [];
    client.destroy();
    const approvalsLogged = (id: string) => logs.filter((l) => l.challengeId?.S === id && l.result?.S === 'approved').length;

    for (const { id, code } of approved) {
      const status = await second.request('GET', `/v1/challenges/${id}`, t.authKey);
      expect(status.body).toMatchObject({ status: 'approved' });
      expect(approvalsLogged(id)).toBe(1);
      expectProblem(await second.request('POST', `/v1/challenges/${id}/verify`, t.authKey, { code }), 409, 'challenge-finished');
    }
    // Every challenge the table holds as approved has its log line, whether or not its client heard back.
    for (const item of stored) expect(approvalsLogged(item.challengeId?.S as string)).toBe(item.status?.S === 'approved' ? 1 : 0);
    // A verify that was cut off may have gone through or not, but its code works at most once.
    for (const { id, code } of inFlight.filter((c) => !approved.some((a) => a.id === c.id))) {
      const replies = [
        await second.request('POST', `/v1/challenges/${id}/verify`, t.authKey, { code }),
        await second.request('POST', `/v1/challenges/${id}/verify`, t.authKey, { code }),
      ];
      expect(replies.filter((r) => r.status === 200).length).toBeLessThanOrEqual(1);
      expect(replies[1]?.status).not.toBe(200);
    }
    await second.kill();
  });
});
