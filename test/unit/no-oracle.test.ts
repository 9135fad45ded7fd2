import type { ScryptOptions } from 'node:crypto';
import { AppPasswordService } from '../../shared/domain/app-password-service';
import { UserBlockedError, WrongCodeError } from '../../shared/domain/errors';
import type { AppPasswordRecord } from '../../shared/domain/otp/records';
import type { AppPasswordStore, UserScope } from '../../shared/ports';
import { InMemoryLogStore, InMemoryUserStore, principalOf, T0, tenantFixture } from '../support/fakes';

/** Every scrypt computation the code under test starts: the cost an observer could time. */
const mockScrypt = { calls: 0 };
jest.mock('node:crypto', () => {
  const actual = jest.requireActual<typeof import('node:crypto')>('node:crypto');
  return {
    ...actual,
    scrypt: (password: string, salt: Buffer, keylen: number, options: ScryptOptions, callback: (error: Error | null, key: Buffer) => void) => {
      mockScrypt.calls++;
      actual.scrypt(password, salt, keylen, options, callback);
    },
  };
});

/** Just the reads a verification makes. */
class ListOnlyAppPasswordStore implements AppPasswordStore {
  constructor(private readonly records: AppPasswordRecord[]) {}
  async addAppPassword(): Promise<boolean> {
    throw new Error('not used');
  }
  async listAppPasswords(_scope: UserScope, userId: string): Promise<AppPasswordRecord[]> {
    return this.records.filter((r) => r.userId === userId);
  }
  async deleteAppPassword(): Promise<boolean> {
    throw new Error('not used');
  }
  async deleteAllAppPasswords(): Promise<number> {
    throw new Error('not used');
  }
}

describe('R27 app-password verification is no user oracle', () => {
  it('R27: an unknown user, a user without app passwords and a user with one cost the same scrypt work and get the same answer', async () => {
    const tenant = tenantFixture('t1', { settings: { ...tenantFixture('t1').settings, appPasswordsAllowed: true } });
    const principal = principalOf(tenant);
    const users = new InMemoryUserStore();
    const scope = { tenantId: 't1', space: tenant.provider?.userSpace as string };
    const base = { mfaEnabled: true, phones: { backup: [] }, createdAt: new Date(T0).toISOString(), updatedAt: new Date(T0).toISOString() };
    await users.putUser(scope, { ...base, userId: 'with' } as never);
    await users.putUser(scope, { ...base, userId: 'without' } as never);
    const { hashAppPassword } = jest.requireActual<typeof import('../../shared/domain/app-passwords')>('../../shared/domain/app-passwords');
    const record = { userId: 'with', passwordId: 'ap_1', name: 'mail', createdAt: new Date(T0).toISOString(), hash: await hashAppPassword('right-one') };
    const service = new AppPasswordService({ store: new ListOnlyAppPasswordStore([record as AppPasswordRecord]), users, clock: { now: () => T0 }, logs: new InMemoryLogStore() });

    const costs: Record<string, number> = {};
    for (const userId of ['with', 'without', 'nobody']) {
      const before = mockScrypt.calls;
      await expect(service.verify(principal, userId, 'wrong-one')).rejects.toThrow(WrongCodeError);
      costs[userId] = mockScrypt.calls - before;
    }
    expect(costs).toEqual({ with: 1, without: 1, nobody: 1 });
  });

  it('R27: a wrong password for a blocked user is answered as for anyone; only a right one learns of the block', async () => {
    const tenant = tenantFixture('t1', { settings: { ...tenantFixture('t1').settings, appPasswordsAllowed: true } });
    const principal = principalOf(tenant);
    const users = new InMemoryUserStore();
    const scope = { tenantId: 't1', space: tenant.provider?.userSpace as string };
    const at = new Date(T0).toISOString();
    await users.putUser(scope, { mfaEnabled: true, phones: { backup: [] }, createdAt: at, updatedAt: at, userId: 'held', blocked: { at, reason: 'left' } } as never);
    const { hashAppPassword } = jest.requireActual<typeof import('../../shared/domain/app-passwords')>('../../shared/domain/app-passwords');
    const record = { userId: 'held', passwordId: 'ap_1', name: 'mail', createdAt: at, hash: await hashAppPassword('right-one') };
    const service = new AppPasswordService({ store: new ListOnlyAppPasswordStore([record as AppPasswordRecord]), users, clock: { now: () => T0 }, logs: new InMemoryLogStore() });

    await expect(service.verify(principal, 'held', 'wrong-one')).rejects.toThrow(WrongCodeError);
    await expect(service.verify(principal, 'held', 'right-one')).rejects.toThrow(UserBlockedError);
  });
});
