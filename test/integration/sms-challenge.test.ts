import { createRemoteJWKSet, jwtVerify } from 'jose';
import { ASSERTION_TTL_SECONDS, CODE_TTL_SECONDS, MAX_WRONG_CODES, RESEND_COOLDOWN_SECONDS } from '../../shared/rules';
import { apiKeySecret, expectProblem, TestApi, type Tenant } from '../support/runtime';

const PHONE = '+14155550100';
let api: TestApi;
let tenant: Tenant;

beforeAll(async () => {
  api = await TestApi.start();
  tenant = await api.createTenant();
  const user = await api.putUser(tenant, 'alice', PHONE);
  if (user.status !== 201) throw new Error(`user not created: ${JSON.stringify(user.body)}`);
});

afterAll(() => api.stop());

/** A challenge for a fresh user; returns its id and the code texted. */
async function start(): Promise<{ id: string; code: string; phone: string }> {
  const { userId, phone } = await api.newUser(tenant);
  const reply = await api.createChallenge(tenant, userId);
  expect(reply.status).toBe(201);
  return { id: reply.body.challengeId as string, code: await api.latestCode(phone), phone };
}

const verify = (id: string, code: string) => api.request('POST', `/v1/challenges/${id}/verify`, { key: tenant.authKey, body: { code } });
const status = (id: string) => api.request('GET', `/v1/challenges/${id}`, { key: tenant.authKey });
const resend = (id: string) => api.request('POST', `/v1/challenges/${id}/resend`, { key: tenant.authKey });

