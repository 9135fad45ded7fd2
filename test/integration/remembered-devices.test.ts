/**
 * Remembered devices (issue 16) through the local runtime, against a DynamoDB Local of this file's
 * own that keeps its data in files, so the test can read them: the setting, a token after an
 * approved challenge and its checks, the binding, expiry at its edge with the local clock, the
 * challenge's age, replay and a race of one challenge, pending, locked, expired and denied
 * challenges, every revocation path, tenants, billing, and no token in the files or the logs.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { REMEMBERED_DEVICE_STEP_UP_SECONDS } from '../../shared/rules';
import { expectProblem, TEST_CALLER_ID, type Reply, type Tenant, type TestApi } from '../support/runtime';
import { WitnessedRuntime } from '../support/witnessed-runtime';

const DAY = 24 * 3600;
/** Voice calls nobody answers give up after this (R12), as in the voice tests. */
const CALL_TIMEOUT_MS = 1000;

let witnessed: WitnessedRuntime;
let api: TestApi;
let acme: Tenant;
let globex: Tenant;
/** Every token and binding handed out or sent, to look for in the files and the logs. */
const secrets: string[] = [];

beforeAll(async () => {
  witnessed = await WitnessedRuntime.start({ voiceCallTimeoutMs: CALL_TIMEOUT_MS });
  api = witnessed.api;
  acme = await api.createTenant('Acme');
  globex = await api.createTenant('Globex');
  for (const t of [acme, globex]) {
    must(await admin(t, 'PATCH', '/v1/admin/settings', { rememberedDevices: { enabled: true, days: 30 }, callerId: TEST_CALLER_ID }), 200);
  }
}, 120_000);

afterAll(() => witnessed?.close());

const admin = (t: Tenant, method: string, path: string, body?: unknown) => api.request(method, path, { key: t.adminKey, ...(body === undefined ? {} : { body }) });
const auth = (t: Tenant, method: string, path: string, body?: unknown) => api.request(method, path, { key: t.authKey, ...(body === undefined ? {} : { body }) });

function must(reply: Reply, status: number): void {
  if (reply.status !== status) throw new Error(`setup step answered ${reply.status}: ${JSON.stringify(reply.body)}`);
}

let bindings = 0;
/** A binding value of the relying app's (a hash of its device cookie, say). */
function newBinding(): string {
  const binding = `cookie-hash-${String(bindings++).padStart(6, '0')}-${Math.random().toString(36).slice(2)}`;
  secrets.push(binding);
  return binding;
}

/** A challenge of `userId`, approved with the texted code. */
async function approved(t: Tenant, userId: string, phone: string): Promise<string> {
  const created = await api.createChallenge(t, userId);
  must(created, 201);
  const challengeId = created.body.challengeId as string;
  must(await auth(t, 'POST', `/v1/challenges/${challengeId}/verify`, { code: await api.latestCode(phone) }), 200);
  return challengeId;
}

async function remember(t: Tenant, challengeId: string, binding: string): Promise<Reply> {
  const reply = await auth(t, 'POST', '/v1/remembered-devices', { challengeId, binding });
  if (typeof reply.body?.token === 'string') secrets.push(reply.body.token);
  return reply;
}

const check = (t: Tenant, userId: string, token: string, binding: string) => auth(t, 'POST', '/v1/remembered-devices/check', { userId, token, binding });

/** A user remembered on one device: the token and binding to check with. */
async function rememberedUser(t: Tenant, prefix = 'rd'): Promise<{ userId: string; phone: string; token: string; binding: string; expiresAt: string }> {
  const { userId, phone } = await api.newUser(t, prefix);
  const binding = newBinding();
  const issued = await remember(t, await approved(t, userId, phone), binding);
  expect(issued.status).toBe(201);
  return { userId, phone, binding, token: issued.body.token as string, expiresAt: issued.body.expiresAt as string };
}

