import { ApiKeyAuthenticator } from '../../shared/domain/api-keys';
import { CallerIdService } from '../../shared/domain/caller-ids';
import { NotFoundError, ProviderConflictError, ProviderRequiredError } from '../../shared/domain/errors';
import { TenantService, userSpaceOf, type ProviderInput } from '../../shared/domain/tenants';
import { DEFAULT_SETTINGS, type Principal, type User } from '../../shared/domain/types';
import { userScope } from '../../shared/domain/users';
import { FakeClock, InMemoryTenantStore, InMemoryUserStore, T0, principalOf } from '../support/fakes';

async function setup(provider?: ProviderInput) {
  const clock = new FakeClock();
  const tenants = new InMemoryTenantStore();
  const service = new TenantService({ tenants, clock });
  const created = await service.create({ name: 'Acme', ...(provider ? { provider } : {}) });
  const tenantId = created.tenant.tenantId;
  /** An admin as they are now: the principal carries the tenant as read with the key. */
  const admin = async (): Promise<Principal> => {
    const tenant = await tenants.getTenant(tenantId);
    if (!tenant) throw new Error('tenant gone');
    return principalOf(tenant, 'admin');
  };
  return { clock, tenants, service, created, tenantId, admin };
}

const member = (tenantId: string, userId: string): User => ({
  tenantId,
  userId,
  phones: { primary: { e164: '+14155550100', country: 'US', type: 'mobile' }, backup: [] },
  mfaEnabled: true,
  licensed: false,
  createdAt: new Date(T0).toISOString(),
  updatedAt: new Date(T0).toISOString(),
});

describe('R17 creating a tenant', () => {
  it('creates a tenant with a hex id, default settings, no provider, and two working keys shown once', async () => {
    const { created, tenants, clock } = await setup();
    expect(created.tenant).toEqual({
      tenantId: expect.stringMatching(/^tn[0-9a-f]{24}$/),
      name: 'Acme',
      createdAt: new Date(T0).toISOString(),
      providerGeneration: 0,
      settings: DEFAULT_SETTINGS,
    });
    await expect(tenants.getTenant(created.tenant.tenantId)).resolves.toEqual(created.tenant);
    const authenticator = new ApiKeyAuthenticator(tenants, clock);
    await expect(authenticator.authenticate(`Bearer ${created.adminKey}`, 'admin')).resolves.toMatchObject({ scope: 'admin' });
    await expect(authenticator.authenticate(`Bearer ${created.authKey}`, 'auth')).resolves.toMatchObject({ scope: 'auth' });
    const stored = JSON.stringify(await tenants.listApiKeys(created.tenant.tenantId));
    expect(stored).not.toContain(created.adminKey.split('_').slice(4).join('_'));
  });

  it('R15: the operator assigns caller-ID numbers when creating the tenant, each once', async () => {
    const clock = new FakeClock();
    const tenants = new InMemoryTenantStore();
    const service = new TenantService({ tenants, clock });
    const created = await service.create({ name: 'Acme', callerIds: ['+14155550199', '+14155550198', '+14155550199'] });
    expect(created.tenant.callerIds).toEqual(['+14155550199', '+14155550198']);
    expect((await tenants.getTenant(created.tenant.tenantId))?.callerIds).toEqual(['+14155550199', '+14155550198']);
  });

  it('creates the first provider with the tenant when asked: generation 1', async () => {
    const { created, tenants } = await setup({ billingModel: 'per_user', directoryId: 'dir-1' });
    expect(created.tenant.providerGeneration).toBe(1);
    expect(created.tenant.provider).toEqual({
      providerId: expect.stringMatching(/^pv_/),
      billingModel: 'per_user',
      directoryId: 'dir-1',
      createdAt: new Date(T0).toISOString(),
      generation: 1,
      userSpace: 'dir:dir-1',
    });
    expect(tenants.providerHistory(created.tenant.tenantId)).toEqual([created.tenant.provider]);
  });
});

