import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';
import { NOT_ACTIVATED } from '../../shared/domain/push-devices';
import { signDeviceResponse } from '../../shared/domain/push';
import { ASSERTION_TTL_SECONDS, PUSH_ACTIVATION_TTL_SECONDS, PUSH_SWEEP_INTERVAL_SECONDS, PUSH_TIMEOUT_SECONDS } from '../../shared/rules';
import { expectProblem, TestApi, type Reply, type Tenant } from '../support/runtime';

let api: TestApi;
let tenant: Tenant;
let other: Tenant;

interface PushView extends Record<string, unknown> {
  challengeId: string;
  status: string;
  reason?: string;
  method: string;
  number: number;
  assertion?: string;
}

interface Device {
  deviceId: string;
  deviceKey: string;
}

const CONTEXT = { appName: 'Payroll', location: 'Zurich, CH', clientIp: '203.0.113.7' };

beforeAll(async () => {
  api = await TestApi.start();
  tenant = await api.createTenant('Push');
  other = await api.createTenant('Other');
  // A provider linked to a directory keeps its users when replaced (R18).
  await replaceProvider(tenant);
  await admin(tenant, 'PATCH', '/v1/admin/settings', { callerId: '+14155550199' });
});

afterAll(() => api.stop());

/** R18: a new provider linked to the same directory: the users stay, the provider generation moves on. */
async function replaceProvider(t: Tenant): Promise<void> {
  if ((await admin(t, 'DELETE', '/v1/admin/provider')).status !== 204) throw new Error('provider not deleted');
  const created = await admin(t, 'PUT', '/v1/admin/provider', { billingModel: 'per_authentication', directoryId: 'contoso' });
  if (created.status !== 201) throw new Error(`provider not created: ${JSON.stringify(created.body)}`);
}

function admin(t: Tenant, method: string, path: string, body?: unknown): Promise<Reply> {
  return api.request(method, path, { key: t.adminKey, ...(body === undefined ? {} : { body }) });
}

async function issue(t: Tenant, userId: string): Promise<string> {
  const reply = await admin(t, 'POST', `/v1/admin/users/${userId}/push-activations`);
  expect(reply.status).toBe(201);
  return reply.body.activationCode as string;
}

function activate(activationCode: string, platform = 'ios'): Promise<Reply> {
  return api.request('POST', '/v1/push/activate', { body: { activationCode, platform, pushToken: `token-${activationCode}` } });
}

/** A user with a phone and an activated push device. */
async function pushUser(t: Tenant = tenant): Promise<{ userId: string; phone: string; device: Device }> {
  const { userId, phone } = await api.newUser(t, 'push');
  const reply = await activate(await issue(t, userId));
  expect(reply.status).toBe(201);
  return { userId, phone, device: reply.body as unknown as Device };
}

function push(t: Tenant, userId: string): Promise<Reply<PushView>> {
  return api.request<PushView>('POST', '/v1/challenges', { key: t.authKey, body: { userId, method: 'push', context: CONTEXT } });
}

function status(t: Tenant, challengeId: string): Promise<Reply<PushView>> {
  return api.request<PushView>('GET', `/v1/challenges/${challengeId}`, { key: t.authKey });
}

function simulate(deviceId: string, body: unknown): Promise<Reply> {
  return api.request('POST', `/local/devices/${deviceId}/respond`, { body });
}

async function pending(deviceId: string): Promise<Record<string, unknown>[]> {
  return (await api.request<{ prompts: Record<string, unknown>[] }>('GET', `/local/devices/${deviceId}/pending`)).body.prompts;
}