async function statusOf(t: Tenant, u: { userId: string; token: string; binding: string }): Promise<string> {
  const reply = await check(t, u.userId, u.token, u.binding);
  expect(reply.status).toBe(200);
  return reply.body.status as string;
}

describe('the tenant setting', () => {
  it('is off by default with a 30-day window; issuing and checking answer 409 remembered-devices-disabled', async () => {
    const initech = await api.createTenant('Initech');
    expect((await admin(initech, 'GET', '/v1/admin/settings')).body.rememberedDevices).toEqual({ enabled: false, days: 30 });
    const { userId, phone } = await api.newUser(initech, 'off');
    const challengeId = await approved(initech, userId, phone);
    expectProblem(await remember(initech, challengeId, newBinding()), 409, 'remembered-devices-disabled');
    expectProblem(await check(initech, userId, `rdt_${'A'.repeat(43)}`, newBinding()), 409, 'remembered-devices-disabled');
    // The refused check is logged too.
    const logs = (await admin(initech, 'GET', `/v1/admin/auth-logs?userId=${userId}&method=remembered_device`)).body.items as { result: string; reason: string }[];
    expect(logs).toEqual([expect.objectContaining({ result: 'denied', reason: 'remembered_devices_disabled' })]);
    // Turned on now, the same approved challenge remembers the device.
    must(await admin(initech, 'PATCH', '/v1/admin/settings', { rememberedDevices: { enabled: true, days: 7 } }), 200);
    expect((await remember(initech, challengeId, newBinding())).status).toBe(201);
  });

  it.each([
    ['a window of 0 days', { enabled: true, days: 0 }],
    ['a window of 366 days', { enabled: true, days: 366 }],
    ['a fractional window', { enabled: true, days: 1.5 }],
    ['a window given as text', { enabled: true, days: '30' }],
    ['no window', { enabled: true }],
    ['an unknown field', { enabled: true, days: 30, extra: 1 }],
    ['null', null],
  ])('refuses %s with 400 and changes nothing', async (_name, rememberedDevices) => {
    expectProblem(await admin(acme, 'PATCH', '/v1/admin/settings', { rememberedDevices }), 400, 'validation-failed');
    expect((await admin(acme, 'GET', '/v1/admin/settings')).body.rememberedDevices).toEqual({ enabled: true, days: 30 });
  });

  it('accepts windows of 1 and 365 days', async () => {
    const initech = await api.createTenant('Bounds');
    for (const days of [1, 365]) {
      must(await admin(initech, 'PATCH', '/v1/admin/settings', { rememberedDevices: { enabled: true, days } }), 200);
      expect((await admin(initech, 'GET', '/v1/admin/settings')).body.rememberedDevices).toEqual({ enabled: true, days });
    }
  });
});

