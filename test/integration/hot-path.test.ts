/**
 * The bounds the hot path's savings come with: a relying app's API key and its tenant are read
 * once per API_KEY_CACHE_SECONDS per container, so a change made by another container (another
 * Lambda instance: here, a write straight to DynamoDB) takes effect within that time, measured on
 * the local clock; a change made through this runtime takes effect at once.
 */
import { tenantKeys } from '../../shared/adapters/dynamo/tenant-store';
import { API_KEY_CACHE_SECONDS } from '../../shared/rules';
import { expectProblem, TestApi } from '../support/runtime';

let api: TestApi;

beforeAll(async () => {
  api = await TestApi.start();
});

afterAll(() => api.stop());

const keyIdOf = (key: string) => key.split('_')[3] as string;

describe(`R27: an auth key revoked elsewhere stops working within ${API_KEY_CACHE_SECONDS} s`, () => {
  it('is still accepted before the bound and refused from the bound on', async () => {
    const tenant = await api.createTenant('Revoked elsewhere');
    const { userId } = await api.newUser(tenant);
    await api.freezeClock(true);
    try {
      const created = await api.createChallenge(tenant, userId);
      expect(created.status).toBe(201);
      const read = () => api.request('GET', `/v1/challenges/${created.body.challengeId as string}`, { key: tenant.authKey });
      await api.writeElsewhere(tenantKeys.apiKey(tenant.tenantId, keyIdOf(tenant.authKey)), 'SET revokedAt = :at', { ':at': { S: new Date(await api.clockNow()).toISOString() } });
      await api.advanceClock(API_KEY_CACHE_SECONDS - 1);
      expect((await read()).status).toBe(200);
      await api.advanceClock(1);
      expectProblem(await read(), 401);
      // The admin routes read the key on every request.
      await api.writeElsewhere(tenantKeys.apiKey(tenant.tenantId, keyIdOf(tenant.adminKey)), 'SET revokedAt = :at', { ':at': { S: new Date(await api.clockNow()).toISOString() } });
      expectProblem(await api.request('GET', '/v1/admin/settings', { key: tenant.adminKey }), 401);
    } finally {
      await api.freezeClock(false);
    }
  });

  it('is refused at once when revoked through the API of this runtime', async () => {
    const tenant = await api.createTenant('Revoked here');
    const { userId } = await api.newUser(tenant);
    expect((await api.createChallenge(tenant, userId)).status).toBe(201);
    expect((await api.request('DELETE', `/v1/admin/api-keys/${keyIdOf(tenant.authKey)}`, { key: tenant.adminKey })).status).toBe(204);
    expectProblem(await api.createChallenge(tenant, userId), 401);
  });
});

describe(`R19/R6: tenant settings changed elsewhere apply to challenges within ${API_KEY_CACHE_SECONDS} s`, () => {
  it('a method the tenant turned off elsewhere is refused from the bound on', async () => {
    const tenant = await api.createTenant('Settings elsewhere');
    const { userId } = await api.newUser(tenant);
    await api.freezeClock(true);
    try {
      expect((await api.createChallenge(tenant, userId)).status).toBe(201);
      await api.writeElsewhere(tenantKeys.tenant(tenant.tenantId), 'SET settings.enabledMethods = :methods', { ':methods': { L: [{ S: 'app' }] } });
      await api.advanceClock(API_KEY_CACHE_SECONDS - 1);
      expect((await api.createChallenge(tenant, userId)).status).toBe(201);
      await api.advanceClock(1);
      expect((await api.createChallenge(tenant, userId)).status).toBe(403);
    } finally {
      await api.freezeClock(false);
    }
  });
});