/** The user's `denied timeout` auth-log lines, once there are at least `atLeast` (the sweep runs in the background). */
async function timeoutLines(userId: string, atLeast: number): Promise<number> {
  for (let attempt = 0; ; attempt++) {
    const logs = await admin(tenant, 'GET', `/v1/admin/auth-logs?userId=${userId}&method=push&result=denied`);
    const count = (logs.body.items as { reason?: string }[]).filter((l) => l.reason === 'timeout').length;
    if (count >= atLeast || attempt >= 100) return count;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The stored challenge item's TTL attribute and approval time (epoch seconds and ms). */
async function storedTtl(challengeId: string): Promise<{ ttl: number; approvedAt: number }> {
  const found = (await api.allItems()).find((i) => i.table === 'Challenges' && i.item.pk?.S === challengeId);
  return { ttl: Number(found?.item.ttl?.N), approvedAt: Number(found?.item.approvedAt?.N) };
}

describe('R18 activation', () => {
  it('an admin issues a one-time code; the phone trades it for a device id and key; the user then has push', async () => {
    const { userId } = await api.newUser(tenant, 'act');
    const issued = await admin(tenant, 'POST', `/v1/admin/users/${userId}/push-activations`);
    expect(issued.status).toBe(201);
    expect(issued.body).toMatchObject({
      activationCode: expect.stringMatching(/^[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}$/),
      expiresAt: expect.any(String),
      qr: { uri: expect.stringMatching(/^tessera:\/\/push\/activate\?code=/), svg: expect.stringContaining('<svg') },
    });
    const activated = await activate(issued.body.activationCode as string);
    expect(activated.status).toBe(201);
    expect(activated.body).toEqual({ deviceId: expect.stringMatching(/^dv_/), deviceKey: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) });
    expect((await push(tenant, userId)).status).toBe(201);
  });

  it('a code works once', async () => {
    const { userId } = await api.newUser(tenant, 'once');
    const code = await issue(tenant, userId);
    expect((await activate(code)).status).toBe(201);
    expectProblem(await activate(code), 401, 'unauthenticated');
  });

  it('a code expires', async () => {
    const { userId } = await api.newUser(tenant, 'late');
    const code = await issue(tenant, userId);
    await api.advanceClock(PUSH_ACTIVATION_TTL_SECONDS + 1);
    expectProblem(await activate(code), 401, 'unauthenticated');
  });

  it('bad input is a 400 that changes nothing', async () => {
    expectProblem(await api.request('POST', '/v1/push/activate', { body: { activationCode: 'x', platform: 'symbian', pushToken: '' } }), 400);
  });

  it('R27: an admin cannot issue a code for another tenant\'s user', async () => {
    const { userId } = await api.newUser(tenant, 'mine');
    expectProblem(await admin(other, 'POST', `/v1/admin/users/${userId}/push-activations`), 404);
  });
});

describe('R9 push with number matching', () => {
  it('the sign-in screen gets the number; the phone gets app, location and IP but not the number; approving with it approves', async () => {
    const { userId, device } = await pushUser();
    const created = await push(tenant, userId);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ method: 'push', status: 'pending', number: expect.any(Number) });
    expect(created.body.number).toBeGreaterThanOrEqual(10);
    expect(created.body.number).toBeLessThanOrEqual(99);
    expect((await status(tenant, created.body.challengeId)).body.number).toBe(created.body.number);

    const prompts = await pending(device.deviceId);
    expect(prompts).toEqual([expect.objectContaining({ challengeId: created.body.challengeId, ...CONTEXT })]);
    expect(prompts[0]).not.toHaveProperty('number');

    const answer = await simulate(device.deviceId, { challengeId: created.body.challengeId, decision: 'approve', number: created.body.number });
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ challengeId: created.body.challengeId, status: 'approved' });
    expect(await pending(device.deviceId)).toEqual([]);

    const after = await status(tenant, created.body.challengeId);
    expect(after.body).toMatchObject({ status: 'approved' });
    const jwks = (await api.request<JSONWebKeySet>('GET', '/.well-known/jwks.json')).body;
    const { payload } = await jwtVerify(after.body.assertion as string, createLocalJWKSet(jwks));
    expect(payload).toMatchObject({ sub: userId, amr: ['push'], cid: created.body.challengeId });
  });

  it('a push already on the phone cannot be approved once the user is made passkeys-only (phishing-resistant only)', async () => {
    const { userId, device } = await pushUser();
    const created = await push(tenant, userId);
    expect((await admin(tenant, 'PATCH', `/v1/admin/users/${userId}`, { phishingResistantOnly: true })).status).toBe(200);
    await simulate(device.deviceId, { challengeId: created.body.challengeId, decision: 'approve', number: created.body.number });
    const after = await status(tenant, created.body.challengeId);
    expect(after.body.status).toBe('denied');
    expect(after.body).not.toHaveProperty('assertion');
  });

  it('R4: an approved push stays stored with its assertion until the assertion expires, not only until the prompt times out', async () => {
    const { userId, device } = await pushUser();
    const created = await push(tenant, userId);
    await simulate(device.deviceId, { challengeId: created.body.challengeId, decision: 'approve', number: created.body.number });
    const { ttl, approvedAt } = await storedTtl(created.body.challengeId);
    expect(approvedAt).toBeGreaterThan(0);
    expect(ttl).toBeGreaterThanOrEqual(Math.ceil(approvedAt / 1000) + ASSERTION_TTL_SECONDS);
    // Past the prompt's own expiry, within the assertion's lifetime: still approved, with the assertion.
    await api.advanceClock(PUSH_TIMEOUT_SECONDS + 60);
    expect((await status(tenant, created.body.challengeId)).body).toMatchObject({ status: 'approved', assertion: expect.any(String) });
  });

  it('R7: a pending push is kept (TTL) at least an hour past its deadline, so DynamoDB never deletes it before the sweep counts it', async () => {
    const { userId } = await pushUser();
    const created = await push(tenant, userId);
    expect(created.status).toBe(201);
    const found = (await api.allItems()).find((i) => i.table === 'Challenges' && i.item.pk?.S === created.body.challengeId);
    const deadline = Number(found?.item.expiresAt?.N);
    expect(deadline).toBe(Date.parse(created.body.expiresAt as string));
    expect(Number(found?.item.ttl?.N)).toBeGreaterThanOrEqual(Math.ceil(deadline / 1000) + 3600);
  });

  it('a wrong number denies', async () => {
    const { userId, device } = await pushUser();
    const created = await push(tenant, userId);
    const wrong = created.body.number === 99 ? 98 : created.body.number + 1;
    const answer = await simulate(device.deviceId, { challengeId: created.body.challengeId, decision: 'approve', number: wrong });
    expect(answer.body).toEqual({ challengeId: created.body.challengeId, status: 'denied', reason: 'wrong_number' });
    expect((await status(tenant, created.body.challengeId)).body).toMatchObject({ status: 'denied', reason: 'wrong_number' });
    expect((await status(tenant, created.body.challengeId)).body).not.toHaveProperty('assertion');
  });

  it('the user denies', async () => {
    const { userId, device } = await pushUser();
    const created = await push(tenant, userId);
    expect((await simulate(device.deviceId, { challengeId: created.body.challengeId, decision: 'deny' })).body).toMatchObject({ status: 'denied', reason: 'denied' });
    expect((await status(tenant, created.body.challengeId)).body).toMatchObject({ status: 'denied', reason: 'denied' });
    expectProblem(await simulate(device.deviceId, { challengeId: created.body.challengeId, decision: 'approve', number: created.body.number }), 409);
  });

  it(`unanswered after ${PUSH_TIMEOUT_SECONDS} s: denied as timeout, and a late approval is refused`, async () => {
    const { userId, device } = await pushUser();
    const created = await push(tenant, userId);
    await api.advanceClock(PUSH_TIMEOUT_SECONDS + 1);
    expect((await status(tenant, created.body.challengeId)).body).toMatchObject({ status: 'denied', reason: 'timeout' });
    expect(await pending(device.deviceId)).toEqual([]);
    const late = await simulate(device.deviceId, { challengeId: created.body.challengeId, decision: 'approve', number: created.body.number });
    expectProblem(late, 409, 'challenge-finished');
    expect((await status(tenant, created.body.challengeId)).body).toMatchObject({ status: 'denied', reason: 'timeout' });
  });

  it('a push takes no code and cannot be resent', async () => {
    const { userId } = await pushUser();
    const created = await push(tenant, userId);
    const id = created.body.challengeId;
    expectProblem(await api.request('POST', `/v1/challenges/${id}/verify`, { key: tenant.authKey, body: { code: '123456' } }), 422, 'method-unavailable');
    expectProblem(await api.request('POST', `/v1/challenges/${id}/resend`, { key: tenant.authKey }), 422, 'method-unavailable');
  });
});