describe('issue and check', () => {
  it('remembers the device for the window, bound to the user and the binding', async () => {
    const u = await rememberedUser(acme);
    expect(u.token).toMatch(/^rdt_[A-Za-z0-9_-]{43}$/);
    const now = await api.clockNow();
    expect(Date.parse(u.expiresAt) - now).toBeGreaterThan(30 * DAY * 1000 - 60_000);
    expect(Date.parse(u.expiresAt) - now).toBeLessThanOrEqual(30 * DAY * 1000);
    expect((await check(acme, u.userId, u.token, u.binding)).body).toEqual({ status: 'remembered', expiresAt: u.expiresAt });
  });

  it('a binding mismatch, another user, or a token never issued are unknown', async () => {
    const u = await rememberedUser(acme);
    const other = await rememberedUser(acme);
    expect(await statusOf(acme, { ...u, binding: newBinding() })).toBe('unknown');
    expect(await statusOf(acme, { ...u, userId: other.userId })).toBe('unknown');
    expect(await statusOf(acme, { ...u, userId: 'nobody-here' })).toBe('unknown');
    expect(await statusOf(acme, { ...u, token: `rdt_${'B'.repeat(43)}` })).toBe('unknown');
    expect(await statusOf(acme, u)).toBe('remembered');
  });

  it('logs every check in the auth log, approved when remembered and denied with the status otherwise', async () => {
    const u = await rememberedUser(acme);
    await statusOf(acme, u);
    await statusOf(acme, { ...u, binding: newBinding() });
    const logs = (await admin(acme, 'GET', `/v1/admin/auth-logs?userId=${u.userId}&method=remembered_device`)).body.items as Record<string, unknown>[];
    expect(logs.map((l) => [l.event, l.result, l.reason])).toEqual(expect.arrayContaining([['verify', 'approved', undefined], ['verify', 'denied', 'unknown']]));
    expect(logs).toHaveLength(2);
    expect(logs[0]).toMatchObject({ apiKeyId: expect.any(String), userId: u.userId });
  });

  it.each([
    ['a challengeId that is not one', { challengeId: 'ch_short', binding: 'b'.repeat(16) }],
    ['a binding of 15 characters', { challengeId: `ch_${'A'.repeat(22)}`, binding: 'b'.repeat(15) }],
    ['a binding of 257 characters', { challengeId: `ch_${'A'.repeat(22)}`, binding: 'b'.repeat(257) }],
    ['a binding with a space', { challengeId: `ch_${'A'.repeat(22)}`, binding: 'b'.repeat(16) + ' x' }],
    ['an unknown field', { challengeId: `ch_${'A'.repeat(22)}`, binding: 'b'.repeat(16), userId: 'x' }],
  ])('issuing refuses %s with 400', async (_name, body) => {
    expectProblem(await auth(acme, 'POST', '/v1/remembered-devices', body), 400, 'validation-failed');
  });

  it.each([
    ['a malformed token', { userId: 'ada', token: 'rdt_short', binding: 'b'.repeat(16) }],
    ['no binding', { userId: 'ada', token: `rdt_${'A'.repeat(43)}` }],
    ['a bad user id', { userId: 'a/b', token: `rdt_${'A'.repeat(43)}`, binding: 'b'.repeat(16) }],
  ])('checking refuses %s with 400', async (_name, body) => {
    expectProblem(await auth(acme, 'POST', '/v1/remembered-devices/check', body), 400, 'validation-failed');
  });
});

