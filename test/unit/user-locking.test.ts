import { randomBytes } from 'node:crypto';
import { LocalSecretBox } from '../../shared/adapters/secrets/local-secret-box';
import { PageCursors } from '../../shared/domain/cursors';
import { NotificationService } from '../../shared/domain/notifications';
import type { Principal, User } from '../../shared/domain/types';
import { importUsers } from '../../shared/domain/user-import';
import { UserService, userScope, USER_WRITE_ATTEMPTS } from '../../shared/domain/users';
import type { UserScope, UserWrite } from '../../shared/ports';
import {
  FakeClock,
  FakePhoneClassifier,
  InMemoryLogStore,
  InMemoryUserStore,
  RecordingWebhookSender,
  SilentLog,
  principalOf,
  tenantFixture,
} from '../support/fakes';

const TENANT = `tn${'e'.repeat(24)}`;
const admin: Principal = principalOf(tenantFixture(TENANT), 'admin');
const scope = userScope(admin);

/**
 * The in-memory store with a hook: `beforeNextPut` runs once, just before the next write reaches
 * the store, i.e. after the writer read the user. That is the race, made deterministic.
 */
class RacingUserStore extends InMemoryUserStore {
  private hooks: (() => Promise<void>)[] = [];
  private racing = false;

  beforeNextPut(hook: () => Promise<void>): void {
    this.hooks.push(hook);
  }

  override async putUser(s: UserScope, user: User, expectedVersion?: number): Promise<UserWrite> {
    // The racing write's own put goes straight through.
    const hook = this.racing ? undefined : this.hooks.shift();
    if (hook) {
      this.racing = true;
      await hook().finally(() => (this.racing = false));
    }
    return super.putUser(s, user, expectedVersion);
  }
}

function setup() {
  const clock = new FakeClock();
  const store = new RacingUserStore();
  const phones = new FakePhoneClassifier();
  const box = new LocalSecretBox(randomBytes(32).toString('base64'));
  const notifications = new NotificationService({ store: new InMemoryLogStore(), webhook: new RecordingWebhookSender(), box, clock, log: new SilentLog() });
  const service = () => new UserService({ users: store, credentials: store, clock, phones, notifications, cursors: new PageCursors({ get: async () => randomBytes(32) }) });
  return { store, users: service(), other: service(), clock };
}

const ALICE = { mfaEnabled: true, phones: { primary: '+14155550100' } };

describe('R19 user writes are conditional on the version read (optimistic locking)', () => {
  it('R19: a PATCH racing a block never erases the block', async () => {
    const { store, users, other } = setup();
    await users.put(admin, 'alice', ALICE);
    // The PATCH has read alice; an admin blocks her before the PATCH writes.
    store.beforeNextPut(async () => {
      await other.block(admin, 'alice', 'stolen laptop');
    });
    const patched = await users.patch(admin, 'alice', { firstName: 'Alice' });

    const stored = await store.getUser(scope, 'alice');
    expect(stored?.blocked).toMatchObject({ reason: 'stolen laptop' });
    expect(stored?.firstName).toBe('Alice');
    expect(patched).toMatchObject({ firstName: 'Alice', blocked: { reason: 'stolen laptop' } });
  });

  it('R19: an unblock racing a PATCH is not undone by it, and a PUT racing a block keeps the block', async () => {
    const { store, users, other } = setup();
    await users.put(admin, 'bob', ALICE);
    await users.block(admin, 'bob', 'fraud');
    store.beforeNextPut(async () => {
      await other.unblock(admin, 'bob');
    });
    await users.patch(admin, 'bob', { lastName: 'Builder' });
    expect((await store.getUser(scope, 'bob'))?.blocked).toBeUndefined();

    store.beforeNextPut(async () => {
      await other.block(admin, 'bob', 'again');
    });
    await users.put(admin, 'bob', { ...ALICE, firstName: 'Bob' });
    expect(await store.getUser(scope, 'bob')).toMatchObject({ firstName: 'Bob', blocked: { reason: 'again' } });
  });

  it('R19: a PATCH racing a DELETE does not bring the user back', async () => {
    const { store, users, other } = setup();
    await users.put(admin, 'carl', ALICE);
    store.beforeNextPut(async () => {
      await other.delete(admin, 'carl');
    });
    await expect(users.patch(admin, 'carl', { firstName: 'Carl' })).rejects.toMatchObject({ code: 'not-found' });
    expect(await store.getUser(scope, 'carl')).toBeUndefined();
  });

  it('R19: an import row racing a block neither erases it nor claims success', async () => {
    const { store, users, other } = setup();
    await users.put(admin, 'dora', ALICE);
    store.beforeNextPut(async () => {
      await other.block(admin, 'dora', 'fraud');
    });
    const report = await importUsers({ users, store }, admin, 'userId,phone,mfaEnabled,firstName\ndora,+14155550100,true,Dora\n');
    expect(report.rows).toEqual([expect.objectContaining({ userId: 'dora', status: 'error' })]);
    expect((await store.getUser(scope, 'dora'))?.blocked).toMatchObject({ reason: 'fraud' });
  });

  it('R19: a write that keeps losing the race gives up with a conflict, having written nothing', async () => {
    const { store, users, other } = setup();
    await users.put(admin, 'eve', ALICE);
    for (let i = 0; i < USER_WRITE_ATTEMPTS; i++) {
      store.beforeNextPut(async () => {
        await other.patch(admin, 'eve', { lastName: `L${i}` });
      });
    }
    await expect(users.patch(admin, 'eve', { firstName: 'Eve' })).rejects.toMatchObject({ code: 'conflict' });
    expect((await store.getUser(scope, 'eve'))?.firstName).toBeUndefined();
  });
});
