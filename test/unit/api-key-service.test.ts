import { ApiKeyAuthenticator, ApiKeyService } from '../../shared/domain/api-keys';
import { NotFoundError, UnauthenticatedError } from '../../shared/domain/errors';
import type { Principal } from '../../shared/domain/types';
import { DEFAULT_KEY_ROTATION_GRACE_SECONDS } from '../../shared/rules';
import { FakeClock, InMemoryTenantStore, T0, principalOf, tenantFixture } from '../support/fakes';

const TENANT_A = `tn${'a'.repeat(24)}`;
const TENANT_B = `tn${'b'.repeat(24)}`;

async function setup() {
  const clock = new FakeClock();
  const tenants = new InMemoryTenantStore();
  await tenants.createTenant(tenantFixture(TENANT_A), []);
  await tenants.createTenant(tenantFixture(TENANT_B), []);
  const service = new ApiKeyService({ tenants, clock });
  const authenticator = new ApiKeyAuthenticator(tenants, clock);
  const adminA: Principal = principalOf(tenantFixture(TENANT_A), 'admin');
  const adminB: Principal = principalOf(tenantFixture(TENANT_B), 'admin');
  const works = (key: string, scope: 'auth' | 'admin' = 'auth') => authenticator.authenticate(`Bearer ${key}`, scope);
  return { clock, tenants, service, adminA, adminB, works };
}

const secretOf = (key: string): string => key.split('_').slice(4).join('_');

describe('R27 R28 console API keys', () => {
  it('creates a key shown once in full; the view has neither the secret nor its hash', async () => {
    const { service, adminA, works } = await setup();
    const { key, view } = await service.create(adminA, { name: 'VPN gateway', scope: 'auth' });
    expect(key).toMatch(new RegExp(`^tsr_auth_${TENANT_A}_${view.keyId}_[A-Za-z0-9_-]{43}$`));
    expect(view).toEqual({ keyId: expect.stringMatching(/^[0-9a-f]{16}$/), scope: 'auth', name: 'VPN gateway', createdAt: new Date(T0).toISOString(), status: 'active' });
    await expect(works(key)).resolves.toMatchObject({ tenantId: TENANT_A, keyId: view.keyId, keyName: 'VPN gateway' });
  });

  it("lists the tenant's own keys only, without secrets or hashes", async () => {
    const { service, adminA, adminB } = await setup();
    const auth = await service.create(adminA, { name: 'sign-in', scope: 'auth' });
    const admin = await service.create(adminA, { name: 'console', scope: 'admin' });
    await service.create(adminB, { name: 'B key', scope: 'auth' });
    const listed = await service.list(adminA);
    expect(listed.map((k) => k.keyId).sort()).toEqual([auth.view.keyId, admin.view.keyId].sort());
    const text = JSON.stringify(listed);
    expect(text).not.toContain(secretOf(auth.key));
    expect(text).not.toContain(secretOf(admin.key));
    for (const k of listed) {
      expect(k).not.toHaveProperty('secretHash');
      expect(k).not.toHaveProperty('tenantId');
    }
  });

  it('revokes a key: refused at once, listed as revoked', async () => {
    const { service, adminA, works, clock } = await setup();
    const { key, view } = await service.create(adminA, { name: 'old server', scope: 'auth' });
    clock.advance(10);
    await service.revoke(adminA, view.keyId);
    await expect(works(key)).rejects.toThrow(UnauthenticatedError);
    expect(await service.list(adminA)).toEqual([
      expect.objectContaining({ keyId: view.keyId, status: 'revoked', revokedAt: new Date(T0 + 10_000).toISOString() }),
    ]);
  });

  it("answers another tenant's key id and an unknown one as not found, and changes nothing", async () => {
    const { service, adminA, adminB, works } = await setup();
    const { key, view } = await service.create(adminB, { name: 'B key', scope: 'auth' });
    await expect(service.revoke(adminA, view.keyId)).rejects.toThrow(NotFoundError);
    await expect(service.rotate(adminA, view.keyId, 60)).rejects.toThrow(NotFoundError);
    await expect(service.revoke(adminA, '0123456789abcdef')).rejects.toThrow(NotFoundError);
    await expect(works(key)).resolves.toMatchObject({ tenantId: TENANT_B });
    expect(await service.list(adminA)).toEqual([]);
    expect(await service.list(adminB)).toEqual([expect.objectContaining({ keyId: view.keyId, status: 'active' })]);
  });
});

describe('R27 rotating an API key with a grace period', () => {
  const GRACE = 3600;

  it('issues a new key with the same name and scope; the old one keeps working until its expiry, then is refused', async () => {
    const { service, adminA, works, clock } = await setup();
    const old = await service.create(adminA, { name: 'portal', scope: 'admin' });
    clock.advance(100);
    const rotated = await service.rotate(adminA, old.view.keyId, GRACE);
    const expiresAt = new Date(T0 + (100 + GRACE) * 1000).toISOString();

    expect(rotated.key).not.toBe(old.key);
    expect(rotated.view).toMatchObject({ name: 'portal', scope: 'admin', rotatedFrom: old.view.keyId, status: 'active' });
    expect((await service.list(adminA)).find((k) => k.keyId === old.view.keyId)).toMatchObject({ status: 'expiring', expiresAt });

    await expect(works(old.key, 'admin')).resolves.toMatchObject({ keyId: old.view.keyId });
    clock.set(Date.parse(expiresAt) - 1);
    await expect(works(old.key, 'admin')).resolves.toMatchObject({ keyId: old.view.keyId });
    clock.set(Date.parse(expiresAt));
    await expect(works(old.key, 'admin')).rejects.toThrow(UnauthenticatedError);
    await expect(works(rotated.key, 'admin')).resolves.toMatchObject({ keyId: rotated.view.keyId });
    expect((await service.list(adminA)).find((k) => k.keyId === old.view.keyId)).toMatchObject({ status: 'expired' });
  });

  it('with no grace, the old key stops at once', async () => {
    const { service, adminA, works } = await setup();
    const old = await service.create(adminA, { name: 'leaked', scope: 'auth' });
    const rotated = await service.rotate(adminA, old.view.keyId, 0);
    await expect(works(old.key)).rejects.toThrow(UnauthenticatedError);
    await expect(works(rotated.key)).resolves.toMatchObject({ keyName: 'leaked' });
  });

  it('never lengthens the life of a key already rotated', async () => {
    const { service, adminA, works, clock } = await setup();
    const old = await service.create(adminA, { name: 'portal', scope: 'auth' });
    await service.rotate(adminA, old.view.keyId, GRACE);
    await service.rotate(adminA, old.view.keyId, DEFAULT_KEY_ROTATION_GRACE_SECONDS);
    expect((await service.list(adminA)).find((k) => k.keyId === old.view.keyId)).toMatchObject({
      expiresAt: new Date(T0 + GRACE * 1000).toISOString(),
    });
    clock.advance(GRACE);
    await expect(works(old.key)).rejects.toThrow(UnauthenticatedError);
  });

  it('refuses to rotate a revoked key', async () => {
    const { service, adminA } = await setup();
    const old = await service.create(adminA, { name: 'gone', scope: 'auth' });
    await service.revoke(adminA, old.view.keyId);
    await expect(service.rotate(adminA, old.view.keyId, GRACE)).rejects.toThrow(NotFoundError);
    expect(await service.list(adminA)).toHaveLength(1);
  });
});