describe('R7 fatigue', () => {
  it('a denial, a wrong number and a timeout pause push and voice; SMS still works', async () => {
    const { userId, device } = await pushUser();
    const denied = await push(tenant, userId);
    await simulate(device.deviceId, { challengeId: denied.body.challengeId, decision: 'deny' });
    const wrong = await push(tenant, userId);
    await simulate(device.deviceId, { challengeId: wrong.body.challengeId, decision: 'approve', number: wrong.body.number === 10 ? 11 : 10 });
    const ignored = await push(tenant, userId);
    await api.advanceClock(PUSH_TIMEOUT_SECONDS + 1);
    // Read twice: the timeout counts once, whoever sees it first.
    await status(tenant, ignored.body.challengeId);
    await status(tenant, ignored.body.challengeId);

    const paused = await push(tenant, userId);
    expectProblem(paused, 429, 'retry-later');
    expect(paused.body).toMatchObject({ reason: 'fatigue_pause' });
    const voice = await api.request('POST', '/v1/challenges', { key: tenant.authKey, body: { userId, method: 'voice' } });
    expectProblem(voice, 429, 'retry-later');
    expect(voice.body).toMatchObject({ reason: 'fatigue_pause' });
    expect((await api.createChallenge(tenant, userId)).status).toBe(201);
  });

  it('R7: three ignored pushes that nobody polls, then a fourth: 429 fatigue pause (a sweep observes every deadline within a minute)', async () => {
    const { userId } = await pushUser();
    for (let i = 0; i < 3; i++) expect((await push(tenant, userId)).status).toBe(201);
    await api.advanceClock(PUSH_TIMEOUT_SECONDS + PUSH_SWEEP_INTERVAL_SECONDS + 1);
    // Nobody reads the challenges: the auth log (which reads no challenge) shows the sweep's timeouts.
    expect(await timeoutLines(userId, 3)).toBe(3);
    const fourth = await push(tenant, userId);
    expectProblem(fourth, 429, 'retry-later');
    expect(fourth.body).toMatchObject({ reason: 'fatigue_pause' });
  });

  it('R7: a timeout the sweep wrote and readers then see counts once', async () => {
    const { userId } = await pushUser();
    const ignored = [await push(tenant, userId), await push(tenant, userId)];
    await api.advanceClock(PUSH_TIMEOUT_SECONDS + PUSH_SWEEP_INTERVAL_SECONDS + 1);
    expect(await timeoutLines(userId, 2)).toBe(2);
    for (const created of ignored) {
      for (let i = 0; i < 3; i++) expect((await status(tenant, created.body.challengeId)).body).toMatchObject({ status: 'denied', reason: 'timeout' });
    }
    expect(await timeoutLines(userId, 2)).toBe(2);
    // Two ignored prompts, each counted once: no pause yet.
    const next = await push(tenant, userId);
    expect(next.status).toBe(201);
    // Settled pushes leave the sweep's index of open pushes; the new one is in it.
    const indexed = (await api.allItems()).filter((r) => r.table === 'Challenges' && r.item.userId?.S === userId && r.item.gsi1pk);
    expect(indexed.map((r) => r.item.challengeId?.S)).toEqual([next.body.challengeId]);
  });

  it('a timeout read many times counts once', async () => {
    const { userId } = await pushUser();
    const ignored = await push(tenant, userId);
    await api.advanceClock(PUSH_TIMEOUT_SECONDS + 1);
    for (let i = 0; i < 4; i++) expect((await status(tenant, ignored.body.challengeId)).body).toMatchObject({ reason: 'timeout' });
    const throttling = await admin(tenant, 'GET', `/v1/admin/users/${userId}`);
    expect(JSON.stringify(throttling.body)).not.toContain('fatigue_pause');
    expect((await push(tenant, userId)).status).toBe(201);
  });
});

