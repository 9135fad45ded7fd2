import { base32Decode, totpAt } from '../../shared/domain/otp/totp';
import { expectProblem, TestApi, type Reply, type Tenant } from '../support/runtime';

/**
 * R19/R21/R22: deleting or resetting a user ends everything that could authenticate as them.
 * Each test deletes (or resets) and recreates, then tries every old credential as an attacker
 * holding it would.
 */
let api: TestApi;
let acme: Tenant;

const TOKEN_SECRET = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
let tokens = 0;

beforeAll(async () => {
  api = await TestApi.start();
  acme = await api.createTenant('Lifecycle');
  await api.freezeClock(true);
  const settings = await admin('PATCH', '/v1/admin/settings', { appPasswordsAllowed: true, callerId: '+14155550199' });
  if (settings.status !== 200) throw new Error(`settings not saved: ${JSON.stringify(settings.body)}`);
});

afterAll(() => api.stop());

function admin(method: string, path: string, body?: unknown): Promise<Reply> {
  return api.request(method, path, { key: acme.adminKey, ...(body === undefined ? {} : { body }) });
}

function auth(method: string, path: string, body?: unknown): Promise<Reply> {
  return api.request(method, path, { key: acme.authKey, ...(body === undefined ? {} : { body }) });
}

const recreate = (userId: string, phone: string) => api.putUser(acme, userId, phone);

async function deleteUser(userId: string): Promise<void> {
  expect((await admin('DELETE', `/v1/admin/users/${userId}`)).status).toBe(204);
}

async function appPassword(userId: string): Promise<string> {
  const reply = await admin('POST', `/v1/admin/users/${userId}/app-passwords`, { name: 'Mail' });
  expect(reply.status).toBe(201);
  return reply.body.password as string;
}

/** A token of this tenant assigned to the user (R22); returns its serial. */
async function assignToken(userId: string): Promise<string> {
  const serial = `LC-${tokens++}`;
  const imported = await api.request('POST', '/v1/admin/oath-tokens:import', {
    key: acme.adminKey,
    rawBody: `Serial Number,Secret Key,Time Interval\n${serial},${TOKEN_SECRET},30\n`,
    headers: { 'content-type': 'text/csv' },
  });
  expect(imported.body).toMatchObject({ imported: 1 });
  expect((await admin('POST', `/v1/admin/oath-tokens/${serial}/assign`, { userId })).status).toBe(200);
  return serial;
}

async function assigneeOf(serial: string): Promise<unknown> {
  const list = await api.request<{ items: { serial: string; assignee?: { userId: string } }[] }>('GET', '/v1/admin/oath-tokens?limit=100', { key: acme.adminKey });
  const token = list.body.items.find((t) => t.serial === serial);
  expect(token).toBeDefined();
  return token?.assignee;
}

async function activatePush(userId: string): Promise<{ deviceId: string }> {
  const issued = await admin('POST', `/v1/admin/users/${userId}/push-activations`);
  expect(issued.status).toBe(201);
  const activated = await api.request('POST', '/v1/push/activate', { body: { activationCode: issued.body.activationCode, platform: 'ios', pushToken: `tok-${userId}` } });
  expect(activated.status).toBe(201);
  return activated.body as { deviceId: string };
}

/** Polls until `probe` gives a value (a call ringing, a challenge settled). */
async function until<T>(probe: () => Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < 300; i++) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error('gave up waiting');
}

/** The next time step, so a code is never one already used (R5). */
async function nextStep(): Promise<number> {
  await api.advanceClock(30);
  return api.clockNow();
}

const verifyAppPassword = (userId: string, password: string) => auth('POST', '/v1/app-passwords/verify', { userId, password });

