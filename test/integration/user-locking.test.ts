import { randomBytes } from 'node:crypto';
import { createDocumentClient } from '../../shared/adapters/dynamo/client';
import { DynamoTenantStore } from '../../shared/adapters/dynamo/tenant-store';
import { DynamoUserCredentialStore } from '../../shared/adapters/dynamo/user-credentials';
import { systemClock } from '../../shared/adapters/system-clock';
import { LocalSecretBox } from '../../shared/adapters/secrets/local-secret-box';
import { PageCursors } from '../../shared/domain/cursors';
import { NotificationService } from '../../shared/domain/notifications';
import type { Principal, User } from '../../shared/domain/types';
import { UserService } from '../../shared/domain/users';
import type { UserQuery, UserScope, UserStore, UserWrite } from '../../shared/ports';
import { FakePhoneClassifier, InMemoryLogStore, RecordingWebhookSender, SilentLog } from '../support/fakes';
import { TestApi, type Tenant } from '../support/runtime';

/**
 * Optimistic locking against DynamoDB Local: a PATCH made by the domain on the real adapter,
 * with a block sent through the HTTP API between its read and its write. The hook makes the
 * interleaving deterministic; the condition that refuses the stale write is DynamoDB's.
 */
let api: TestApi;
let acme: Tenant;
let principal: Principal;
let tenants: DynamoTenantStore;

/** The real user store, with one hook run between a writer's read and its write. */
class RacingUserStore implements UserStore {
  private hook: (() => Promise<void>) | undefined;

  constructor(private readonly inner: DynamoTenantStore) {}

  beforeNextPut(hook: () => Promise<void>): void {
    this.hook = hook;
  }

  async putUser(scope: UserScope, user: User, expectedVersion?: number): Promise<UserWrite> {
    const hook = this.hook;
    this.hook = undefined;
    if (hook) await hook();
    return this.inner.putUser(scope, user, expectedVersion);
  }

  getUser(scope: UserScope, userId: string): Promise<User | undefined> {
    return this.inner.getUser(scope, userId);
  }

  listUsers(scope: UserScope, query: UserQuery) {
    return this.inner.listUsers(scope, query);
  }
}

beforeAll(async () => {
  api = await TestApi.start();
  acme = await api.createTenant('Locking');
  const db = createDocumentClient({ endpoint: api.runtime.dynamoEndpoint });
  tenants = new DynamoTenantStore(db, process.env.TENANTS_TABLE as string);
  const tenant = await tenants.getTenant(acme.tenantId);
  if (!tenant) throw new Error('tenant not stored');
  principal = { tenantId: acme.tenantId, keyId: 'test', keyName: 'test', scope: 'admin', tenant };
});

afterAll(() => api.stop());

function service(store: UserStore): UserService {
  const box = new LocalSecretBox(randomBytes(32).toString('base64'));
  const notifications = new NotificationService({ store: new InMemoryLogStore(), webhook: new RecordingWebhookSender(), box, clock: systemClock, log: new SilentLog() });
  const credentials = new DynamoUserCredentialStore(createDocumentClient({ endpoint: api.runtime.dynamoEndpoint }), process.env.TENANTS_TABLE as string, tenants, systemClock);
  return new UserService({ users: store, credentials, clock: systemClock, phones: new FakePhoneClassifier(), notifications, cursors: new PageCursors({ get: async () => randomBytes(32) }) });
}

