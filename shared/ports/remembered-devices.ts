// Remembered devices (issue 16): tokens stored hashed, one partition per user.

import type { RememberedDeviceRecord, RememberUse } from '../domain/remembered-device-records';
import type { Page } from './page';
import type { UserScope } from './users';

export type { RememberedDeviceRecord, RememberUse } from '../domain/remembered-device-records';

/**
 * Remembered devices. Revocation never touches a token: it draws a new epoch on the user (or the
 * tenant), and a token stamped with an old one is revoked (shared/domain/remembered-devices.ts).
 */
export interface RememberedDeviceStore {
  /**
   * Stores a token and marks its challenge used, in one transaction; false (nothing stored) when
   * the challenge is not an approved challenge of that tenant and user, approved after
   * `approvedAfter`, that has not remembered a device before.
   */
  remember(record: RememberedDeviceRecord, use: RememberUse): Promise<boolean>;
  /** The token with this hash, stored for this user, whatever its expiry (the caller checks it). */
  get(scope: UserScope, userId: string, tokenHash: string): Promise<RememberedDeviceRecord | undefined>;
  /**
   * One page of the user's tokens, live or not, in no particular order: at most `limit`, from
   * `cursor` (the previous page's). The caller filters, so it reads every page.
   */
  list(scope: UserScope, userId: string, limit: number, cursor?: string): Promise<Page<RememberedDeviceRecord>>;
}
