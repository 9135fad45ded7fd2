import { ApiKeyAuthenticator, authenticateOperator, issueApiKey, newTenantId, RecentKeys } from '../../shared/domain/api-keys';
import { API_KEY_CACHE_SECONDS } from '../../shared/rules';
import { sha256Hex } from '../../shared/domain/crypto';
import { ForbiddenScopeError, UnauthenticatedError } from '../../shared/domain/errors';
import { TenantService } from '../../shared/domain/tenants';
import { FakeClock, InMemoryTenantStore, T0, tenantFixture } from '../support/fakes';

const TENANT_A = `tn${'a'.repeat(24)}`;
const TENANT_B = `tn${'b'.repeat(24)}`;

async function setup() {
  const store = new InMemoryTenantStore();
  const clock = new FakeClock();
  const auth = issueApiKey({ tenantId: TENANT_A, scope: 'auth', name: 'sign-in page', now: T0 });
  const admin = issueApiKey({ tenantId: TENANT_A, scope: 'admin', name: 'console', now: T0 });
  const other = issueApiKey({ tenantId: TENANT_B, scope: 'auth', name: 'B sign-in page', now: T0 });
  await store.createTenant(tenantFixture(TENANT_A), [auth.record, admin.record]);
  await store.createTenant(tenantFixture(TENANT_B), [other.record]);
  return { store, clock, auth, admin, other, authenticator: new ApiKeyAuthenticator(store, clock) };
}

/** The parts of a key: scope, tenant id, key id, secret (the secret may itself contain "_"). */
function partsOf(key: string): { scope: string; tenantId: string; keyId: string; secret: string } {
  const [, scope = '', tenantId = '', keyId = '', ...secret] = key.split('_');
  return { scope, tenantId, keyId, secret: secret.join('_') };
}