describe('R19 user writes are conditional on the version read (DynamoDB Local)', () => {
  it('R19: a PATCH whose write lands after a block made through the API keeps the block', async () => {
    const { userId } = await api.newUser(acme, 'race');
    const store = new RacingUserStore(tenants);
    store.beforeNextPut(async () => {
      const blocked = await api.request('POST', `/v1/admin/users/${userId}/block`, { key: acme.adminKey, body: { reason: 'stolen laptop' } });
      expect(blocked.status).toBe(200);
    });
    const patched = await service(store).patch(principal, userId, { firstName: 'Rae' });
    expect(patched).toMatchObject({ firstName: 'Rae', blocked: { reason: 'stolen laptop' } });

    const stored = await api.request('GET', `/v1/admin/users/${userId}`, { key: acme.adminKey });
    expect(stored.body).toMatchObject({ firstName: 'Rae', blocked: { reason: 'stolen laptop' } });
  });

  it('R19: a PATCH whose write lands after the user was deleted through the API does not bring the user back', async () => {
    const { userId } = await api.newUser(acme, 'gone');
    const store = new RacingUserStore(tenants);
    store.beforeNextPut(async () => {
      expect((await api.request('DELETE', `/v1/admin/users/${userId}`, { key: acme.adminKey })).status).toBe(204);
    });
    await expect(service(store).patch(principal, userId, { firstName: 'Gone' })).rejects.toMatchObject({ code: 'not-found' });
    expect((await api.request('GET', `/v1/admin/users/${userId}`, { key: acme.adminKey })).status).toBe(404);
  });

  it('R19: a delete based on a stale read changes nothing at all: user, app password and token assignment stay', async () => {
    const { userId } = await api.newUser(acme, 'whole');
    const allowed = await api.request('PATCH', '/v1/admin/settings', { key: acme.adminKey, body: { appPasswordsAllowed: true } });
    expect(allowed.status).toBe(200);
    const password = (await api.request('POST', `/v1/admin/users/${userId}/app-passwords`, { key: acme.adminKey, body: { name: 'Mail' } })).body.password;
    const imported = await api.request('POST', '/v1/admin/oath-tokens:import', {
      key: acme.adminKey,
      rawBody: 'Serial Number,Secret Key,Time Interval\nLK-1,GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ,30\n',
      headers: { 'content-type': 'text/csv' },
    });
    expect(imported.body).toMatchObject({ imported: 1 });
    expect((await api.request('POST', '/v1/admin/oath-tokens/LK-1/assign', { key: acme.adminKey, body: { userId } })).status).toBe(200);
    const scope = { tenantId: acme.tenantId, space: principal.tenant.provider?.userSpace as string };
    const stale = (await tenants.getUser(scope, userId)) as User;
    // Changed after the read: the delete's transaction must refuse as a whole.
    expect((await api.request('PATCH', `/v1/admin/users/${userId}`, { key: acme.adminKey, body: { firstName: 'Wh' } })).status).toBe(200);

    const credentials = new DynamoUserCredentialStore(createDocumentClient({ endpoint: api.runtime.dynamoEndpoint }), process.env.TENANTS_TABLE as string, tenants, systemClock);
    expect(await credentials.deleteUser(scope, stale)).toEqual({ kind: 'changed' });
    const verify = () => api.request('POST', '/v1/app-passwords/verify', { key: acme.authKey, body: { userId, password } });
    expect((await verify()).status).toBe(200);
    const token = async () =>
      (await api.request<{ items: { serial: string; assignee?: { userId: string } }[] }>('GET', '/v1/admin/oath-tokens', { key: acme.adminKey })).body.items.find((t) => t.serial === 'LK-1');
    expect((await token())?.assignee).toMatchObject({ userId });

    // Read afresh (as the API does), the delete goes through whole.
    expect((await api.request('DELETE', `/v1/admin/users/${userId}`, { key: acme.adminKey })).status).toBe(204);
    expect((await verify()).status).toBe(422);
    expect((await token())?.assignee).toBeUndefined();
  });

  it('R19: the store refuses a write based on a version that is no longer current', async () => {
    const { userId } = await api.newUser(acme, 'stale');
    const scope = { tenantId: acme.tenantId, space: principal.tenant.provider?.userSpace as string };
    const read = await tenants.getUser(scope, userId);
    expect(read?.version).toBe(1);
    expect(await tenants.putUser(scope, { ...(read as User), firstName: 'One' }, 1)).toEqual({ kind: 'written', version: 2 });
    expect(await tenants.putUser(scope, { ...(read as User), firstName: 'Two' }, 1)).toEqual({ kind: 'changed' });
    expect(await tenants.putUser(scope, { ...(read as User), firstName: 'New' })).toEqual({ kind: 'changed' });
    expect((await tenants.getUser(scope, userId))?.firstName).toBe('One');
  });
});
