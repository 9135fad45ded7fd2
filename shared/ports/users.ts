// Users in their provider's user space (R18, R19).

import type { User } from '../domain/types';
import type { Page } from './page';

/** Where a tenant's users live: the provider's user space (R18). */
export interface UserScope {
  readonly tenantId: string;
  readonly space: string;
}

export interface UserQuery {
  readonly limit: number;
  readonly cursor?: string;
  /** Users whose id starts with this. */
  readonly prefix?: string;
  readonly mfaEnabled?: boolean;
  readonly blocked?: boolean;
}

/** A conditional user write: `written` with the version stored, or `changed` when the user was not as read. */
export type UserWrite = { readonly kind: 'written'; readonly version: number } | { readonly kind: 'changed' };

export interface UserStore {
  /**
   * Creates or replaces the user, only if it is still as read (optimistic locking):
   * `expectedVersion` is the version read (0 for a user stored before versions existed), or
   * undefined to create a user that must not exist yet. The stored version is one more.
   */
  putUser(scope: UserScope, user: User, expectedVersion?: number): Promise<UserWrite>;
  getUser(scope: UserScope, userId: string): Promise<User | undefined>;
  listUsers(scope: UserScope, query: UserQuery): Promise<Page<User>>;
}

/** Many users of one space in few requests (a bulk import's batch reads its users at once). */
export interface UserBatchReader {
  /** The stored users among `userIds` (at most a few hundred), by id; absent ids are simply missing. */
  getUsers(scope: UserScope, userIds: readonly string[]): Promise<Map<string, User>>;
}

/**
 * R19/R21/R22: ends everything a user can authenticate with — app passwords, the authenticator
 * app and its enrolment, the OATH token assignment (the token goes back to the pool) and the
 * push device — in one transaction with the change to the user item, conditional on the
 * version read: it applies whole or not at all. Credentials it cannot find (pending challenges,
 * activation codes) die with the user's credential epoch.
 */
export interface UserCredentialStore {
  /** Deletes the user as read and its credentials; `changed` when the user is gone or was changed meanwhile. */
  deleteUser(scope: UserScope, user: User): Promise<UserWrite>;
  /** Replaces the user as read by `after` (its reset) and deletes its credentials, app passwords included. */
  resetUser(scope: UserScope, before: User, after: User): Promise<UserWrite>;
}