describe('R17 one provider per tenant, its billing model fixed', () => {
  it('creates the provider with the next generation and stores it', async () => {
    const { service, admin, tenants, tenantId } = await setup();
    const { provider, created } = await service.putProvider(await admin(), { billingModel: 'per_authentication' });
    expect(created).toBe(true);
    expect(provider).toMatchObject({ billingModel: 'per_authentication', generation: 1 });
    expect(provider).not.toHaveProperty('directoryId');
    await expect(tenants.getTenant(tenantId)).resolves.toMatchObject({ provider, providerGeneration: 1 });
    expect(service.getProvider(await admin())).toEqual(provider);
  });

  it('is idempotent: the same billing model and directory again answer the provider unchanged', async () => {
    const { service, admin, tenants, tenantId } = await setup();
    const first = await service.putProvider(await admin(), { billingModel: 'per_user', directoryId: 'dir-1' });
    const again = await service.putProvider(await admin(), { billingModel: 'per_user', directoryId: 'dir-1' });
    expect(again).toEqual({ provider: first.provider, created: false });
    expect(tenants.providerHistory(tenantId)).toHaveLength(1);
    await expect(tenants.getTenant(tenantId)).resolves.toMatchObject({ providerGeneration: 1 });
  });

  it('refuses another billing model with 409 and changes nothing', async () => {
    const { service, admin, tenants, tenantId } = await setup();
    const { provider } = await service.putProvider(await admin(), { billingModel: 'per_user' });
    const error = await service.putProvider(await admin(), { billingModel: 'per_authentication' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderConflictError);
    expect((error as ProviderConflictError).details).toEqual({ billingModel: 'per_user' });
    await expect(tenants.getTenant(tenantId)).resolves.toMatchObject({ provider, providerGeneration: 1 });
  });

  it.each<[string, string | undefined, string | undefined]>([
    ['another directory', 'dir-1', 'dir-2'],
    ['a directory where there was none', undefined, 'dir-1'],
    ['no directory where there was one', 'dir-1', undefined],
  ])('refuses %s with 409', async (_name, before, after) => {
    const { service, admin, tenants, tenantId } = await setup();
    const { provider } = await service.putProvider(await admin(), { billingModel: 'per_user', ...(before ? { directoryId: before } : {}) });
    const error = await service
      .putProvider(await admin(), { billingModel: 'per_user', ...(after ? { directoryId: after } : {}) })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderConflictError);
    expect((error as ProviderConflictError).details).toEqual({ directoryId: before ?? null });
    await expect(tenants.getTenant(tenantId)).resolves.toMatchObject({ provider });
  });

  it('changes the billing model only by deleting the provider and creating a new one, with the next generation', async () => {
    const { service, admin, tenants, tenantId } = await setup();
    await service.putProvider(await admin(), { billingModel: 'per_user' });
    await service.deleteProvider(await admin());
    await expect(tenants.getTenant(tenantId)).resolves.not.toHaveProperty('provider');
    const second = await service.putProvider(await admin(), { billingModel: 'per_authentication' });
    await service.deleteProvider(await admin());
    const third = await service.putProvider(await admin(), { billingModel: 'per_user' });
    expect([second.provider.generation, third.provider.generation]).toEqual([2, 3]);
    expect(tenants.providerHistory(tenantId).map((p) => [p.billingModel, p.generation])).toEqual([
      ['per_user', 1],
      ['per_authentication', 2],
      ['per_user', 3],
    ]);
  });

  it('answers a tenant without a provider with not found on read and delete', async () => {
    const { service, admin } = await setup();
    const principal = await admin();
    expect(() => service.getProvider(principal)).toThrow(NotFoundError);
    await expect(service.deleteProvider(principal)).rejects.toThrow(NotFoundError);
  });

  it('lets one of two admins racing to create a provider win; the other gets a conflict', async () => {
    const { service, admin, tenants, tenantId } = await setup();
    const [a, b] = [await admin(), await admin()];
    const results = await Promise.allSettled([
      service.putProvider(a, { billingModel: 'per_user' }),
      service.putProvider(b, { billingModel: 'per_authentication' }),
    ]);
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expect(lost[0]?.reason).toBeInstanceOf(ProviderConflictError);
    expect(tenants.providerHistory(tenantId)).toHaveLength(1);
    await expect(tenants.getTenant(tenantId)).resolves.toMatchObject({ providerGeneration: 1 });
  });

  it('refuses a delete made from a stale read after the provider was replaced', async () => {
    const { service, admin, tenants, tenantId } = await setup();
    await service.putProvider(await admin(), { billingModel: 'per_user' });
    const stale = await admin();
    await service.deleteProvider(await admin());
    const replacement = await service.putProvider(await admin(), { billingModel: 'per_authentication' });
    await expect(service.deleteProvider(stale)).rejects.toThrow(ProviderConflictError);
    await expect(tenants.getTenant(tenantId)).resolves.toMatchObject({ provider: replacement.provider });
  });
});