describe('R28 API keys are issued once and stored hashed', () => {
  it('has the documented form tsr_<scope>_<tenantId>_<keyId>_<secret> and keeps only the SHA-256 of the secret', () => {
    const { key, record } = issueApiKey({ tenantId: TENANT_A, scope: 'auth', name: 'n', now: T0 });
    const match = new RegExp(`^tsr_auth_${TENANT_A}_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$`).exec(key);
    expect(match).not.toBeNull();
    expect(record).toEqual({
      keyId: match?.[1],
      tenantId: TENANT_A,
      scope: 'auth',
      name: 'n',
      secretHash: sha256Hex(match?.[2] ?? ''),
      createdAt: new Date(T0).toISOString(),
    });
    expect(JSON.stringify(record)).not.toContain(match?.[2]);
  });

  it('makes tenant ids of tn and 24 hex digits, so they travel inside keys unambiguously', () => {
    const ids = Array.from({ length: 20 }, () => newTenantId());
    for (const id of ids) expect(id).toMatch(/^tn[0-9a-f]{24}$/);
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe('R27 API key authentication', () => {
  it('authenticates an issued key with its scope, and the tenant comes from the key', async () => {
    const { authenticator, auth, admin, store } = await setup();
    await expect(authenticator.authenticate(`Bearer ${auth.key}`, 'auth')).resolves.toEqual({
      tenantId: TENANT_A,
      keyId: auth.record.keyId,
      keyName: 'sign-in page',
      scope: 'auth',
      tenant: await store.getTenant(TENANT_A),
    });
    await expect(authenticator.authenticate(`bearer ${admin.key}`, 'admin')).resolves.toMatchObject({
      tenantId: TENANT_A,
      scope: 'admin',
      tenant: { tenantId: TENANT_A },
    });
  });

  it('refuses a valid key outside its scope', async () => {
    const { authenticator, auth, admin } = await setup();
    await expect(authenticator.authenticate(`Bearer ${auth.key}`, 'admin')).rejects.toThrow(ForbiddenScopeError);
    await expect(authenticator.authenticate(`Bearer ${admin.key}`, 'auth')).rejects.toThrow(ForbiddenScopeError);
  });

  it('refuses a key whose scope prefix was edited', async () => {
    const { authenticator, auth } = await setup();
    const edited = auth.key.replace(/^tsr_auth_/, 'tsr_admin_');
    await expect(authenticator.authenticate(`Bearer ${edited}`, 'admin')).rejects.toThrow(ForbiddenScopeError);
  });

  it('refuses a tampered secret', async () => {
    const { authenticator, auth } = await setup();
    const last = auth.key.at(-1);
    const tampered = `${auth.key.slice(0, -1)}${last === 'A' ? 'B' : 'A'}`;
    await expect(authenticator.authenticate(`Bearer ${tampered}`, 'auth')).rejects.toThrow(UnauthenticatedError);
  });

  it('refuses an unknown key id', async () => {
    const { authenticator } = await setup();
    const stranger = issueApiKey({ tenantId: TENANT_A, scope: 'auth', name: 'never stored', now: T0 });
    await expect(authenticator.authenticate(`Bearer ${stranger.key}`, 'auth')).rejects.toThrow(UnauthenticatedError);
  });

  it('refuses the secret of one key under the id of another', async () => {
    const { authenticator, auth, admin } = await setup();
    const mixed = `tsr_admin_${TENANT_A}_${admin.record.keyId}_${partsOf(auth.key).secret}`;
    await expect(authenticator.authenticate(`Bearer ${mixed}`, 'admin')).rejects.toThrow(UnauthenticatedError);
  });

  it("refuses a key whose tenant id was edited to another tenant's", async () => {
    const { authenticator, auth, other } = await setup();
    const { keyId, secret } = partsOf(auth.key);
    await expect(authenticator.authenticate(`Bearer tsr_auth_${TENANT_B}_${keyId}_${secret}`, 'auth')).rejects.toThrow(
      UnauthenticatedError,
    );
    const b = partsOf(other.key);
    await expect(authenticator.authenticate(`Bearer tsr_auth_${TENANT_A}_${b.keyId}_${b.secret}`, 'auth')).rejects.toThrow(
      UnauthenticatedError,
    );
    await expect(authenticator.authenticate(`Bearer ${other.key}`, 'auth')).resolves.toMatchObject({ tenantId: TENANT_B });
  });

  it('refuses a revoked key', async () => {
    const { authenticator, auth, store } = await setup();
    await expect(authenticator.authenticate(`Bearer ${auth.key}`, 'auth')).resolves.toMatchObject({ tenantId: TENANT_A });
    await store.updateApiKey(TENANT_A, auth.record.keyId, { revokedAt: new Date(T0 + 1000).toISOString() });
    await expect(authenticator.authenticate(`Bearer ${auth.key}`, 'auth')).rejects.toThrow(UnauthenticatedError);
  });

  it('refuses a key whose tenant no longer exists in the store', async () => {
    const store = new InMemoryTenantStore();
    const orphan = issueApiKey({ tenantId: TENANT_A, scope: 'auth', name: 'orphan', now: T0 });
    await store.putApiKey(orphan.record);
    const authenticator = new ApiKeyAuthenticator(store, new FakeClock());
    await expect(authenticator.authenticate(`Bearer ${orphan.key}`, 'auth')).rejects.toThrow(UnauthenticatedError);
  });

  it.each([
    ['no header', undefined],
    ['an empty header', ''],
    ['another scheme', 'Basic dXNlcjpwYXNz'],
    ['Bearer without a key', 'Bearer '],
    ['two tokens', `Bearer tsr_auth_${TENANT_A}_0123456789abcdef_x extra`],
    ['the old form without a tenant id', `Bearer tsr_auth_0123456789abcdef_${'A'.repeat(43)}`],
    ['a tenant id that is not hex', `Bearer tsr_auth_tn_a_0123456789abcdef_${'A'.repeat(43)}`],
    ['not a Tessera key', 'Bearer eyJhbGciOiJIUzI1NiJ9.e30.sig'],
    ['a short secret', `Bearer tsr_auth_${TENANT_A}_0123456789abcdef_tooshort`],
  ])('refuses a malformed header: %s', async (_name, header) => {
    const { authenticator } = await setup();
    await expect(authenticator.authenticate(header, 'auth')).rejects.toThrow(UnauthenticatedError);
  });

  it('refuses a bare key without the Bearer scheme', async () => {
    const { authenticator, auth } = await setup();
    await expect(authenticator.authenticate(auth.key, 'auth')).rejects.toThrow(UnauthenticatedError);
  });

  it("gives each tenant's keys their own tenant", async () => {
    const store = new InMemoryTenantStore();
    const service = new TenantService({ tenants: store, clock: new FakeClock() });
    const a = await service.create({ name: 'A' });
    const b = await service.create({ name: 'B', provider: { billingModel: 'per_user' } });
    const authenticator = new ApiKeyAuthenticator(store, new FakeClock());
    await expect(authenticator.authenticate(`Bearer ${a.authKey}`, 'auth')).resolves.toMatchObject({
      tenantId: a.tenant.tenantId,
    });
    await expect(authenticator.authenticate(`Bearer ${b.adminKey}`, 'admin')).resolves.toMatchObject({
      tenantId: b.tenant.tenantId,
    });
    expect(a.tenant.tenantId).not.toBe(b.tenant.tenantId);
    expect(b.tenant.provider).toMatchObject({ billingModel: 'per_user' });
  });
});

describe('R6/R27: a container remembers the relying app\'s keys for API_KEY_CACHE_SECONDS', () => {
  async function remembering() {
    const world = await setup();
    const recent = new RecentKeys(API_KEY_CACHE_SECONDS * 1000);
    let reads = 0;
    const counted = Object.assign(Object.create(world.store) as InMemoryTenantStore, {
      getKeyAndTenant: (tenantId: string, keyId: string) => {
        reads++;
        return world.store.getKeyAndTenant(tenantId, keyId);
      },
    });
    return { ...world, recent, reads: () => reads, authenticator: new ApiKeyAuthenticator(counted, world.clock, undefined, recent) };
  }

  it('reads an auth key and its tenant once per bound, and still checks the secret on every request', async () => {
    const { authenticator, auth, clock, reads } = await remembering();
    for (let i = 0; i < 5; i++) await authenticator.authenticate(`Bearer ${auth.key}`, 'auth');
    expect(reads()).toBe(1);
    const { keyId, tenantId } = partsOf(auth.key);
    await expect(authenticator.authenticate(`Bearer tsr_auth_${tenantId}_${keyId}_${'x'.repeat(43)}`, 'auth')).rejects.toThrow(UnauthenticatedError);
    clock.advance(API_KEY_CACHE_SECONDS);
    await authenticator.authenticate(`Bearer ${auth.key}`, 'auth');
    expect(reads()).toBe(2);
  });

  it('a key revoked by another container works until the bound has passed, and not after', async () => {
    const { authenticator, auth, clock, store } = await remembering();
    await authenticator.authenticate(`Bearer ${auth.key}`, 'auth');
    await store.updateApiKey(TENANT_A, auth.record.keyId, { revokedAt: new Date(T0).toISOString() });
    clock.advance(API_KEY_CACHE_SECONDS - 1);
    await expect(authenticator.authenticate(`Bearer ${auth.key}`, 'auth')).resolves.toMatchObject({ tenantId: TENANT_A });
    clock.advance(1);
    await expect(authenticator.authenticate(`Bearer ${auth.key}`, 'auth')).rejects.toThrow(UnauthenticatedError);
  });

  it('a write in this container takes effect at once, and a read that raced it is not kept', async () => {
    const { authenticator, auth, store, recent, reads } = await remembering();
    await authenticator.authenticate(`Bearer ${auth.key}`, 'auth');
    await store.updateApiKey(TENANT_A, auth.record.keyId, { revokedAt: new Date(T0).toISOString() });
    recent.forgetTenant(TENANT_A);
    await expect(authenticator.authenticate(`Bearer ${auth.key}`, 'auth')).rejects.toThrow(UnauthenticatedError);
    expect(reads()).toBe(2);
    const before = recent.generation(TENANT_B);
    recent.forgetTenant(TENANT_B);
    recent.keep(TENANT_B, 'k', { key: auth.record, tenant: tenantFixture(TENANT_B) }, T0, before);
    expect(recent.get(TENANT_B, 'k', T0)).toBeUndefined();
  });

  it('reads admin keys on every request, and never remembers a key that does not exist', async () => {
    const { authenticator, admin, reads } = await remembering();
    await authenticator.authenticate(`Bearer ${admin.key}`, 'admin');
    await authenticator.authenticate(`Bearer ${admin.key}`, 'admin');
    expect(reads()).toBe(2);
    const unknown = `tsr_auth_${TENANT_A}_${'0'.repeat(16)}_${'y'.repeat(43)}`;
    await expect(authenticator.authenticate(`Bearer ${unknown}`, 'auth')).rejects.toThrow(UnauthenticatedError);
    await expect(authenticator.authenticate(`Bearer ${unknown}`, 'auth')).rejects.toThrow(UnauthenticatedError);
    expect(reads()).toBe(4);
  });
});

describe('Operator key', () => {
  const operatorKey = 'operator-secret-0123456789';
  const configured = sha256Hex(operatorKey);

  it('accepts the key whose SHA-256 is configured', () => {
    expect(() => authenticateOperator(`Bearer ${operatorKey}`, configured)).not.toThrow();
  });

  it.each([
    ['a wrong key', `Bearer ${operatorKey}x`],
    ['the hash itself', `Bearer ${configured}`],
    ['no header', undefined],
    ['another scheme', `Basic ${operatorKey}`],
  ])('refuses %s', (_name, header) => {
    expect(() => authenticateOperator(header, configured)).toThrow(UnauthenticatedError);
  });
});