describe('R19 deleting a user deletes everything that can authenticate as them', () => {
  it('DELETE then PUT of the same id brings back no app password, authenticator, token or push device', async () => {
    const { userId, phone } = await api.newUser(acme, 'gone');
    const password = await appPassword(userId);
    const { secret } = await api.enrollAuthenticator(acme, userId);
    const serial = await assignToken(userId);
    await activatePush(userId);
    expect((await verifyAppPassword(userId, password)).status).toBe(200);

    await deleteUser(userId);
    expect((await recreate(userId, phone)).status).toBe(201);

    // The old app password is no password: the same answer as a wrong one.
    const wrong = await verifyAppPassword(userId, 'abcd-efgh-jkmn-pqrs');
    const old = await verifyAppPassword(userId, password);
    expect(wrong.status).toBe(422);
    expect(old.status).toBe(wrong.status);
    expect((await admin('GET', `/v1/admin/users/${userId}/app-passwords`)).body).toMatchObject({ items: [] });

    const user = await admin('GET', `/v1/admin/users/${userId}`);
    expect(user.body).not.toHaveProperty('authenticator');
    expect(user.body).not.toHaveProperty('oathToken');
    expect(user.body).not.toHaveProperty('push');
    expect(user.body.methods).toEqual(['sms', 'voice']);

    // The token went back to the pool: unassigned, and assignable again.
    expect(await assigneeOf(serial)).toBeUndefined();
    expect((await admin('POST', `/v1/admin/oath-tokens/${serial}/assign`, { userId })).status).toBe(200);

    // The old authenticator secret opens nothing: no app method, and no challenge to use it on.
    expectProblem(await auth('POST', '/v1/challenges', { userId, method: 'app' }), 422, 'method-unavailable');
    expect(secret.length).toBeGreaterThan(0);
  });

  it('a pending SMS challenge of a deleted user can no longer be approved with its code', async () => {
    const { userId, phone } = await api.newUser(acme, 'sms');
    const created = await api.createChallenge(acme, userId);
    expect(created.status).toBe(201);
    const code = await api.latestCode(phone);
    await deleteUser(userId);

    const reply = await auth('POST', `/v1/challenges/${created.body.challengeId}/verify`, { code });
    expectProblem(reply, 409, 'challenge-finished');
    expect((await auth('GET', `/v1/challenges/${created.body.challengeId}`)).body).toMatchObject({ status: 'denied', reason: 'revoked' });
  });

  it('a pending SMS challenge of a deleted and recreated user sends no new code to the old number', async () => {
    const { userId, phone } = await api.newUser(acme, 'resend');
    const created = await api.createChallenge(acme, userId);
    expect(created.status).toBe(201);
    const sent = (await api.outbox(phone)).length;
    await deleteUser(userId);
    expect((await recreate(userId, phone)).status).toBe(201);
    await api.advanceClock(30);

    expectProblem(await auth('POST', `/v1/challenges/${created.body.challengeId}/resend`), 409, 'challenge-finished');
    expect(await api.outbox(phone)).toHaveLength(sent);
    expect((await auth('GET', `/v1/challenges/${created.body.challengeId}`)).body).toMatchObject({ status: 'denied', reason: 'revoked' });
  });

  it('a # pressed on a call that started before the deletion approves nothing', async () => {
    const phone = '+14155569001';
    await api.scriptPhone(phone, 'manual');
    const userId = 'voice-gone';
    expect((await api.putUser(acme, userId, phone)).status).toBe(201);
    const created = await auth('POST', '/v1/challenges', { userId, method: 'voice' });
    expect(created.status).toBe(201);
    await until(async () => (await api.phone(phone)).ringing[0]);
    await deleteUser(userId);
    expect((await recreate(userId, phone)).status).toBe(201);

    expect((await api.request('POST', `/local/phone/${encodeURIComponent(phone)}/answer`, { body: { action: 'press#' } })).status).toBe(200);
    const settled = await until(async () => {
      const view = (await auth('GET', `/v1/challenges/${created.body.challengeId}`)).body;
      return view.status === 'pending' ? undefined : view;
    });
    expect(settled).toMatchObject({ status: 'denied', reason: 'revoked' });
  });

  it('an app challenge started before the deletion never approves, not even with the recreated user\'s new authenticator', async () => {
    const { userId, phone } = await api.newUser(acme, 'app');
    const { secret: oldSecret } = await api.enrollAuthenticator(acme, userId);
    const created = await auth('POST', '/v1/challenges', { userId, method: 'app' });
    expect(created.status).toBe(201);
    await deleteUser(userId);
    expect((await recreate(userId, phone)).status).toBe(201);

    const withOld = await auth('POST', `/v1/challenges/${created.body.challengeId}/verify`, { code: totpAt(oldSecret, await nextStep()) });
    expect(withOld.status).not.toBe(200);
    const { secret: newSecret } = await api.enrollAuthenticator(acme, userId);
    const withNew = await auth('POST', `/v1/challenges/${created.body.challengeId}/verify`, { code: totpAt(newSecret, await nextStep()) });
    expectProblem(withNew, 409, 'challenge-finished');
    expect((await auth('GET', `/v1/challenges/${created.body.challengeId}`)).body).toMatchObject({ status: 'denied', reason: 'revoked' });
  });

  it('an OATH challenge started before the deletion never approves, even once the token is given to the recreated user', async () => {
    const { userId, phone } = await api.newUser(acme, 'oath');
    const serial = await assignToken(userId);
    const created = await auth('POST', '/v1/challenges', { userId, method: 'oath' });
    expect(created.status).toBe(201);
    await deleteUser(userId);
    expect((await recreate(userId, phone)).status).toBe(201);
    expect((await admin('POST', `/v1/admin/oath-tokens/${serial}/assign`, { userId })).status).toBe(200);

    const reply = await auth('POST', `/v1/challenges/${created.body.challengeId}/verify`, { code: totpAt(base32Decode(TOKEN_SECRET), await nextStep()) });
    expectProblem(reply, 409, 'challenge-finished');
    expect((await auth('GET', `/v1/challenges/${created.body.challengeId}`)).body).toMatchObject({ status: 'denied', reason: 'revoked' });
  });

  it('a push sent before the deletion cannot be approved by the old device, and the old device gets no new pushes', async () => {
    const { userId, phone } = await api.newUser(acme, 'push');
    const device = await activatePush(userId);
    const created = await auth('POST', '/v1/challenges', { userId, method: 'push' });
    expect(created.status).toBe(201);
    await deleteUser(userId);
    expect((await recreate(userId, phone)).status).toBe(201);

    const answer = await api.request('POST', `/local/devices/${device.deviceId}/respond`, {
      body: { challengeId: created.body.challengeId, decision: 'approve', number: created.body.number },
    });
    expect(answer.status).not.toBe(200);
    expect((await auth('GET', `/v1/challenges/${created.body.challengeId}`)).body).not.toMatchObject({ status: 'approved' });
    expect((await auth('POST', '/v1/challenges', { userId, method: 'push' })).status).not.toBe(201);
  });

  it('an activation code issued before the deletion activates no device for the recreated user', async () => {
    const { userId, phone } = await api.newUser(acme, 'act');
    const issued = await admin('POST', `/v1/admin/users/${userId}/push-activations`);
    expect(issued.status).toBe(201);
    await deleteUser(userId);
    expect((await recreate(userId, phone)).status).toBe(201);

    const activated = await api.request('POST', '/v1/push/activate', { body: { activationCode: issued.body.activationCode, platform: 'ios', pushToken: 'tok-late' } });
    expect(activated.status).not.toBe(201);
    expect((await admin('GET', `/v1/admin/users/${userId}`)).body).not.toHaveProperty('push');
  });
});

