import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { apiKeySecret, expectProblem, TEST_CALLER_ID, TestApi, type Reply, type Tenant } from '../support/runtime';

let api: TestApi;
let a: Tenant;
let b: Tenant;

beforeAll(async () => {
  api = await TestApi.start();
  a = await api.createTenant('Tenant A');
  b = await api.createTenant('Tenant B');
});

afterAll(() => api.stop());

const admin = (t: Tenant, method: string, path: string, body?: unknown) =>
  api.request(method, path, { key: t.adminKey, ...(body === undefined ? {} : { body }) });

async function signIn(t: Tenant, userId: string, phone: string): Promise<Reply> {
  const created = await api.createChallenge(t, userId);
  if (created.status !== 201) return created;
  return api.request('POST', `/v1/challenges/${created.body.challengeId}/verify`, {
    key: t.authKey,
    body: { code: await api.latestCode(phone) },
  });
}

describe('R17 R18 provider lifecycle', () => {
  let t: Tenant;
  beforeAll(async () => {
    t = await api.createTenant('Provider Co');
  });

  it('the billing model cannot be changed; the same PUT again is a no-op', async () => {
    const current = await admin(t, 'GET', '/v1/admin/provider');
    expect(current.body).toMatchObject({ billingModel: 'per_authentication', generation: 1 });
    expect((await admin(t, 'PUT', '/v1/admin/provider', { billingModel: 'per_authentication' })).status).toBe(200);
    const changed = await admin(t, 'PUT', '/v1/admin/provider', { billingModel: 'per_user' });
    expectProblem(changed, 409, 'provider-conflict');
    expect(changed.body.detail).toBe('billing model cannot be changed; delete the provider and create a new one');
  });

  it('without a provider nothing can be challenged; a new provider without a directory starts empty', async () => {
    expect((await api.putUser(t, 'ann', '+14155550140')).status).toBe(201);
    expect((await admin(t, 'DELETE', '/v1/admin/provider')).status).toBe(204);
    expectProblem(await admin(t, 'GET', '/v1/admin/provider'), 404);
    expectProblem(await api.createChallenge(t, 'ann'), 409, 'provider-required');
    expectProblem(await admin(t, 'GET', '/v1/admin/users/ann'), 409, 'provider-required');

    const created = await admin(t, 'PUT', '/v1/admin/provider', { billingModel: 'per_user' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ billingModel: 'per_user', generation: 2 });
    expectProblem(await admin(t, 'GET', '/v1/admin/users/ann'), 404);
  });

  it("a new provider on the same directory keeps the users' settings; another directory starts empty", async () => {
    await admin(t, 'DELETE', '/v1/admin/provider');
    await admin(t, 'PUT', '/v1/admin/provider', { billingModel: 'per_user', directoryId: 'contoso' });
    await api.putUser(t, 'bea', '+14155550141', ['+14155550142']);

    await admin(t, 'DELETE', '/v1/admin/provider');
    await admin(t, 'PUT', '/v1/admin/provider', { billingModel: 'per_authentication', directoryId: 'contoso' });
    const kept = await admin(t, 'GET', '/v1/admin/users/bea');
    expect(kept.status).toBe(200);
    expect(kept.body.phones).toMatchObject({ primary: { e164: '+14155550141' }, backup: [{ e164: '+14155550142' }] });

    await admin(t, 'DELETE', '/v1/admin/provider');
    const other = await admin(t, 'PUT', '/v1/admin/provider', { billingModel: 'per_user', directoryId: 'fabrikam' });
    expect(other.body.generation).toBe(5);
    expectProblem(await admin(t, 'GET', '/v1/admin/users/bea'), 404);
  });
});