describe('the challenge a token is asked with', () => {
  it('is used once: a replay gets 409 device-not-remembered (already_used), whatever the binding', async () => {
    const { userId, phone } = await api.newUser(acme, 'replay');
    const challengeId = await approved(acme, userId, phone);
    expect((await remember(acme, challengeId, newBinding())).status).toBe(201);
    const again = await remember(acme, challengeId, newBinding());
    expectProblem(again, 409, 'device-not-remembered');
    expect(again.body.reason).toBe('already_used');
  });

  it('two racing requests with one challenge: exactly one token', async () => {
    const { userId, phone } = await api.newUser(acme, 'race');
    const challengeId = await approved(acme, userId, phone);
    const replies = await Promise.all(Array.from({ length: 5 }, () => remember(acme, challengeId, newBinding())));
    expect(replies.map((r) => r.status).sort()).toEqual([201, 409, 409, 409, 409]);
    expect((await admin(acme, 'GET', `/v1/admin/users/${userId}/remembered-devices`)).body.count).toBe(1);
  });

  it('a pending, a locked and an expired challenge are refused (not_approved)', async () => {
    const { userId, phone } = await api.newUser(acme, 'pending');
    const pending = (await api.createChallenge(acme, userId)).body.challengeId as string;
    const refusedPending = await remember(acme, pending, newBinding());
    expectProblem(refusedPending, 409, 'device-not-remembered');
    expect(refusedPending.body.reason).toBe('not_approved');

    const locked = (await api.createChallenge(acme, userId)).body.challengeId as string;
    const code = await api.latestCode(phone);
    const wrong = code === '000000' ? '111111' : '000000';
    for (let i = 0; i < 5; i++) await auth(acme, 'POST', `/v1/challenges/${locked}/verify`, { code: wrong });
    expect((await auth(acme, 'GET', `/v1/challenges/${locked}`)).body.status).toBe('locked');
    expect((await remember(acme, locked, newBinding())).body.reason).toBe('not_approved');

    const { userId: late, phone: latePhone } = await api.newUser(acme, 'expired');
    const expired = (await api.createChallenge(acme, late)).body.challengeId as string;
    await api.latestCode(latePhone);
    await api.advanceClock(181);
    expect((await auth(acme, 'GET', `/v1/challenges/${expired}`)).body.status).toBe('expired');
    expect((await remember(acme, expired, newBinding())).body.reason).toBe('not_approved');
  });

  it('a denied challenge (the user hung up on the call, R11) is refused', async () => {
    const { userId, phone } = await api.newUser(acme, 'denied');
    await api.scriptPhone(phone, 'hangup');
    const created = await auth(acme, 'POST', '/v1/challenges', { userId, method: 'voice' });
    must(created, 201);
    const challengeId = created.body.challengeId as string;
    let status = 'pending';
    for (let i = 0; i < 200 && status === 'pending'; i++) {
      status = (await auth(acme, 'GET', `/v1/challenges/${challengeId}`)).body.status as string;
      if (status === 'pending') await sleep(20);
    }
    expect(status).toBe('denied');
    const refused = await remember(acme, challengeId, newBinding());
    expectProblem(refused, 409, 'device-not-remembered');
    expect(refused.body.reason).toBe('not_approved');
  });

  it(`must have been approved less than ${REMEMBERED_DEVICE_STEP_UP_SECONDS / 60} minutes ago (the edge, with the local clock)`, async () => {
    const { userId, phone } = await api.newUser(acme, 'age');
    await api.freezeClock(true);
    try {
      const first = await approved(acme, userId, phone);
      const second = await approved(acme, userId, phone);
      await api.advanceClock(REMEMBERED_DEVICE_STEP_UP_SECONDS - 1);
      expect((await remember(acme, first, newBinding())).status).toBe(201);
      await api.advanceClock(1);
      const late = await remember(acme, second, newBinding());
      expectProblem(late, 409, 'device-not-remembered');
      expect(late.body.reason).toBe('too_old');
    } finally {
      await api.freezeClock(false);
    }
  });

  it('a challenge of a user reset since its approval is refused (user_changed)', async () => {
    const { userId, phone } = await api.newUser(acme, 'changed');
    const challengeId = await approved(acme, userId, phone);
    must(await admin(acme, 'POST', `/v1/admin/users/${userId}/reset`), 200);
    expect((await remember(acme, challengeId, newBinding())).body.reason).toBe('user_changed');
  });
});

