/**
 * R15: a tenant's voice calls show a caller ID the operator assigned to it. The operator changes
 * the assigned numbers; a number taken away is cleared from the tenant's settings in the same write.
 */
import { createDocumentClient } from '../../shared/adapters/dynamo/client';
import { DynamoTenantStore } from '../../shared/adapters/dynamo/tenant-store';
import { TENANTS_TABLE } from '../../shared/tables';
import { expectProblem, TEST_CALLER_ID, TestApi, type Tenant } from '../support/runtime';

let api: TestApi;

beforeAll(async () => {
  api = await TestApi.start();
});

afterAll(() => api.stop());

const OTHER_CALLER_ID = '+14155550198';

const setCallerIds = (tenantId: string, callerIds: unknown, key = api.runtime.operatorKey) =>
  api.request('PUT', `/v1/operator/tenants/${tenantId}/caller-ids`, { key, body: { callerIds } });

const settingsOf = async (tenant: Tenant) => (await api.request('GET', '/v1/admin/settings', { key: tenant.adminKey })).body;

const patchCallerId = (tenant: Tenant, callerId: string | null) =>
  api.request('PATCH', '/v1/admin/settings', { key: tenant.adminKey, body: { callerId } });

describe('R15: the operator assigns the caller IDs a tenant may use', () => {
  it('R15: a number the operator assigns to an existing tenant can then be its callerId', async () => {
    const tenant = await api.createTenant('Caller IDs');
    expectProblem(await patchCallerId(tenant, OTHER_CALLER_ID), 400, 'validation-failed');

    const assigned = await setCallerIds(tenant.tenantId, [TEST_CALLER_ID, OTHER_CALLER_ID]);
    expect(assigned.status).toBe(200);
    expect(assigned.body).toMatchObject({ tenantId: tenant.tenantId, callerIds: [TEST_CALLER_ID, OTHER_CALLER_ID] });

    expect((await patchCallerId(tenant, OTHER_CALLER_ID)).body).toMatchObject({ callerId: OTHER_CALLER_ID });
    expect(await settingsOf(tenant)).toMatchObject({ callerId: OTHER_CALLER_ID });
  });

  it('R15: taking away the tenant’s callerId clears it, other settings kept, and voice answers caller_id_missing', async () => {
    const tenant = await api.createTenant('Reassigned');
    expect((await api.request('PATCH', '/v1/admin/settings', { key: tenant.adminKey, body: { callerId: TEST_CALLER_ID, blockOnFraud: true } })).status).toBe(200);
    const { userId } = await api.newUser(tenant);

    const kept = await setCallerIds(tenant.tenantId, [TEST_CALLER_ID, OTHER_CALLER_ID]);
    expect(kept.body).toMatchObject({ callerIds: [TEST_CALLER_ID, OTHER_CALLER_ID], callerIdCleared: false });
    expect(await settingsOf(tenant)).toMatchObject({ callerId: TEST_CALLER_ID });

    const reassigned = await setCallerIds(tenant.tenantId, [OTHER_CALLER_ID]);
    expect(reassigned.status).toBe(200);
    expect(reassigned.body).toMatchObject({ tenantId: tenant.tenantId, callerIds: [OTHER_CALLER_ID], callerIdCleared: true });
    expect(await settingsOf(tenant)).toMatchObject({ callerId: null, blockOnFraud: true });

    const voice = await api.request('POST', '/v1/challenges', { key: tenant.authKey, body: { userId, method: 'voice' } });
    expectProblem(voice, 422, 'method-unavailable');
    expect(voice.body.reason).toBe('caller_id_missing');

    // The number taken away can no longer be picked again; an assigned one can.
    expectProblem(await patchCallerId(tenant, TEST_CALLER_ID), 400, 'validation-failed');
    expect((await patchCallerId(tenant, OTHER_CALLER_ID)).status).toBe(200);
    expect((await setCallerIds(tenant.tenantId, [])).body).toMatchObject({ callerIds: [], callerIdCleared: true });
    expect(await settingsOf(tenant)).toMatchObject({ callerId: null });
  });

  it('R15: a callerId left unassigned by a settings write that raced the operator is not used: voice answers caller_id_missing', async () => {
    const tenant = await api.createTenant('Raced');
    expect((await patchCallerId(tenant, TEST_CALLER_ID)).status).toBe(200);
    const { userId } = await api.newUser(tenant);
    // The stored state such a race leaves: the admin's write of the old number landed after the operator's change.
    await api.writeTenantItem(tenant.tenantId, 'SET callerIds = :callerIds', { ':callerIds': { L: [{ S: OTHER_CALLER_ID }] } });
    const voice = await api.request('POST', '/v1/challenges', { key: tenant.authKey, body: { userId, method: 'voice' } });
    expectProblem(voice, 422, 'method-unavailable');
    expect(voice.body.reason).toBe('caller_id_missing');
  });

  it('R15: the store’s write is conditional on the callerId read: a settings write in between is neither lost nor overwritten', async () => {
    const tenant = await api.createTenant('Conditional');
    const db = createDocumentClient({ endpoint: api.runtime.dynamoEndpoint });
    try {
      const store = new DynamoTenantStore(db, process.env[TENANTS_TABLE.envVar] as string);
      // Read with no callerId; an admin then picks one and changes another setting.
      expect((await api.request('PATCH', '/v1/admin/settings', { key: tenant.adminKey, body: { callerId: TEST_CALLER_ID, blockOnFraud: true } })).status).toBe(200);
      expect(await store.setCallerIds(tenant.tenantId, [OTHER_CALLER_ID], undefined, false)).toBe(false);
      expect(await store.setCallerIds(tenant.tenantId, [OTHER_CALLER_ID], OTHER_CALLER_ID, true)).toBe(false);
      expect(await store.setCallerIds('tn000000000000000000000000', [OTHER_CALLER_ID], undefined, false)).toBe(false);
      expect((await store.getTenant(tenant.tenantId))?.callerIds).toEqual([TEST_CALLER_ID]);
      expect(await store.setCallerIds(tenant.tenantId, [OTHER_CALLER_ID], TEST_CALLER_ID, true)).toBe(true);
      const after = await store.getTenant(tenant.tenantId);
      expect(after?.callerIds).toEqual([OTHER_CALLER_ID]);
      expect(after?.settings).toMatchObject({ blockOnFraud: true });
      expect(after?.settings.callerId).toBeUndefined();
    } finally {
      db.destroy();
    }
  });

  it('R15: an unknown tenant is 404; bad numbers, duplicates and too many are 400 and change nothing', async () => {
    const tenant = await api.createTenant('Refusals');
    expect((await patchCallerId(tenant, TEST_CALLER_ID)).status).toBe(200);
    expectProblem(await setCallerIds('tn000000000000000000000000', [OTHER_CALLER_ID]), 404, 'not-found');

    const refused: unknown[] = [
      ['4155550198'],
      ['+0155550198'],
      [OTHER_CALLER_ID, OTHER_CALLER_ID],
      Array.from({ length: 21 }, (_, i) => `+1415555${String(2000 + i)}`),
      'not a list',
      undefined,
    ];
    for (const callerIds of refused) {
      const reply = await setCallerIds(tenant.tenantId, callerIds);
      expect([reply.status, callerIds]).toEqual([400, callerIds]);
      expectProblem(reply, 400, 'validation-failed');
    }
    const duplicate = await setCallerIds(tenant.tenantId, [OTHER_CALLER_ID, OTHER_CALLER_ID]);
    expect(JSON.stringify(duplicate.body)).toContain('/callerIds/1');
    // A number the phone-number library knows does not exist (E.164 in shape only).
    expectProblem(await setCallerIds(tenant.tenantId, ['+1999555019']), 400, 'validation-failed');

    expect(await settingsOf(tenant)).toMatchObject({ callerId: TEST_CALLER_ID });
    expectProblem(await patchCallerId(tenant, OTHER_CALLER_ID), 400, 'validation-failed');
  });

  it('R15: only the operator key assigns caller IDs, not the tenant’s admin or auth key', async () => {
    const tenant = await api.createTenant('Keys');
    for (const key of [tenant.adminKey, tenant.authKey, undefined]) {
      const reply = await api.request('PUT', `/v1/operator/tenants/${tenant.tenantId}/caller-ids`, { ...(key ? { key } : {}), body: { callerIds: [OTHER_CALLER_ID] } });
      expect([401, 403]).toContain(reply.status);
    }
    expectProblem(await patchCallerId(tenant, OTHER_CALLER_ID), 400, 'validation-failed');
  });
});
