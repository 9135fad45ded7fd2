import type { PageCursors } from './cursors';
import { newCredentialEpoch, newRememberedEpoch } from './credentials';
import { ConflictError, NotFoundError, ProviderRequiredError, ValidationError } from './errors';
import type { NotificationService } from './notifications';
import { registerPhone } from './phone';
import { registeredMethods, registrationRequired, usableMethods } from './registration';
import type { Clock, Page, PhoneClassifier, UserCredentialStore, UserQuery, UserScope, UserStore, UserWrite } from '../ports';
import type { Factor, PhoneNumber, Principal, RegistrationReason, User } from './types';

export interface UserInput {
  readonly firstName?: string | null;
  readonly lastName?: string | null;
  readonly email?: string | null;
  readonly phones: { readonly primary?: string | null; readonly backup?: readonly string[]; readonly office?: string | null };
  readonly mfaEnabled: boolean;
  readonly licensed?: boolean;
  readonly defaultMethod?: Factor | null;
  /** Only passkeys are offered and accepted for this user; absent keeps what is stored. */
  readonly phishingResistantOnly?: boolean;
}

/** What the console sees of a user: the stored record plus what follows from it. */
export type UserView = Omit<User, 'tenantId' | 'credentialEpoch' | 'rememberedEpoch'> & {
  readonly methods: Factor[];
  readonly registration: { readonly required: boolean; readonly reason?: RegistrationReason };
};

/**
 * How many times a user write starts again from a fresh read when another write got there first
 * (optimistic locking); after that the request is refused as a conflict rather than lose a change.
 */
export const USER_WRITE_ATTEMPTS = 5;

/** The user space of the tenant's current provider (R18); no provider, no users. */
export function userScope(principal: Principal): UserScope {
  const provider = principal.tenant.provider;
  if (!provider) throw new ProviderRequiredError('The tenant has no MFA provider; create one first (PUT /v1/admin/provider)');
  return { tenantId: principal.tenantId, space: provider.userSpace };
}

/** Tenant admins' user management (R19, R20), always within the caller's tenant (R27). */
export class UserService {
  constructor(
    private readonly deps: {
      users: UserStore;
      /** Deletes and resets a user together with its credentials (R19). */
      credentials: UserCredentialStore;
      clock: Clock;
      phones: PhoneClassifier;
      notifications: NotificationService;
      /** R29: signs and checks list cursors. */
      cursors: PageCursors;
    },
  ) {}

  view(principal: Principal, user: User): UserView {
    const { tenantId: _tenantId, credentialEpoch: _epoch, rememberedEpoch: _remembered, ...rest } = user;
    const reason = registrationRequired(user, principal.tenant.settings);
    return {
      ...rest,
      methods: usableMethods(user, principal.tenant.settings),
      registration: reason ? { required: true, reason } : { required: false },
    };
  }

  /** Creates or replaces a user. Registering a number clears an admin reset (R20). */
  async put(principal: Principal, userId: string, input: UserInput): Promise<{ user: UserView; created: boolean }> {
    const { user, created } = await this.write(userScope(principal), userId, (existing) => this.build(principal, userId, input, existing));
    return { user: this.view(principal, user), created };
  }

  /** Changes only the fields given; `null` removes an optional field. */
  async patch(principal: Principal, userId: string, change: Partial<UserInput>): Promise<UserView> {
    const { user } = await this.write(userScope(principal), userId, (existing) => {
      if (!existing) throw new NotFoundError('No such user');
      const merged: UserInput = {
        ...toInput(existing),
        ...change,
        phones: { ...toInput(existing).phones, ...change.phones },
      };
      return this.build(principal, userId, merged, existing);
    });
    return this.view(principal, user);
  }

  async get(principal: Principal, userId: string): Promise<UserView> {
    return this.view(principal, await this.require(userScope(principal), userId));
  }

  /** One page in user-id order; the cursor only pages this tenant's user space and this query (R29). */
  async list(principal: Principal, query: UserQuery): Promise<Page<UserView>> {
    const scope = userScope(principal);
    const { limit: _limit, cursor, ...filters } = query;
    const binding = { tenantId: principal.tenantId, list: 'users', query: { space: scope.space, ...filters } } as const;
    const state = await this.deps.cursors.open(cursor, binding);
    const page = await this.deps.users.listUsers(scope, { ...filters, limit: query.limit, ...(state ? { cursor: state.position } : {}) });
    return this.deps.cursors.seal(binding, { items: page.items.map((u) => this.view(principal, u)), ...(page.cursor ? { cursor: page.cursor } : {}) });
  }