describe('signed device answers', () => {
  it('a forged signature is refused (401) and changes nothing', async () => {
    const { userId, device } = await pushUser();
    const created = await push(tenant, userId);
    const forgedKey = new Uint8Array(32).fill(7);
    const answer = { challengeId: created.body.challengeId, decision: 'approve' as const, number: created.body.number, timestamp: await api.clockNow() };
    const reply = await api.request('POST', '/v1/push/respond', { body: { deviceId: device.deviceId, ...answer, signature: signDeviceResponse(forgedKey, answer) } });
    expectProblem(reply, 401, 'unauthenticated');
    expect((await status(tenant, created.body.challengeId)).body).toMatchObject({ status: 'pending' });
  });

  it('a stale answer, even correctly signed, is refused (401) and changes nothing', async () => {
    const { userId, device } = await pushUser();
    const created = await push(tenant, userId);
    const key = new Uint8Array(Buffer.from(device.deviceKey, 'base64url'));
    const answer = { challengeId: created.body.challengeId, decision: 'approve' as const, number: created.body.number, timestamp: (await api.clockNow()) - 120_000 };
    const reply = await api.request('POST', '/v1/push/respond', { body: { deviceId: device.deviceId, ...answer, signature: signDeviceResponse(key, answer) } });
    expectProblem(reply, 401, 'unauthenticated');
    expect((await status(tenant, created.body.challengeId)).body).toMatchObject({ status: 'pending' });
  });

  it('R27: a device cannot answer another user\'s (or tenant\'s) push, and tenants cannot read each other\'s', async () => {
    const mine = await pushUser();
    const theirs = await pushUser(other);
    const created = await push(other, theirs.userId);
    const reply = await simulate(mine.device.deviceId, { challengeId: created.body.challengeId, decision: 'approve', number: created.body.number });
    expectProblem(reply, 404);
    expectProblem(await status(tenant, created.body.challengeId), 404);
    expect((await status(other, created.body.challengeId)).body).toMatchObject({ status: 'pending' });
  });
});