describe('R27: tenants are isolated on every route', () => {
  it("another tenant's challenge is not found; another tenant's check is unknown; its admin sees no such user", async () => {
    const { userId, phone } = await api.newUser(acme, 'iso');
    const challengeId = await approved(acme, userId, phone);
    expectProblem(await remember(globex, challengeId, newBinding()), 404, 'not-found');
    const binding = newBinding();
    const issued = await remember(acme, challengeId, binding);
    expect(issued.status).toBe(201);
    const token = issued.body.token as string;
    // Globex has a user of the same id: still not the same user.
    must(await api.putUser(globex, userId, '+14155559876'), 201);
    expect(await statusOf(globex, { userId, token, binding })).toBe('unknown');
    expect((await admin(globex, 'GET', `/v1/admin/users/${userId}/remembered-devices`)).body.count).toBe(0);
    expect((await admin(globex, 'DELETE', `/v1/admin/users/${userId}/remembered-devices`)).body.revoked).toBe(0);
    expectProblem(await admin(globex, 'GET', '/v1/admin/users/nobody-at-globex/remembered-devices'), 404, 'not-found');
    expectProblem(await admin(globex, 'DELETE', '/v1/admin/users/nobody-at-globex/remembered-devices'), 404, 'not-found');
    // Globex's revocation touched nothing of Acme's.
    expect(await statusOf(acme, { userId, token, binding })).toBe('remembered');
  });

  it('the relying app routes need an auth key and the console routes an admin key', async () => {
    const body = { challengeId: `ch_${'A'.repeat(22)}`, binding: 'b'.repeat(16) };
    expectProblem(await api.request('POST', '/v1/remembered-devices', { key: acme.adminKey, body }), 403);
    expectProblem(await api.request('POST', '/v1/remembered-devices/check', { key: acme.adminKey, body: { userId: 'a', token: `rdt_${'A'.repeat(43)}`, binding: 'b'.repeat(16) } }), 403);
    expectProblem(await api.request('GET', '/v1/admin/users/a/remembered-devices', { key: acme.authKey }), 403);
    expectProblem(await api.request('DELETE', '/v1/admin/users/a/remembered-devices', { key: acme.authKey }), 403);
    expectProblem(await api.request('POST', '/v1/remembered-devices', { body }), 401);
  });
});

describe('R24: a remembered sign-in is not billed', () => {
  it('checks are neither counted in usage nor billed; the challenge that issued the token was', async () => {
    const billed = await api.createTenant('Billed');
    must(await admin(billed, 'PATCH', '/v1/admin/settings', { rememberedDevices: { enabled: true, days: 30 } }), 200);
    const month = new Date(await api.clockNow()).toISOString().slice(0, 7);
    const units = async () => ((await admin(billed, 'GET', `/v1/admin/billing?month=${month}`)).body.rows as { billableUnits: number }[])[0]?.billableUnits ?? 0;
    const usage = async () => JSON.stringify((await admin(billed, 'GET', `/v1/admin/usage?month=${month}`)).body);
    const u = await rememberedUser(billed, 'bill');
    // The one challenge that approved the device.
    expect(await units()).toBe(1);
    const usageBefore = await usage();
    for (let i = 0; i < 3; i++) expect(await statusOf(billed, u)).toBe('remembered');
    expect(await statusOf(billed, { ...u, binding: newBinding() })).toBe('unknown');
    expect(await units()).toBe(1);
    expect(await usage()).toBe(usageBefore);
    // A challenge still is billed: the count moves.
    must(await api.createChallenge(billed, u.userId), 201);
    expect(await units()).toBe(2);
  });
});