  /**
   * R19: the user and everything that can authenticate as them, in one transaction: app
   * passwords, authenticator app, OATH token assignment (the token returns to the pool), push
   * device, passkeys. Pending challenges and activation codes die with the user's credential epoch: a user
   * created later with the same id draws a new one, so nothing old comes back.
   */
  async delete(principal: Principal, userId: string): Promise<void> {
    await this.write(userScope(principal), userId, async (existing) => existing ?? missing(), (scope, before) =>
      before ? this.deps.credentials.deleteUser(scope, before) : missing(),
    );
  }

  /**
   * R19/R20: every registered method is cleared and the user must register again: phones, the
   * authenticator app, the OATH token (back to the pool), the push device, passkeys, and app passwords
   * too (they skip the second factor altogether, and a reset is what follows a lost or stolen
   * phone). A new credential epoch voids pending challenges and activation codes.
   */
  async reset(principal: Principal, userId: string): Promise<UserView> {
    const { user } = await this.write(
      userScope(principal),
      userId,
      async (existing) => {
        if (!existing) throw new NotFoundError('No such user');
        const now = new Date(this.deps.clock.now()).toISOString();
        const { defaultMethod: _default, authenticator: _app, oathToken: _token, push: _push, passkeyCount: _passkeys, ...rest } = existing;
        return { ...rest, phones: { backup: [] }, resetAt: now, updatedAt: now, credentialEpoch: newCredentialEpoch() };
      },
      (scope, before, after) => (before ? this.deps.credentials.resetUser(scope, before, after) : missing()),
    );
    return this.view(principal, user);
  }

  async block(principal: Principal, userId: string, reason: string): Promise<UserView> {
    const { user } = await this.write(userScope(principal), userId, async (existing) => {
      if (!existing) throw new NotFoundError('No such user');
      const now = new Date(this.deps.clock.now()).toISOString();
      // Issue 16: a block revokes the user's remembered devices at once (and for good: not undone by an unblock).
      return { ...existing, blocked: { at: now, reason }, rememberedEpoch: newRememberedEpoch(), updatedAt: now };
    });
    await this.deps.notifications.notify(principal.tenant, { type: 'user_blocked', userId, message: `User ${userId} was blocked: ${reason}` });
    return this.view(principal, user);
  }

  async unblock(principal: Principal, userId: string): Promise<UserView> {
    const { user } = await this.write(userScope(principal), userId, async (existing) => {
      if (!existing) throw new NotFoundError('No such user');
      const { blocked: _blocked, ...rest } = existing;
      const now = new Date(this.deps.clock.now()).toISOString();
      // Recovery codes and access passes from before the unblock stay dead (a block kills them).
      return { ...rest, ...(existing.blocked ? { unblockedAt: now } : {}), updatedAt: now };
    });
    await this.deps.notifications.notify(principal.tenant, { type: 'user_unblocked', userId, message: `User ${userId} was unblocked` });
    return this.view(principal, user);
  }

