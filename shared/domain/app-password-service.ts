import { APP_PASSWORDS_PER_USER } from '../rules';
import type { AppPasswordStore, AuthLogStore, Clock, UserStore } from '../ports';
import { APP_PASSWORD_SCRYPT, generateAppPassword, hashAppPassword, verifyAppPassword } from './app-passwords';
import { attemptAudit } from './auth-log';
import { sameEpoch } from './credentials';
import { randomId } from './crypto';
import { AppPasswordsDisabledError, ConflictError, NotFoundError, PhishingResistantOnlyError, UserBlockedError, WrongCodeError } from './errors';
import type { AppPasswordRecord } from './otp/records';
import { phishingResistantOnly } from './registration';
import type { Principal } from './types';
import { userScope } from './users';

export type AppPasswordView = Pick<AppPasswordRecord, 'passwordId' | 'name' | 'createdAt'>;

/** A stored hash in today's parameters that no password matches: checked against when there is nothing to check. */
const NO_PASSWORD_HASH = `scrypt$${APP_PASSWORD_SCRYPT.N}$${APP_PASSWORD_SCRYPT.r}$${APP_PASSWORD_SCRYPT.p}$${'A'.repeat(22)}$${'A'.repeat(43)}`;

const viewOf = ({ passwordId, name, createdAt }: AppPasswordRecord): AppPasswordView => ({ passwordId, name, createdAt });

/** R21: app passwords for legacy clients — shown once, stored hashed, off unless the tenant allows them. */
export class AppPasswordService {
  constructor(
    private readonly deps: {
      store: AppPasswordStore;
      users: UserStore;
      clock: Clock;
      /** Where every verification is logged (R23). */
      logs: AuthLogStore;
    },
  ) {}

  async create(principal: Principal, userId: string, name: string): Promise<AppPasswordView & { password: string }> {
    allowed(principal);
    const scope = userScope(principal);
    const user = await this.deps.users.getUser(scope, userId);
    if (!user) throw new NotFoundError('No such user');
    if (phishingResistantOnly(user, principal.tenant.settings)) throw new PhishingResistantOnlyError(PASSKEYS_ONLY, { method: 'app_password', available: ['passkey'] });
    const password = generateAppPassword();
    const record: AppPasswordRecord = {
      tenantId: principal.tenantId,
      space: scope.space,
      userId,
      passwordId: randomId('ap', 12),
      name,
      hash: await hashAppPassword(password),
      createdAt: new Date(this.deps.clock.now()).toISOString(),
      // R19: dead once the user is deleted or reset, even if its deletion never reached this record.
      ...(user.credentialEpoch ? { epoch: user.credentialEpoch } : {}),
    };
    if (!(await this.deps.store.addAppPassword(record, APP_PASSWORDS_PER_USER))) {
      throw new ConflictError(`A user may have at most ${APP_PASSWORDS_PER_USER} app passwords; delete one first`);
    }
    return { ...viewOf(record), password };
  }

  async list(principal: Principal, userId: string): Promise<AppPasswordView[]> {
    const scope = userScope(principal);
    const user = await this.deps.users.getUser(scope, userId);
    if (!user) throw new NotFoundError('No such user');
    return (await this.deps.store.listAppPasswords(scope, userId, APP_PASSWORDS_PER_USER * 2)).filter((r) => sameEpoch(user, r.epoch)).map(viewOf);
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
    const { logs } = this.deps;
    // The tenant's request cap was taken with the key (before this runs), so a flood of wrong
    // passwords is refused unlogged there rather than becoming a log write per request.
    const scope = userScope(principal);
    const user = await this.deps.users.getUser(scope, userId);
    const record = async (result: 'approved' | 'denied', reason?: string) =>
      logs.append(attemptAudit(principal, { userId, ...(user ? { user } : {}), method: 'app_password', event: 'verify', result, ...(reason ? { reason } : {}), now }));
    if (!principal.tenant.settings.appPasswordsAllowed) {
      await record('denied', 'app_passwords_disabled');
      allowed(principal);
    }
    // At most APP_PASSWORDS_PER_USER scrypt checks: the cost of one verify is bounded.
    const listed = user ? await this.deps.store.listAppPasswords(scope, userId, APP_PASSWORDS_PER_USER) : [];
    // R19: one left over from a deleted or reset user (an earlier epoch) is no password at all.
    const stored = listed.filter((r) => sameEpoch(user, r.epoch));
    for (const candidate of stored) {
      if (await verifyAppPassword(password, candidate.hash)) {
        // R27: only the holder of a right password learns that the user is blocked; anyone else
        // gets the answer of a wrong password.
        if (user?.blocked) {
          await record('denied', 'user_blocked');
          throw new UserBlockedError('The user is blocked; an admin must unblock them');
        }
        // A password made before only passkeys were accepted for the user signs in no more.
        if (user && phishingResistantOnly(user, principal.tenant.settings)) {
          await record('denied', 'phishing_resistant_only');
          throw new PhishingResistantOnlyError(PASSKEYS_ONLY, { method: 'app_password', available: ['passkey'] });
        }
        await record('approved');
        return { valid: true, passwordId: candidate.passwordId, name: candidate.name };
      }
    }
    // R27: an unknown user, or one without app passwords, costs one scrypt check too, so timing tells nothing.
    if (stored.length === 0) await verifyAppPassword(password, NO_PASSWORD_HASH);
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

const PASSKEYS_ONLY = 'Only passkeys are accepted for this user';

function allowed(principal: Principal): void {
  if (!principal.tenant.settings.appPasswordsAllowed) {
    throw new AppPasswordsDisabledError('App passwords are turned off for this tenant (settings.appPasswordsAllowed)');
  }
}