describe('revocation, at once', () => {
  it('an admin revokes all of a user’s remembered devices; the count shows them (no tokens)', async () => {
    const u = await rememberedUser(acme, 'revoke');
    const second = await remember(acme, await approved(acme, u.userId, u.phone), newBinding());
    expect(second.status).toBe(201);
    const listed = await admin(acme, 'GET', `/v1/admin/users/${u.userId}/remembered-devices`);
    expect(listed.body.count).toBe(2);
    expect(JSON.stringify(listed.body)).not.toContain(u.token);
    expect(Object.keys((listed.body.items as Record<string, unknown>[])[0] ?? {}).sort()).toEqual(['createdAt', 'deviceId', 'expiresAt']);
    expect((await admin(acme, 'DELETE', `/v1/admin/users/${u.userId}/remembered-devices`)).body).toEqual({ revoked: 2 });
    expect(await statusOf(acme, u)).toBe('revoked');
    expect(await statusOf(acme, { ...u, token: second.body.token as string, binding: u.binding })).toBe('unknown');
    expect((await admin(acme, 'GET', `/v1/admin/users/${u.userId}/remembered-devices`)).body).toEqual({ count: 0, items: [] });
    // A device remembered after the revocation is good.
    const after = await remember(acme, await approved(acme, u.userId, u.phone), u.binding);
    expect(await statusOf(acme, { ...u, token: after.body.token as string })).toBe('remembered');
  });

  it('a block revokes them, and an unblock does not bring them back; a blocked user gets no new token', async () => {
    const u = await rememberedUser(acme, 'block');
    const pending = await approved(acme, u.userId, u.phone);
    must(await admin(acme, 'POST', `/v1/admin/users/${u.userId}/block`), 200);
    expect(await statusOf(acme, u)).toBe('revoked');
    expectProblem(await remember(acme, pending, newBinding()), 403, 'user-blocked');
    must(await admin(acme, 'POST', `/v1/admin/users/${u.userId}/unblock`), 200);
    expect(await statusOf(acme, u)).toBe('revoked');
  });

  it('a reset revokes them', async () => {
    const u = await rememberedUser(acme, 'reset');
    must(await admin(acme, 'POST', `/v1/admin/users/${u.userId}/reset`), 200);
    expect(await statusOf(acme, u)).toBe('revoked');
  });

  it('a deletion revokes them, and a user created again with the same id does not get them back', async () => {
    const u = await rememberedUser(acme, 'delete');
    must(await admin(acme, 'DELETE', `/v1/admin/users/${u.userId}`), 204);
    expect(await statusOf(acme, u)).toBe('revoked');
    must(await api.putUser(acme, u.userId, u.phone), 201);
    expect(await statusOf(acme, u)).toBe('revoked');
  });

  it('a fraud report (0# on a call, R14) revokes them even when the tenant does not block on fraud', async () => {
    const u = await rememberedUser(acme, 'fraud');
    await api.scriptPhone(u.phone, 'press0#');
    const created = await auth(acme, 'POST', '/v1/challenges', { userId: u.userId, method: 'voice' });
    must(created, 201);
    let status = 'remembered';
    for (let i = 0; i < 200 && status === 'remembered'; i++) {
      status = await statusOf(acme, u);
      if (status === 'remembered') await sleep(20);
    }
    expect(status).toBe('revoked');
    expect((await auth(acme, 'GET', `/v1/challenges/${created.body.challengeId as string}`)).body).toMatchObject({ status: 'denied', reason: 'fraud_reported' });
    expect((await admin(acme, 'GET', `/v1/admin/users/${u.userId}`)).body.blocked).toBeUndefined();
  });

  it('phishing-resistant only for the user revokes them and refuses new ones', async () => {
    const u = await rememberedUser(acme, 'pro');
    const pending = await approved(acme, u.userId, u.phone);
    must(await admin(acme, 'PATCH', `/v1/admin/users/${u.userId}`, { phishingResistantOnly: true }), 200);
    expect(await statusOf(acme, u)).toBe('revoked');
    expectProblem(await remember(acme, pending, newBinding()), 403, 'phishing-resistant-only');
    must(await admin(acme, 'PATCH', `/v1/admin/users/${u.userId}`, { phishingResistantOnly: false }), 200);
    expect(await statusOf(acme, u)).toBe('revoked');
  });

  it("phishing-resistant only for the tenant revokes every user's, for good", async () => {
    const t = await api.createTenant('Strict');
    must(await admin(t, 'PATCH', '/v1/admin/settings', { rememberedDevices: { enabled: true, days: 30 } }), 200);
    const u = await rememberedUser(t, 'tpro');
    const policy = { rpId: 'example.com', rpName: 'Example', origins: ['https://login.example.com'] };
    must(await admin(t, 'PATCH', '/v1/admin/settings', { passkeys: { ...policy, phishingResistantOnly: true } }), 200);
    expect(await statusOf(t, u)).toBe('revoked');
    must(await admin(t, 'PATCH', '/v1/admin/settings', { passkeys: { ...policy, phishingResistantOnly: false } }), 200);
    expect(await statusOf(t, u)).toBe('revoked');
  });

  it('turning remembered devices off revokes them: on again, they stay revoked', async () => {
    const t = await api.createTenant('Toggle');
    must(await admin(t, 'PATCH', '/v1/admin/settings', { rememberedDevices: { enabled: true, days: 30 } }), 200);
    const u = await rememberedUser(t, 'toggle');
    // Other settings changed: nothing revoked.
    must(await admin(t, 'PATCH', '/v1/admin/settings', { blockOnFraud: true }), 200);
    expect(await statusOf(t, u)).toBe('remembered');
    must(await admin(t, 'PATCH', '/v1/admin/settings', { rememberedDevices: { enabled: false, days: 30 } }), 200);
    expectProblem(await check(t, u.userId, u.token, u.binding), 409, 'remembered-devices-disabled');
    must(await admin(t, 'PATCH', '/v1/admin/settings', { rememberedDevices: { enabled: true, days: 30 } }), 200);
    expect(await statusOf(t, u)).toBe('revoked');
  });
});