describe('sign-in by SMS through the local runtime', () => {
  it('R1 R4: sends a code, approves it and returns an ES256 assertion checkable against the JWKS', async () => {
    const created = await api.createChallenge(tenant, 'alice');
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ method: 'sms', status: 'pending', userId: 'alice', destination: expect.stringMatching(/0100$/) });
    const expiresIn = Date.parse(created.body.expiresAt as string) - Date.parse(created.body.createdAt as string);
    expect(expiresIn).toBe(CODE_TTL_SECONDS * 1000);
    expect(JSON.stringify(created.body)).not.toContain(PHONE);

    const id = created.body.challengeId as string;
    const approved = await verify(id, await api.latestCode(PHONE));
    expect(approved.status).toBe(200);
    expect(approved.body.status).toBe('approved');

    const { payload, protectedHeader } = await jwtVerify(
      approved.body.assertion as string,
      createRemoteJWKSet(new URL(`${api.url}/.well-known/jwks.json`)),
      { issuer: api.url, audience: tenant.tenantId, currentDate: new Date(Date.parse(created.body.createdAt as string)) },
    );
    expect(protectedHeader).toMatchObject({ alg: 'ES256', kid: expect.any(String) });
    expect(payload).toMatchObject({ sub: 'alice', tid: tenant.tenantId, amr: ['sms'], cid: id, jti: id });
    expect((await status(id)).body.status).toBe('approved');
  });

  it('R4: an approved challenge stays stored (its TTL attribute) until its assertion expires, beyond the code expiry', async () => {
    const { id, code } = await start();
    expect((await verify(id, code)).status).toBe(200);
    const found = (await api.allItems()).find((i) => i.table === 'Challenges' && i.item.pk?.S === id);
    const approvedAt = Number(found?.item.approvedAt?.N);
    expect(approvedAt).toBeGreaterThan(0);
    expect(Number(found?.item.ttl?.N)).toBeGreaterThanOrEqual(Math.ceil(approvedAt / 1000) + ASSERTION_TTL_SECONDS);
  });

  it('R1: a code past its 180 s is refused, and the status says expired', async () => {
    const { id, code } = await start();
    await api.advanceClock(CODE_TTL_SECONDS + 1);
    expectProblem(await verify(id, code), 410, 'challenge-expired');
    expect((await status(id)).body.status).toBe('expired');
  });

  it('R2: a code is accepted once', async () => {
    const { id, code } = await start();
    expect((await verify(id, code)).status).toBe(200);
    expectProblem(await verify(id, code), 409, 'challenge-finished');
  });

  it('R2: twenty concurrent verifies with the right code approve exactly once', async () => {
    const { id, code } = await start();
    const replies = await Promise.all(Array.from({ length: 20 }, () => verify(id, code)));
    const statuses = replies.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(19);
  });

  it('R3: five wrong codes lock the challenge; then even the right code is refused', async () => {
    const { id, code } = await start();
    const wrong = code === '000000' ? '111111' : '000000';
    for (let i = 1; i < MAX_WRONG_CODES; i++) {
      const reply = await verify(id, wrong);
      expectProblem(reply, 422, 'wrong-code');
      expect(reply.body.attemptsRemaining).toBe(MAX_WRONG_CODES - i);
    }
    expectProblem(await verify(id, wrong), 423, 'challenge-locked');
    expectProblem(await verify(id, code), 423, 'challenge-locked');
    expect((await status(id)).body).toMatchObject({ status: 'locked', attemptsRemaining: 0 });
  });

  it('R3: concurrent wrong codes never allow more than five tries', async () => {
    const { id, code } = await start();
    const wrong = code === '000000' ? '111111' : '000000';
    const replies = await Promise.all(Array.from({ length: 12 }, () => verify(id, wrong)));
    expect(replies.filter((r) => r.status === 422)).toHaveLength(MAX_WRONG_CODES - 1);
    expect(replies.filter((r) => r.status === 423)).toHaveLength(12 - (MAX_WRONG_CODES - 1));
    expectProblem(await verify(id, code), 423, 'challenge-locked');
  });

  it('R3: a resend issues a new code and voids the old one', async () => {
    const { id, code: oldCode, phone } = await start();
    await api.advanceClock(RESEND_COOLDOWN_SECONDS);
    const before = (await api.outbox(phone)).length;
    const resent = await resend(id);
    expect(resent.status).toBe(200);
    expect(await api.outbox(phone)).toHaveLength(before + 1);
    const newCode = await api.latestCode(phone);
    if (newCode !== oldCode) expectProblem(await verify(id, oldCode), 422, 'wrong-code');
    expect((await verify(id, newCode)).status).toBe(200);
  });

  it('R3: two racing resends send exactly one new code; the other is told when to retry', async () => {
    const { id, phone } = await start();
    await api.advanceClock(RESEND_COOLDOWN_SECONDS);
    const before = (await api.outbox(phone)).length;
    const replies = await Promise.all([resend(id), resend(id)]);
    expect(replies.map((r) => r.status).sort()).toEqual([200, 429]);
    const refused = replies.find((r) => r.status === 429);
    expect(Number(refused?.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await api.outbox(phone)).toHaveLength(before + 1);
    expect((await verify(id, await api.latestCode(phone))).status).toBe(200);
  });

  it('R3: a resend of a finished challenge is refused and sends nothing', async () => {
    const { id, code, phone } = await start();
    expect((await verify(id, code)).status).toBe(200);
    await api.advanceClock(RESEND_COOLDOWN_SECONDS);
    const before = (await api.outbox(phone)).length;
    expectProblem(await resend(id), 409, 'challenge-finished');
    expect(await api.outbox(phone)).toHaveLength(before);
  });

  it('Idempotency-Key: the same request twice is one challenge and one SMS; another body is a 409', async () => {
    const { userId, phone } = await api.newUser(tenant);
    const headers = { 'idempotency-key': `login-${Math.random()}` };
    const before = (await api.outbox(phone)).length;
    const first = await api.createChallenge(tenant, userId, headers);
    const again = await api.createChallenge(tenant, userId, headers);
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body.challengeId).toBe(first.body.challengeId);
    expect(await api.outbox(phone)).toHaveLength(before + 1);

    const other = await api.request('POST', '/v1/challenges', {
      key: tenant.authKey,
      headers,
      body: { userId, method: 'sms', context: { appName: 'VPN' } },
    });
    expectProblem(other, 409, 'idempotency-key-reused');
    expect(await api.outbox(phone)).toHaveLength(before + 1);
  });

  it('Idempotency-Key: twenty concurrent identical requests create one challenge and send one SMS', async () => {
    const { userId, phone } = await api.newUser(tenant);
    const headers = { 'idempotency-key': `burst-${Math.random()}` };
    const replies = await Promise.all(Array.from({ length: 20 }, () => api.createChallenge(tenant, userId, headers)));
    expect(replies.map((r) => r.status)).toEqual(Array(20).fill(201));
    expect(new Set(replies.map((r) => r.body.challengeId)).size).toBe(1);
    expect(await api.outbox(phone)).toHaveLength(1);
  });

  it('R28: no code, code hash input or API key secret is stored in clear', async () => {
    const { id, code } = await start();
    const dump = JSON.stringify(await api.allItems());
    expect(dump).toContain(id);
    expect(dump).not.toMatch(new RegExp(`"${code}"`));
    for (const key of [tenant.adminKey, tenant.authKey]) {
      expect(dump).not.toContain(apiKeySecret(key));
    }
  });
});
