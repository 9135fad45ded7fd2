import type { AppPasswordRecord } from '../domain/otp/records';
import type { UserScope } from './users';

/** R21: app passwords, hashed. */
export interface AppPasswordStore {
  /** Adds one unless the user already has `max` (false then). */
  addAppPassword(record: AppPasswordRecord, max: number): Promise<boolean>;
  /** At most `max` of the user's app passwords. */
  listAppPasswords(scope: UserScope, userId: string, max: number): Promise<AppPasswordRecord[]>;
  deleteAppPassword(scope: UserScope, userId: string, passwordId: string): Promise<boolean>;
  /** Deletes them all (lost phone); returns how many there were. */
  deleteAllAppPasswords(scope: UserScope, userId: string): Promise<number>;
}
