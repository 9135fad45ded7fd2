import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose';
import { JWKS_MAX_AGE_SECONDS } from '../../shared/rules';
import { expectProblem, TestApi, type Tenant } from '../support/runtime';

const PHONE = '+14155550100';
let api: TestApi;
let tenant: Tenant;

beforeAll(async () => {
  api = await TestApi.start();
  tenant = await api.createTenant();
  await api.putUser(tenant, 'alice', PHONE);
});

afterAll(() => api.stop());

afterEach(async () => {
  await api.setSmsProvider('local-primary', 'up');
  await api.setSmsProvider('local-secondary', 'up');
});

describe('R16 SMS failover', () => {
  it('goes through the primary provider when it is up', async () => {
    expect((await api.createChallenge(tenant, 'alice')).status).toBe(201);
    expect((await api.outbox(PHONE)).at(-1)?.provider).toBe('local-primary');
  });

  it('fails over to the second provider when the primary refuses, and the code works', async () => {
    await api.setSmsProvider('local-primary', 'down');
    const created = await api.createChallenge(tenant, 'alice');
    expect(created.status).toBe(201);
    expect((await api.outbox(PHONE)).at(-1)?.provider).toBe('local-secondary');
    const reply = await api.request('POST', `/v1/challenges/${created.body.challengeId}/verify`, {
      key: tenant.authKey,
      body: { code: await api.latestCode(PHONE) },
    });
    expect(reply.status).toBe(200);
  });

  it('with both providers down: a 503 problem naming what to try next, and the challenge is denied', async () => {
    await api.setSmsProvider('local-primary', 'down');
    await api.setSmsProvider('local-secondary', 'down');
    const before = (await api.outbox()).length;
    const reply = await api.createChallenge(tenant, 'alice');
    expectProblem(reply, 503, 'delivery-failed');
    // R16: the user's number can also take a call (R10), so voice is what to try next.
    expect(reply.body.nextMethods).toEqual(['voice']);
    expect(await api.outbox()).toHaveLength(before);
    const denied = (await api.allItems()).filter((i) => i.item.status?.S === 'denied');
    expect(denied.map((i) => i.item.denialReason?.S)).toEqual(['delivery_failed']);
  });
});

describe('R4 signing keys rotate without breaking issued assertions', () => {
  async function signIn(): Promise<string> {
    const { userId, phone } = await api.newUser(tenant, 'alice');
    const created = await api.createChallenge(tenant, userId);
    const reply = await api.request('POST', `/v1/challenges/${created.body.challengeId}/verify`, {
      key: tenant.authKey,
      body: { code: await api.latestCode(phone) },
    });
    expect(reply.status).toBe(200);
    return reply.body.assertion as string;
  }

  it('R4: an assertion issued 61 s after a rotation verifies against a JWKS cached before it; the next key signs after max-age', async () => {
    const before = await signIn();
    const fetched = await api.request<JSONWebKeySet>('GET', '/.well-known/jwks.json');
    expect(fetched.headers.get('cache-control')).toBe(`public, max-age=${JWKS_MAX_AGE_SECONDS}`);
    const cachedBeforeRotation = createLocalJWKSet(fetched.body);
    const rotated = await api.request('POST', '/v1/operator/signing-keys', { key: api.runtime.operatorKey });
    expect(rotated.status).toBe(201);
    // The new key is published at once and signs once every JWKS cached before the rotation has expired:
    // a verifier that honours max-age still checks an assertion issued 61 s after the rotation.
    const cachedAtRotation = (await api.request<JSONWebKeySet>('GET', '/.well-known/jwks.json')).body;
    expect(cachedAtRotation.keys.map((k) => k.kid)).toContain(rotated.body.kid);
    await api.advanceClock(61);
    const during = await signIn();
    await expect(
      jwtVerify(during, cachedBeforeRotation, { issuer: api.url, currentDate: new Date(decodeJwt(during).iat! * 1000) }),
    ).resolves.toBeDefined();
    await api.advanceClock(JWKS_MAX_AGE_SECONDS - 61);
    const after = await signIn();

    const jwks = (await api.request<JSONWebKeySet>('GET', '/.well-known/jwks.json')).body;
    expect(jwks.keys.length).toBeGreaterThanOrEqual(2);
    expect(decodeProtectedHeader(after).kid).toBe(rotated.body.kid);
    expect(decodeProtectedHeader(before).kid).not.toBe(rotated.body.kid);
    const keySet = createLocalJWKSet(cachedAtRotation);
    for (const token of [before, after]) {
      const { payload } = await jwtVerify(token, keySet, {
        issuer: api.url,
        audience: tenant.tenantId,
        currentDate: new Date(decodeJwt(token).iat! * 1000),
      });
      expect(payload.sub).toMatch(/^alice\d+$/);
    }
  });

  it('a tampered assertion does not verify', async () => {
    const token = await signIn();
    const [h, p, s] = token.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>;
    const forged = [h, Buffer.from(JSON.stringify({ ...claims, sub: 'mallory' })).toString('base64url'), s].join('.');
    const keySet = createLocalJWKSet((await api.request<JSONWebKeySet>('GET', '/.well-known/jwks.json')).body);
    await expect(jwtVerify(forged, keySet)).rejects.toThrow();
  });

  it('only the operator may rotate keys; private keys are stored encrypted', async () => {
    expectProblem(await api.request('POST', '/v1/operator/signing-keys', { key: tenant.adminKey }), 401);
    const stored = (await api.allItems()).filter((i) => i.item.pk?.S === 'SIGNING_KEYS');
    expect(stored.length).toBeGreaterThanOrEqual(2);
    for (const { item } of stored) {
      expect(item.encryptedPrivateKey?.S).toMatch(/^v1\./);
      expect(JSON.stringify(item)).not.toMatch(/"d"/);
    }
  });
});