describe('R27 no oracle on the public push routes', () => {
  /** Everything a caller sees of a reply, except what differs per request anyway. */
  const visible = (reply: Reply) => ({
    status: reply.status,
    headers: Object.fromEntries(['content-type', 'cache-control', 'www-authenticate', 'retry-after'].map((h) => [h, reply.headers.get(h)])),
    body: reply.body,
  });

  it('R27: /v1/push/respond answers an unknown device id exactly as a known device with a bad signature', async () => {
    const { userId, device } = await pushUser();
    const created = await push(tenant, userId);
    const answer = { challengeId: created.body.challengeId, decision: 'approve' as const, number: created.body.number, timestamp: await api.clockNow() };
    const signature = signDeviceResponse(new Uint8Array(32).fill(9), answer);
    const known = await api.request('POST', '/v1/push/respond', { body: { deviceId: device.deviceId, ...answer, signature } });
    const unknown = await api.request('POST', '/v1/push/respond', { body: { deviceId: `dv_${'A'.repeat(22)}`, ...answer, signature } });
    expectProblem(known, 401, 'unauthenticated');
    expect(visible(unknown)).toEqual(visible(known));
    expect(known.body).not.toHaveProperty('reason');
    // A stale answer signed with the right key is refused the same way: the reason stays in the log.
    const key = new Uint8Array(Buffer.from(device.deviceKey, 'base64url'));
    const stale = { ...answer, timestamp: answer.timestamp - 120_000 };
    const old = await api.request('POST', '/v1/push/respond', { body: { deviceId: device.deviceId, ...stale, signature: signDeviceResponse(key, stale) } });
    expect(visible(old)).toEqual(visible(known));
    expect((await status(tenant, created.body.challengeId)).body).toMatchObject({ status: 'pending' });
  });

  it('R27: /v1/push/activate answers an unknown code exactly as a used one and one issued under an earlier provider', async () => {
    const used = await issue(other, (await api.newUser(other, 'used')).userId);
    expect((await activate(used)).status).toBe(201);
    const earlier = await issue(other, (await api.newUser(other, 'earlier')).userId);
    await replaceProvider(other);
    const replies = [await activate('zzzz-zzzz-zzzz'), await activate(used), await activate(earlier)];
    expectProblem(replies[0] as Reply, 401, 'unauthenticated');
    for (const reply of replies) expect(visible(reply)).toEqual(visible(replies[0] as Reply));
  });
});