describe('R19 R20 R30 users', () => {
  it('PATCH changes only what is given; null removes an optional field', async () => {
    await admin(a, 'PUT', '/v1/admin/users/carl', {
      firstName: 'Carl',
      lastName: 'Jung',
      email: 'carl@example.com',
      mfaEnabled: true,
      phones: { primary: '+14155550150' },
    });
    const patched = await admin(a, 'PATCH', '/v1/admin/users/carl', { email: null, licensed: true, phones: { backup: ['+14155550151'] } });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ firstName: 'Carl', lastName: 'Jung', licensed: true, mfaEnabled: true });
    expect(patched.body).not.toHaveProperty('email');
    expect(patched.body.phones).toMatchObject({ primary: { e164: '+14155550150' }, backup: [{ e164: '+14155550151' }] });
    expectProblem(await admin(a, 'PATCH', '/v1/admin/users/nobody', { licensed: true }), 404);
  });

  it('R30: VoIP and premium-rate numbers are refused; a landline is voice-only', async () => {
    const voip = await admin(a, 'PUT', '/v1/admin/users/vic', { mfaEnabled: true, phones: { primary: '+445612345678' } });
    expectProblem(voip, 422, 'phone-not-allowed');
    expect(voip.body.errors).toEqual([{ pointer: '/phones/primary', detail: 'is a voip number' }]);
    expectProblem(await admin(a, 'PUT', '/v1/admin/users/vic', { mfaEnabled: true, phones: { primary: '+19003001234' } }), 422);

    const landline = await admin(a, 'PUT', '/v1/admin/users/lea', { mfaEnabled: true, phones: { primary: '+33142345678' } });
    expect(landline.status).toBe(201);
    expect(landline.body.phones).toMatchObject({ primary: { type: 'landline', country: 'FR' } });
    expectProblem(await api.createChallenge(a, 'lea'), 422, 'method-unavailable');
  });

  it('R20: after a reset the user must register again, with the reason', async () => {
    await api.putUser(a, 'dora', '+14155550152');
    const reset = await admin(a, 'POST', '/v1/admin/users/dora/reset');
    expect(reset.body).toMatchObject({ phones: { backup: [] }, registration: { required: true, reason: 'reset_by_admin' } });
    const refused = await api.createChallenge(a, 'dora');
    expectProblem(refused, 403, 'registration-required');
    expect(refused.body.reason).toBe('reset_by_admin');
    const again = await api.putUser(a, 'dora', '+14155550152');
    expect(again.body.registration).toEqual({ required: false });
    expect(again.body).not.toHaveProperty('resetAt');
  });

  it('R20: a default method the admin disables makes its users register again', async () => {
    await admin(a, 'PUT', '/v1/admin/users/eve', { mfaEnabled: true, defaultMethod: 'sms', phones: { primary: '+14155550153' } });
    await admin(a, 'PATCH', '/v1/admin/settings', { enabledMethods: ['voice', 'app'] });
    try {
      const refused = await api.createChallenge(a, 'eve');
      expectProblem(refused, 403, 'registration-required');
      expect(refused.body.reason).toBe('default_method_disabled');
      expect((await admin(a, 'GET', '/v1/admin/users/eve')).body.registration).toEqual({ required: true, reason: 'default_method_disabled' });
    } finally {
      await admin(a, 'PATCH', '/v1/admin/settings', { enabledMethods: ['sms', 'voice', 'push', 'app', 'oath'] });
    }
    expect((await api.createChallenge(a, 'eve')).status).toBe(201);
  });

  it('R19: a blocked user cannot be challenged until unblocked; the admin is notified', async () => {
    await api.putUser(a, 'finn', '+14155550154');
    const blocked = await admin(a, 'POST', '/v1/admin/users/finn/block', { reason: 'lost laptop' });
    expect(blocked.body.blocked).toMatchObject({ reason: 'lost laptop' });
    const refused = await api.createChallenge(a, 'finn');
    expectProblem(refused, 403, 'user-blocked');
    expect((await admin(a, 'GET', '/v1/admin/users?blocked=true')).body.items).toEqual([expect.objectContaining({ userId: 'finn' })]);
    expect((await admin(a, 'POST', '/v1/admin/users/finn/unblock')).body).not.toHaveProperty('blocked');
    expect((await api.createChallenge(a, 'finn')).status).toBe(201);
    const notes = (await admin(a, 'GET', '/v1/admin/notifications')).body.items as { type: string; userId: string }[];
    expect(notes.slice(0, 2).map((n) => [n.type, n.userId])).toEqual([
      ['user_unblocked', 'finn'],
      ['user_blocked', 'finn'],
    ]);
    expect((await admin(b, 'GET', '/v1/admin/notifications')).body.items).toEqual([]);
  });

  it('pagination returns each user exactly once across pages, in id order', async () => {
    const t = await api.createTenant('Many');
    const ids = Array.from({ length: 23 }, (_, i) => `user${String(i).padStart(2, '0')}`);
    for (const id of ids) await api.putUser(t, id, '+14155550160');
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await admin(t, 'GET', `/v1/admin/users?limit=5${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status).toBe(200);
      seen.push(...(page.body.items as { userId: string }[]).map((u) => u.userId));
      cursor = page.body.cursor as string | undefined;
      pages++;
    } while (cursor && pages < 20);
    expect(seen).toEqual(ids);
    const prefixed = await admin(t, 'GET', '/v1/admin/users?prefix=user1');
    expect((prefixed.body.items as unknown[]).length).toBe(10);
  });

  it("R27: a tenant's cursor does not page through another tenant's users", async () => {
    const page = await admin(a, 'GET', '/v1/admin/users?limit=1');
    expect(page.body.cursor).toEqual(expect.any(String));
    expectProblem(await admin(b, 'GET', `/v1/admin/users?limit=1&cursor=${page.body.cursor}`), 400, 'validation-failed');
    expect((await admin(b, 'GET', '/v1/admin/users')).body.items).toEqual([]);
  });
});

describe('R19 CSV import', () => {
  const csv = [
    'userId,firstName,lastName,email,phone,backupPhones,mfaEnabled',
    'imp1,Ada,Lovelace,ada@example.com,+14155550170,+14155550171;+14155550172,true',
    'imp2,"Grace, Rear Admiral",Hopper,,+14155550173,,true',
    'imp3,Bad,Phone,,+1415,,true',
    'imp1,Dup,Licate,,+14155550174,,true',
    'imp4,Vo,Ip,,+445612345678,,true',
    'imp5,No,Phone,,,,false',
  ].join('\n');
  const upload = (t: Tenant, body: string) =>
    api.request('POST', '/v1/admin/users:import', { key: t.adminKey, rawBody: body, headers: { 'content-type': 'text/csv' } });

  it('imports the good rows and reports each bad row with its reason', async () => {
    const reply = await upload(a, csv);
    expect(reply.status).toBe(200);
    expect(reply.body.summary).toEqual({ rows: 6, created: 3, updated: 0, unchanged: 0, errors: 3 });
    const rows = reply.body.rows as { row: number; status: string; errors?: { pointer: string }[] }[];
    expect(rows.map((r) => r.status)).toEqual(['created', 'created', 'error', 'error', 'error', 'created']);
    expect(rows[2]?.errors?.[0]?.pointer).toBe('/phones/primary');
    expect(rows[3]?.errors?.[0]?.pointer).toBe('/userId');
    const grace = await admin(a, 'GET', '/v1/admin/users/imp2');
    expect(grace.body).toMatchObject({ firstName: 'Grace, Rear Admiral', lastName: 'Hopper' });
    expect((await admin(a, 'GET', '/v1/admin/users/imp1')).body.phones).toMatchObject({ backup: [{}, {}] });
  });

  it('re-importing the same file changes nothing', async () => {
    const before = JSON.stringify((await api.allItems()).filter((i) => i.table === 'Tenants'));
    const reply = await upload(a, csv);
    expect(reply.body.summary).toEqual({ rows: 6, created: 0, updated: 0, unchanged: 3, errors: 3 });
    expect(JSON.stringify((await api.allItems()).filter((i) => i.table === 'Tenants'))).toBe(before);
  });

  it('a file with unknown columns or of another type is refused whole', async () => {
    expectProblem(await upload(a, 'userId,shoeSize\nx,42'), 400, 'validation-failed');
    expectProblem(
      await api.request('POST', '/v1/admin/users:import', { key: a.adminKey, body: { userId: 'x' } }),
      415,
      'unsupported-media-type',
    );
  });
});

describe('settings', () => {
  it('are validated and unknown fields refused', async () => {
    const bad = await admin(a, 'PATCH', '/v1/admin/settings', { callerId: '12345', allowedCountries: ['XX'], webhookUrl: 'ftp://x' });
    expectProblem(bad, 400, 'validation-failed');
    expectProblem(await admin(a, 'PATCH', '/v1/admin/settings', { colour: 'blue' }), 400);
    expectProblem(await admin(a, 'PUT', '/v1/admin/settings', { enabledMethods: ['sms'] }), 400);
    const current = await admin(a, 'GET', '/v1/admin/settings');
    expect(current.body).toMatchObject({ callerId: null, allowedCountries: null, webhookConfigured: false });
  });

  it('R15: the caller ID must be a number the operator assigned to the tenant', async () => {
    const bare = await api.request<Tenant>('POST', '/v1/operator/tenants', { key: api.runtime.operatorKey, body: { name: 'Unassigned' } });
    expect(bare.status).toBe(201);
    const unassigned = await admin(bare.body, 'PATCH', '/v1/admin/settings', { callerId: TEST_CALLER_ID });
    expectProblem(unassigned, 400, 'validation-failed');
    expect(JSON.stringify(unassigned.body)).toContain('/callerId');
    expect((await admin(bare.body, 'GET', '/v1/admin/settings')).body).toMatchObject({ callerId: null });

    expectProblem(await admin(a, 'PATCH', '/v1/admin/settings', { callerId: '+14155550188' }), 400, 'validation-failed');
    expect((await admin(a, 'PATCH', '/v1/admin/settings', { callerId: TEST_CALLER_ID })).body).toMatchObject({ callerId: TEST_CALLER_ID });
    expect((await admin(a, 'PATCH', '/v1/admin/settings', { callerId: null })).status).toBe(200);
    expectProblem(
      await api.request('POST', '/v1/operator/tenants', { key: api.runtime.operatorKey, body: { name: 'Bad', callerIds: ['4155550199'] } }),
      400,
      'validation-failed',
    );
  });

  it('allowed countries are enforced before anything is sent', async () => {
    await api.putUser(a, 'fr-user', '+33612345678');
    await admin(a, 'PATCH', '/v1/admin/settings', { allowedCountries: ['US', 'CA'] });
    try {
      const before = (await api.outbox()).length;
      const refused = await api.createChallenge(a, 'fr-user');
      expectProblem(refused, 403, 'country-not-allowed');
      expect(refused.body.country).toBe('FR');
      expect(await api.outbox()).toHaveLength(before);
    } finally {
      await admin(a, 'PATCH', '/v1/admin/settings', { allowedCountries: null });
    }
  });

  it('a webhook receives notifications signed with HMAC-SHA256 over timestamp and body', async () => {
    const received: { headers: Record<string, string | string[] | undefined>; body: string }[] = [];
    const server: Server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        received.push({ headers: req.headers, body });
        res.end('ok');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
      const set = await admin(b, 'PATCH', '/v1/admin/settings', { webhookUrl: url });
      expect(set.body).toMatchObject({ webhookUrl: url, webhookConfigured: true, webhookSecret: expect.stringMatching(/^whsec_/) });
      expect((await admin(b, 'GET', '/v1/admin/settings')).body).not.toHaveProperty('webhookSecret');
      await api.putUser(b, 'gus', '+14155550180');
      await admin(b, 'POST', '/v1/admin/users/gus/block', { reason: 'fraud suspected' });
      expect(received).toHaveLength(1);
      const [delivery] = received as [(typeof received)[number]];
      const signature = String(delivery.headers['tessera-signature']);
      const [, t, v1] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(signature) as RegExpExecArray;
      const expected = createHmac('sha256', set.body.webhookSecret as string).update(`${t}.${delivery.body}`).digest('hex');
      expect(v1).toBe(expected);
      expect(JSON.parse(delivery.body)).toMatchObject({ type: 'user_blocked', userId: 'gus', tenantId: b.tenantId });
    } finally {
      server.close();
      await admin(b, 'PATCH', '/v1/admin/settings', { webhookUrl: null });
    }
  });
});

describe('API keys', () => {
  it('are created with the secret shown once, listed without secrets, and revoked at once', async () => {
    const created = await admin(a, 'POST', '/v1/admin/api-keys', { name: 'VPN gateway', scope: 'auth' });
    expect(created.status).toBe(201);
    const key = created.body.key as string;
    const listed = await admin(a, 'GET', '/v1/admin/api-keys');
    const entry = (listed.body.items as Record<string, unknown>[]).find((k) => k.keyId === created.body.keyId);
    expect(entry).toMatchObject({ name: 'VPN gateway', scope: 'auth', status: 'active' });
    expect(JSON.stringify(listed.body)).not.toContain(apiKeySecret(key));
    expect(JSON.stringify(listed.body)).not.toContain('secretHash');

    expect((await api.request('GET', `/v1/challenges/ch_AAAAAAAAAAAAAAAAAAAAAA`, { key })).status).toBe(404);
    expect((await admin(a, 'DELETE', `/v1/admin/api-keys/${created.body.keyId}`)).status).toBe(204);
    expectProblem(await api.request('GET', `/v1/challenges/ch_AAAAAAAAAAAAAAAAAAAAAA`, { key }), 401);
    expectProblem(await admin(b, 'DELETE', `/v1/admin/api-keys/${created.body.keyId}`), 404);
    expect((await admin(b, 'GET', '/v1/admin/api-keys')).body.items).toHaveLength(2);
  });

  it('a rotated key keeps working for its grace period, then stops; the new one works', async () => {
    const created = await admin(a, 'POST', '/v1/admin/api-keys', { name: 'Portal', scope: 'auth' });
    const rotated = await admin(a, 'POST', `/v1/admin/api-keys/${created.body.keyId}/rotate`, { graceSeconds: 600 });
    expect(rotated.status).toBe(201);
    expect(rotated.body).toMatchObject({ name: 'Portal', scope: 'auth', rotatedFrom: created.body.keyId });
    const probe = (key: string) => api.request('GET', '/v1/challenges/ch_AAAAAAAAAAAAAAAAAAAAAA', { key });
    expect((await probe(created.body.key as string)).status).toBe(404);
    await api.advanceClock(601);
    expectProblem(await probe(created.body.key as string), 401);
    expect((await probe(rotated.body.key as string)).status).toBe(404);
  });
});

describe('R23 auth logs and usage', () => {
  const phone = '+14155550190';
  beforeAll(async () => {
    await admin(a, 'PUT', '/v1/admin/users/hal', { firstName: 'Hal', lastName: 'Nine', email: 'hal@example.com', mfaEnabled: true, phones: { primary: phone } });
  });

  it('logs every attempt with the R23 fields; a denied verify carries its reason; numbers are masked', async () => {
    const created = await api.request('POST', '/v1/challenges', {
      key: a.authKey,
      body: { userId: 'hal', context: { clientIp: '203.0.113.7', appName: 'Portal' } },
    });
    const id = created.body.challengeId as string;
    const code = await api.latestCode(phone);
    await api.request('POST', `/v1/challenges/${id}/verify`, { key: a.authKey, body: { code: code === '000000' ? '111111' : '000000' } });
    await api.request('POST', `/v1/challenges/${id}/verify`, { key: a.authKey, body: { code } });
    await api.request('POST', `/v1/challenges/${id}/verify`, { key: a.authKey, body: { code } });

    const logs = await admin(a, 'GET', '/v1/admin/auth-logs?userId=hal');
    const items = logs.body.items as Record<string, unknown>[];
    expect(items.map((l) => [l.event, l.result, l.reason])).toEqual([
      ['verify', 'denied', 'already_used'],
      ['verify', 'approved', undefined],
      ['verify', 'denied', 'wrong_code'],
      ['challenge', 'sent', undefined],
    ]);
    expect(items[2]).toMatchObject({
      userId: 'hal',
      firstName: 'Hal',
      lastName: 'Nine',
      email: 'hal@example.com',
      phone: expect.stringMatching(/^•+0190$/),
      method: 'sms',
      challengeId: id,
      apiKeyId: expect.stringMatching(/^[0-9a-f]{16}$/),
      apiKeyName: 'First auth key',
      serverIp: '127.0.0.1',
      clientIp: '203.0.113.7',
    });
    expect(JSON.stringify(logs.body)).not.toContain(phone);
    const denied = await admin(a, 'GET', '/v1/admin/auth-logs?userId=hal&result=denied');
    expect((denied.body.items as unknown[]).length).toBe(2);
    expect((await admin(b, 'GET', '/v1/admin/auth-logs?userId=hal')).body.items).toEqual([]);
  });

  it('without the optional fields setting, names and email are not kept', async () => {
    await admin(a, 'PATCH', '/v1/admin/settings', { logOptionalFields: false });
    try {
      expect((await signIn(a, 'hal', phone)).status).toBe(200);
      const [latest] = (await admin(a, 'GET', '/v1/admin/auth-logs?userId=hal&limit=1')).body.items as Record<string, unknown>[];
      expect(latest).toMatchObject({ result: 'approved', userId: 'hal' });
      expect(latest).not.toHaveProperty('firstName');
      expect(latest).not.toHaveProperty('email');
    } finally {
      await admin(a, 'PATCH', '/v1/admin/settings', { logOptionalFields: true });
    }
  });

  it('usage counts per day, method and result, for the tenant only', async () => {
    const t = await api.createTenant('Usage Co');
    await api.putUser(t, 'ivy', '+14155550191');
    for (let i = 0; i < 3; i++) expect((await signIn(t, 'ivy', '+14155550191')).status).toBe(200);
    const month = new Date(Date.parse((await api.request('GET', '/local/clock')).body.now as string)).toISOString().slice(0, 7);
    const usage = await admin(t, 'GET', `/v1/admin/usage?month=${month}`);
    expect(usage.status).toBe(200);
    expect(usage.body.totals).toEqual({ byMethod: { sms: 6 }, byResult: { approved: 3, sent: 3 }, all: 6 });
    expect((usage.body.days as { method: string }[]).every((d) => d.method === 'sms')).toBe(true);
    expectProblem(await admin(t, 'GET', '/v1/admin/usage?month=2026-13'), 400);
    expect((await admin(b, 'GET', `/v1/admin/usage?month=${month}`)).body.totals).toEqual({ byMethod: {}, byResult: {}, all: 0 });
  });

  it('log pages return each entry once, newest first, within the time range', async () => {
    const all = (await admin(a, 'GET', '/v1/admin/auth-logs?limit=200')).body.items as { logId: string; time: string }[];
    expect(all.length).toBeGreaterThan(4);
    const times = all.map((l) => l.time);
    expect([...times].sort().reverse()).toEqual(times);
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await admin(a, 'GET', `/v1/admin/auth-logs?limit=3${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...(page.body.items as { logId: string }[]).map((l) => l.logId));
      cursor = page.body.cursor as string | undefined;
    } while (cursor);
    expect(seen).toEqual(all.map((l) => l.logId));
    const future = new Date(Date.parse(times[0] as string) + 1000).toISOString();
    const later = new Date(Date.parse(future) + 3_600_000).toISOString();
    expect((await admin(a, 'GET', `/v1/admin/auth-logs?from=${future}&to=${later}`)).body.items).toEqual([]);
    expectProblem(await admin(a, 'GET', `/v1/admin/auth-logs?from=${later}&to=${future}`), 400, 'validation-failed');
  });
});