describe('R18 a provider and its directory decide where the users live', () => {
  it('names the user space after the directory, or after the provider when there is none', () => {
    expect(userSpaceOf('pv_1', 'dir-1')).toBe(userSpaceOf('pv_2', 'dir-1'));
    expect(userSpaceOf('pv_1', 'dir-1')).not.toBe(userSpaceOf('pv_1', 'dir-2'));
    expect(userSpaceOf('pv_1')).not.toBe(userSpaceOf('pv_2'));
    expect(userSpaceOf('pv_1')).not.toBe(userSpaceOf('pv_1', 'pv_1'));
  });

  async function replace(first: ProviderInput, second: ProviderInput) {
    const { service, admin, tenantId } = await setup();
    const users = new InMemoryUserStore();
    const before = await service.putProvider(await admin(), first);
    await users.putUser(userScope(await admin()), member(tenantId, 'alice'));
    await service.deleteProvider(await admin());
    const between = await admin();
    expect(() => userScope(between)).toThrow(ProviderRequiredError);
    const after = await service.putProvider(await admin(), second);
    const found = await users.getUser(userScope(await admin()), 'alice');
    return { before: before.provider, after: after.provider, found };
  }

  it('keeps the users when the new provider is linked to the same directory', async () => {
    const { before, after, found } = await replace(
      { billingModel: 'per_user', directoryId: 'dir-1' },
      { billingModel: 'per_authentication', directoryId: 'dir-1' },
    );
    expect(after.userSpace).toBe(before.userSpace);
    expect(after.generation).toBe(before.generation + 1);
    expect(found).toMatchObject({ userId: 'alice', mfaEnabled: true });
  });

  it('starts empty when the new provider is linked to another directory', async () => {
    const { before, after, found } = await replace(
      { billingModel: 'per_user', directoryId: 'dir-1' },
      { billingModel: 'per_user', directoryId: 'dir-2' },
    );
    expect(after.userSpace).not.toBe(before.userSpace);
    expect(found).toBeUndefined();
  });

  it('starts empty when neither provider has a directory', async () => {
    const { before, after, found } = await replace({ billingModel: 'per_user' }, { billingModel: 'per_user' });
    expect(after.userSpace).not.toBe(before.userSpace);
    expect(found).toBeUndefined();
  });

  it('starts empty when the new provider has no directory though the old one had', async () => {
    const { after, found } = await replace({ billingModel: 'per_user', directoryId: 'dir-1' }, { billingModel: 'per_user' });
    expect(after.userSpace).not.toBe('dir:dir-1');
    expect(found).toBeUndefined();
  });
});

describe('R15 the operator changes the caller IDs a tenant may use', () => {
  it('R15: a settings write racing the change is kept, and a callerId it picked that is taken away is cleared', async () => {
    const { tenants, tenantId } = await setup();
    const service = new CallerIdService({ tenants });
    const before = await tenants.getTenant(tenantId);
    if (!before) throw new Error('tenant gone');
    await tenants.setSettings(tenantId, { ...before.settings, callerId: '+14155550199' });
    // Between the operator's read and write, an admin changes the settings (same callerId kept first, then a new one).
    const write = tenants.setCallerIds.bind(tenants);
    let raced = 0;
    jest.spyOn(tenants, 'setCallerIds').mockImplementation(async (...args) => {
      if (raced++ === 0) await tenants.setSettings(tenantId, { ...before.settings, callerId: '+14155550198', blockOnFraud: true });
      return write(...args);
    });

    const result = await service.setCallerIds(tenantId, ['+14155550199']);
    expect(result).toEqual({ tenantId, callerIds: ['+14155550199'], callerIdCleared: true });
    const after = await tenants.getTenant(tenantId);
    expect(after?.callerIds).toEqual(['+14155550199']);
    expect(after?.settings.callerId).toBeUndefined();
    expect(after?.settings.blockOnFraud).toBe(true);
    expect(raced).toBe(2);
  });

  it('R15: an unknown tenant is not found; duplicates and numbers that do not exist are refused with their pointer', async () => {
    const { tenants, tenantId } = await setup();
    const service = new CallerIdService({ tenants });
    await expect(service.setCallerIds('tn000000000000000000000000', ['+14155550199'])).rejects.toBeInstanceOf(NotFoundError);
    await expect(service.setCallerIds(tenantId, ['+14155550199', '+14155550199'])).rejects.toMatchObject({
      errors: [{ pointer: '/callerIds/1', detail: 'is already in the list' }],
    });
    await expect(service.setCallerIds(tenantId, ['+1999555019'])).rejects.toMatchObject({ errors: [{ pointer: '/callerIds/0' }] });
    expect((await tenants.getTenant(tenantId))?.callerIds).toBeUndefined();
  });
});