describe('R23 push auth-log lines', () => {
  it('R23: every push line (sent, approved, denied, timeout, throttled) names the device token', async () => {
    const { userId, device } = await pushUser();
    const approved = await push(tenant, userId);
    await simulate(device.deviceId, { challengeId: approved.body.challengeId, decision: 'approve', number: approved.body.number });
    const denied = await push(tenant, userId);
    await simulate(device.deviceId, { challengeId: denied.body.challengeId, decision: 'deny' });
    const ignored = await push(tenant, userId);
    await api.advanceClock(PUSH_TIMEOUT_SECONDS + 1);
    await status(tenant, ignored.body.challengeId);
    const again = await push(tenant, userId);
    await simulate(device.deviceId, { challengeId: again.body.challengeId, decision: 'deny' });
    expectProblem(await push(tenant, userId), 429, 'retry-later');

    const logs = await admin(tenant, 'GET', `/v1/admin/auth-logs?userId=${userId}`);
    const lines = (logs.body.items as { method: string; result: string; reason?: string; deviceToken?: string }[]).filter((l) => l.method === 'push');
    expect(lines.map((l) => `${l.result}${l.reason ? ` ${l.reason}` : ''}`).sort()).toEqual(
      ['approved', 'denied denied', 'denied denied', 'denied timeout', 'sent', 'sent', 'sent', 'sent', 'throttled fatigue_pause'].sort(),
    );
    for (const line of lines) expect(line.deviceToken).toBe(device.deviceId);
  });
});

describe('R18 provider replaced', () => {
  it('an old device is "not activated" until it activates again', async () => {
    const { userId, device } = await pushUser();
    const before = await push(tenant, userId);
    await replaceProvider(tenant);

    const refused = await push(tenant, userId);
    expectProblem(refused, 403, 'device-not-activated');
    expect(refused.body.detail).toBe(NOT_ACTIVATED);
    const late = await simulate(device.deviceId, { challengeId: before.body.challengeId, decision: 'approve', number: before.body.number });
    expectProblem(late, 403, 'device-not-activated');
    expect(late.body.detail).toBe(NOT_ACTIVATED);

    const again = await activate(await issue(tenant, userId));
    expect(again.status).toBe(201);
    const created = await push(tenant, userId);
    expect(created.status).toBe(201);
    const approved = await simulate((again.body as unknown as Device).deviceId, { challengeId: created.body.challengeId, decision: 'approve', number: created.body.number });
    expect(approved.body).toMatchObject({ status: 'approved' });
  });
});

describe('R28 secrets at rest', () => {
  it('neither the device key nor the activation code is readable in DynamoDB', async () => {
    const { userId } = await api.newUser(tenant, 'secret');
    const code = await issue(tenant, userId);
    const pendingItems = JSON.stringify(await api.allItems());
    expect(pendingItems).not.toContain(code);
    expect(pendingItems).not.toContain(code.replace(/-/g, ''));
    const device = (await activate(code)).body as unknown as Device;
    const raw = Buffer.from(device.deviceKey, 'base64url');
    const items = JSON.stringify(await api.allItems());
    for (const form of [device.deviceKey, raw.toString('base64'), raw.toString('hex')]) expect(items).not.toContain(form);
  });
});

describe('R19 R20 push registration and the console', () => {
  it('an admin PUT keeps the registered push device; a reset clears it and the user must register again', async () => {
    const { userId, phone } = await pushUser();
    expect((await admin(tenant, 'GET', `/v1/admin/users/${userId}`)).body.methods).toContain('push');
    await admin(tenant, 'PUT', `/v1/admin/users/${userId}`, { firstName: 'Pia', mfaEnabled: true, phones: { primary: phone } });
    expect((await admin(tenant, 'GET', `/v1/admin/users/${userId}`)).body.methods).toContain('push');
    expect((await push(tenant, userId)).status).toBe(201);

    const reset = await admin(tenant, 'POST', `/v1/admin/users/${userId}/reset`);
    expect(reset.body.methods).not.toContain('push');
    expect(reset.body.registration).toEqual({ required: true, reason: 'reset_by_admin' });
    expectProblem(await push(tenant, userId), 403, 'registration-required');
  });
});