describe('R19/R20 an admin reset clears every registered method, and app passwords too', () => {
  it('phones, authenticator, token (back to the pool), push device and app passwords go; pending challenges die', async () => {
    const { userId, phone } = await api.newUser(acme, 'reset');
    const password = await appPassword(userId);
    await api.enrollAuthenticator(acme, userId);
    const serial = await assignToken(userId);
    await activatePush(userId);
    const created = await api.createChallenge(acme, userId);
    const code = await api.latestCode(phone);

    const reset = await admin('POST', `/v1/admin/users/${userId}/reset`);
    expect(reset.status).toBe(200);
    expect(reset.body).toMatchObject({ methods: [], registration: { required: true, reason: 'reset_by_admin' } });

    expect((await verifyAppPassword(userId, password)).status).toBe(422);
    expect((await admin('GET', `/v1/admin/users/${userId}/app-passwords`)).body).toMatchObject({ items: [] });
    expect(await assigneeOf(serial)).toBeUndefined();
    expectProblem(await auth('POST', `/v1/challenges/${created.body.challengeId}/verify`, { code }), 409, 'challenge-finished');
  });
});

describe('R14/R19 a block ends the user\'s pending challenges too', () => {
  it('a code entered after the user was blocked approves nothing', async () => {
    const { userId, phone } = await api.newUser(acme, 'blocked-sms');
    const created = await api.createChallenge(acme, userId);
    expect(created.status).toBe(201);
    const code = await api.latestCode(phone);
    expect((await admin('POST', `/v1/admin/users/${userId}/block`, { reason: 'stolen phone' })).status).toBe(200);

    expectProblem(await auth('POST', `/v1/challenges/${created.body.challengeId}/verify`, { code }), 409, 'challenge-finished');
    expect((await auth('GET', `/v1/challenges/${created.body.challengeId}`)).body).toMatchObject({ status: 'denied', reason: 'revoked' });
  });

  it('a push approved on the phone after the user was blocked approves nothing', async () => {
    const { userId } = await api.newUser(acme, 'blocked-push');
    const device = await activatePush(userId);
    const created = await auth('POST', '/v1/challenges', { userId, method: 'push' });
    expect(created.status).toBe(201);
    expect((await admin('POST', `/v1/admin/users/${userId}/block`, {})).status).toBe(200);

    await api.request('POST', `/local/devices/${device.deviceId}/respond`, {
      body: { challengeId: created.body.challengeId, decision: 'approve', number: created.body.number },
    });
    expect((await auth('GET', `/v1/challenges/${created.body.challengeId}`)).body).toMatchObject({ status: 'denied', reason: 'revoked' });
  });

  it('a resend after the block sends nothing, and is one log line, not counted', async () => {
    const { userId, phone } = await api.newUser(acme, 'blocked-resend');
    const created = await api.createChallenge(acme, userId);
    expect(created.status).toBe(201);
    const sent = (await api.outbox(phone)).length;
    expect((await admin('POST', `/v1/admin/users/${userId}/block`, {})).status).toBe(200);
    await api.advanceClock(30);

    expectProblem(await auth('POST', `/v1/challenges/${created.body.challengeId}/resend`), 409, 'challenge-finished');
    expect(await api.outbox(phone)).toHaveLength(sent);
    const logs = await admin('GET', `/v1/admin/auth-logs?userId=${userId}`);
    const resends = (logs.body.items as { event: string; result: string; reason?: string }[]).filter((l) => l.event === 'resend');
    expect(resends).toEqual([expect.objectContaining({ result: 'denied', reason: 'revoked' })]);
  });
});