describe('expiry at its edge, with the local clock', () => {
  it('a lower window shortens tokens already issued', async () => {
    const t = await api.createTenant('Shorter');
    must(await admin(t, 'PATCH', '/v1/admin/settings', { rememberedDevices: { enabled: true, days: 30 } }), 200);
    await api.freezeClock(true);
    try {
      const u = await rememberedUser(t, 'short');
      must(await admin(t, 'PATCH', '/v1/admin/settings', { rememberedDevices: { enabled: true, days: 1 } }), 200);
      const reply = await check(t, u.userId, u.token, u.binding);
      expect(reply.body.status).toBe('remembered');
      expect(Date.parse(reply.body.expiresAt as string)).toBe(Date.parse(u.expiresAt) - 29 * DAY * 1000);
      await api.advanceClock(DAY);
      expect(await statusOf(t, u)).toBe('expired');
    } finally {
      await api.freezeClock(false);
    }
  });

  it.each([1, 365])('a window of %i days: remembered until the last second, expired at its end', async (days) => {
    const t = await api.createTenant(`Window${days}`);
    must(await admin(t, 'PATCH', '/v1/admin/settings', { rememberedDevices: { enabled: true, days } }), 200);
    await api.freezeClock(true);
    try {
      const issuedAt = await api.clockNow();
      const u = await rememberedUser(t, `w${days}`);
      expect(Date.parse(u.expiresAt)).toBe(issuedAt + days * DAY * 1000);
      await api.advanceClock(days * DAY - 1);
      expect(await statusOf(t, u)).toBe('remembered');
      await api.advanceClock(1);
      expect(await statusOf(t, u)).toBe('expired');
      expect((await admin(t, 'GET', `/v1/admin/users/${u.userId}/remembered-devices`)).body.count).toBe(0);
    } finally {
      await api.freezeClock(false);
    }
  });
});

describe('R28: no token in DynamoDB Local’s files or the logs', () => {
  it('tokens and bindings appear in neither; the device ids do (the search reads the right places)', async () => {
    const u = await rememberedUser(acme, 'files');
    await statusOf(acme, u);
    const listed = (await admin(acme, 'GET', `/v1/admin/users/${u.userId}/remembered-devices`)).body.items as { deviceId: string }[];
    const deviceId = listed[0]?.deviceId as string;
    expect(secrets.length).toBeGreaterThan(20);
    // The runtime stops first, so that DynamoDB Local has written everything (the last test of the file).
    const stored = await witnessed.storedFiles();
    expect(stored.some((bytes) => bytes.includes(deviceId))).toBe(true);
    const logs = witnessed.log();
    expect(logs).toContain(deviceId);
    expect(logs).toContain('device remembered');
    for (const secret of secrets) {
      expect(stored.some((bytes) => bytes.includes(secret))).toBe(false);
      expect(logs).not.toContain(secret);
    }
  });
});
