import { APP_PASSWORDS_PER_USER, TENANT_CHALLENGES_PER_SECOND } from '../rules';
import type { AppPasswordStore, AuthLogStore, Clock, ThrottleStore, UserStore } from '../ports';
import { generateAppPassword, hashAppPassword, verifyAppPassword } from './app-passwords';
import { attemptAudit } from './auth-log';
import { randomId } from './crypto';
import { AppPasswordsDisabledError, ConflictError, NotFoundError, RetryLaterError, UserBlockedError, WrongCodeError } from './errors';
import type { AppPasswordRecord } from './otp/records';
import type { Principal } from './types';
import { userScope } from './users';

export type AppPasswordView = Pick<AppPasswordRecord, 'passwordId' | 'name' | 'createdAt'>;

const viewOf = ({ passwordId, name, createdAt }: AppPasswordRecord): AppPasswordView => ({ passwordId, name, createdAt });

/** R21: app passwords for legacy clients — shown once, stored hashed, off unless the tenant allows them. */
export class AppPasswordService {
  constructor(
    private readonly deps: {
      store: AppPasswordStore;
      users: UserStore;
      clock: Clock;
      /** Where a verification is logged (R23); only the verifying handler needs it. */
      logs?: AuthLogStore;
      /** The tenant's per-second cap, taken before a verification costs a scrypt check and a log line. */
      throttle?: ThrottleStore;
    },
  ) {}

  async create(principal: Principal, userId: string, name: string): Promise<AppPasswordView & { password: string }> {
    allowed(principal);
    const scope = await this.requireUser(principal, userId);
    const password = generateAppPassword();
    const record: AppPasswordRecord = {
      tenantId: principal.tenantId,
      space: scope.space,
      userId,
      passwordId: randomId('ap', 12),
      name,
      hash: await hashAppPassword(password),
      createdAt: new Date(this.deps.clock.now()).toISOString(),
    };
    if (!(await this.deps.store.addAppPassword(record, APP_PASSWORDS_PER_USER))) {
      throw new ConflictError(`A user may have at most ${APP_PASSWORDS_PER_USER} app passwords; delete one first`);
    }
    return { ...viewOf(record), password };
  }

  async list(principal: Principal, userId: string): Promise<AppPasswordView[]> {
    const scope = await this.requireUser(principal, userId);
    return (await this.deps.store.listAppPasswords(scope, userId, APP_PASSWORDS_PER_USER * 2)).map(viewOf);
  }

  async delete(principal: Principal, userId: string, passwordId: string): Promise<void> {
    if (!(await this.deps.store.deleteAppPassword(userScope(principal), userId, passwordId))) throw new NotFoundError('No such app password');
  }

  async deleteAll(principal: Principal, userId: string): Promise<number> {
    const scope = await this.requireUser(principal, userId);
    return this.deps.store.deleteAllAppPasswords(scope, userId);
  }

  /**
   * A legacy client's sign-in: the same answer for an unknown user and a wrong password. Every
   * verification, right or wrong, is an auth-log line (R23) naming the user id as given.
   */
  async verify(principal: Principal, userId: string, password: string): Promise<{ valid: true; passwordId: string; name: string }> {
    const now = this.deps.clock.now();
    const { throttle, logs } = this.deps;
    // Unlogged like a create over the cap: a flood must not become a log write per request.
    const tenantLimit = principal.tenant.settings.limits?.challengesPerSecond ?? TENANT_CHALLENGES_PER_SECOND;
    if (throttle && !(await throttle.take({ name: 'tenant_rate', subject: principal.tenantId, limit: tenantLimit, windowSeconds: 1, now }))) {
      throw new RetryLaterError('Too many sign-ins for this tenant right now', 1, { reason: 'tenant_rate' });
    }
    const scope = userScope(principal);
    const user = await this.deps.users.getUser(scope, userId);
    const record = async (result: 'approved' | 'denied', reason?: string) =>
      logs?.append(attemptAudit(principal, { userId, ...(user ? { user } : {}), method: 'app_password', event: 'verify', result, ...(reason ? { reason } : {}), now }));
    if (!principal.tenant.settings.appPasswordsAllowed) {
      await record('denied', 'app_passwords_disabled');
      allowed(principal);
    }
    if (user?.blocked) {
      await record('denied', 'user_blocked');
      throw new UserBlockedError('The user is blocked; an admin must unblock them');
    }
    // At most APP_PASSWORDS_PER_USER scrypt checks: the cost of one verify is bounded.
    const stored = user ? await this.deps.store.listAppPasswords(scope, userId, APP_PASSWORDS_PER_USER) : [];
    for (const candidate of stored) {
      if (await verifyAppPassword(password, candidate.hash)) {
        await record('approved');
        return { valid: true, passwordId: candidate.passwordId, name: candidate.name };
      }
    }
    // An unknown user is logged like a wrong password: the line must not tell them apart either.
    await record('denied', 'wrong_password');
    throw new WrongCodeError('The app password is not correct');
  }

  private async requireUser(principal: Principal, userId: string) {
    const scope = userScope(principal);
    if (!(await this.deps.users.getUser(scope, userId))) throw new NotFoundError('No such user');
    return scope;
  }
}

function allowed(principal: Principal): void {
  if (!principal.tenant.settings.appPasswordsAllowed) {
    throw new AppPasswordsDisabledError('App passwords are turned off for this tenant (settings.appPasswordsAllowed)');
  }
}