  /** The user a request describes, checked: numbers parsed and classified (R30), default method registered. */
  async build(principal: Principal, userId: string, input: UserInput, existing: User | undefined): Promise<User> {
    const { phones } = this.deps;
    const primary = input.phones.primary ? await registerPhone(phones, input.phones.primary, '/phones/primary') : undefined;
    const backup: PhoneNumber[] = [];
    for (const [i, n] of (input.phones.backup ?? []).entries()) backup.push(await registerPhone(phones, n, `/phones/backup/${i}`));
    const office = input.phones.office ? await registerPhone(phones, input.phones.office, '/phones/office') : undefined;
    const now = new Date(this.deps.clock.now()).toISOString();
    const draft: User = {
      tenantId: principal.tenantId,
      userId,
      ...optional('firstName', input.firstName),
      ...optional('lastName', input.lastName),
      ...optional('email', input.email),
      phones: { ...(primary ? { primary } : {}), backup, ...(office ? { office } : {}) },
      mfaEnabled: input.mfaEnabled,
      licensed: input.licensed ?? existing?.licensed ?? false,
      ...optional('defaultMethod', input.defaultMethod),
      ...(existing?.blocked ? { blocked: existing.blocked } : {}),
      ...(existing?.unblockedAt ? { unblockedAt: existing.unblockedAt } : {}),
      // Set only by enrolment and assignment (R5, R22), never by a user PUT.
      ...(existing?.authenticator ? { authenticator: existing.authenticator } : {}),
      ...(existing?.oathToken ? { oathToken: existing.oathToken } : {}),
      // R18: set only by push activation.
      ...(existing?.push ? { push: existing.push } : {}),
      // Set only with the passkeys themselves (registration, deletion).
      ...(existing?.passkeyCount ? { passkeyCount: existing.passkeyCount } : {}),
      ...((input.phishingResistantOnly ?? existing?.phishingResistantOnly) ? { phishingResistantOnly: true } : {}),
      // Issue 16: kept, except that turning on phishing-resistant only revokes the user's remembered devices.
      ...(input.phishingResistantOnly && existing && !existing.phishingResistantOnly
        ? { rememberedEpoch: newRememberedEpoch() }
        : existing?.rememberedEpoch
          ? { rememberedEpoch: existing.rememberedEpoch }
          : {}),
      // Kept for the user's life (a user from before epochs keeps none); a new user draws one.
      ...(existing ? (existing.credentialEpoch ? { credentialEpoch: existing.credentialEpoch } : {}) : { credentialEpoch: newCredentialEpoch() }),
      createdAt: existing?.createdAt ?? now,
      updatedAt: now,
    };
    if (draft.defaultMethod && !registeredMethods(draft).includes(draft.defaultMethod)) {
      throw new ValidationError('The user is not valid', [{ pointer: '/defaultMethod', detail: 'is not a method this user has registered' }]);
    }
    // A reset stays in force until the user has something registered again.
    const resetAt = existing?.resetAt && registeredMethods(draft).length === 0 ? { resetAt: existing.resetAt } : {};
    return { ...draft, ...resetAt };
  }

  /**
   * Read, change, write conditional on the version read (optimistic locking). When another
   * write got there first (a block, an enrolment, a fraud report), the change is made again on
   * what is stored now, so a PATCH racing a block can never erase the block.
   */
  private async write(
    scope: UserScope,
    userId: string,
    next: (existing: User | undefined) => Promise<User>,
    store: (scope: UserScope, before: User | undefined, after: User) => Promise<UserWrite> = (s, before, after) =>
      this.deps.users.putUser(s, after, before ? (before.version ?? 0) : undefined),
  ): Promise<{ user: User; created: boolean }> {
    for (let attempt = 1; ; attempt++) {
      const existing = await this.deps.users.getUser(scope, userId);
      const user = await next(existing);
      const write = await store(scope, existing, user);
      if (write.kind === 'written') return { user: { ...user, version: write.version }, created: !existing };
      if (attempt >= USER_WRITE_ATTEMPTS) throw new ConflictError('The user kept changing while this request was applied; try again');
    }
  }

  private async require(scope: UserScope, userId: string): Promise<User> {
    const user = await this.deps.users.getUser(scope, userId);
    if (!user) throw new NotFoundError('No such user');
    return user;
  }
}

function missing(): never {
  throw new NotFoundError('No such user');
}

function optional<K extends string, V>(key: K, value: V | null | undefined): { [P in K]?: V } {
  return value === null || value === undefined || value === '' ? {} : ({ [key]: value } as { [P in K]: V });
}

/** A stored user as the input that would recreate it (for PATCH and CSV comparisons). */
export function toInput(user: User): UserInput {
  return {
    firstName: user.firstName ?? null,
    lastName: user.lastName ?? null,
    email: user.email ?? null,
    phones: {
      primary: user.phones.primary?.e164 ?? null,
      backup: user.phones.backup.map((p) => p.e164),
      office: user.phones.office?.e164 ?? null,
    },
    mfaEnabled: user.mfaEnabled,
    licensed: user.licensed,
    defaultMethod: user.defaultMethod ?? null,
  };
}
