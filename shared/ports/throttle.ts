// Per-user throttling state and the throttle writes that ride with a challenge change (R6–R8).

import type { UserThrottleState } from '../domain/throttling';
import type { User } from '../domain/types';
import type { UserScope } from './users';

export type CounterName = 'number_rate' | 'tenant_rate' | 'tenant_requests' | 'source_rate';

/** Throttle writes that go in the same transaction as the challenge change they allow (R6, R8). */
export interface ThrottleWrites {
  /** Compare-and-set of the user's sliding log (R6): fails if another send got there first. */
  readonly userLog?: {
    readonly tenantId: string;
    readonly userId: string;
    readonly recent: readonly number[];
    readonly expectedVersion: number;
    /** The wrong-code streak was found stale (R8): forget it. */
    readonly resetStreak?: boolean;
  };
  /**
   * Fixed-window counters that must stay below their limit: per destination number (subject:
   * the E.164 number, stored hashed) and per tenant (subject: the tenant id).
   */
  readonly counters?: readonly { readonly name: CounterName; readonly subject: string; readonly limit: number; readonly windowSeconds: number; readonly now: number }[];
  /** R8: a wrong code lengthens the user's streak; an approval ends it. */
  readonly streak?: { readonly tenantId: string; readonly userId: string; readonly change: 'wrong' | 'reset'; readonly now: number };
  /**
   * R7: the user's fatigue state after this change, compare-and-set on the version read, so that
   * prompts a finished challenge counts are counted with its final status.
   */
  readonly fatigue?: {
    readonly tenantId: string;
    readonly userId: string;
    readonly denials: readonly number[];
    readonly pausedUntil?: number;
    readonly expectedVersion: number;
  };
}

/** Why a throttled change was refused by the store: a full counter, or a lost race on the user's log. */
export type ThrottleRefusal = { readonly kind: 'throttled'; readonly by: CounterName | 'user_log_changed' };

/** Per-user throttling state (R6–R8); writes that must be atomic with a challenge go through ChallengeStore. */
export interface ThrottleStore {
  getUserState(tenantId: string, userId: string): Promise<UserThrottleState>;
  /** The admin clears a fatigue pause and the wrong-code streak. */
  clear(tenantId: string, userId: string): Promise<void>;
  /**
   * Takes one unit of a fixed-window counter if it is below its limit (one conditional write,
   * outside any transaction: a counter every request of a tenant touches must not make their
   * transactions conflict). False when the window is full.
   */
  take(counter: { name: CounterName; subject: string; limit: number; windowSeconds: number; now: number }): Promise<boolean>;
  /**
   * Adds `units` to a fixed-window counter whatever its count (one unconditional write) and
   * returns the window's count after the addition: how a container hands over the units it took
   * on its own (`ContainerWindowCounter`).
   */
  add(counter: { name: CounterName; subject: string; windowSeconds: number; now: number; units: number }): Promise<number>;
}

/**
 * A user and the user's throttling state (R6–R8) in one read: what starting a challenge checks
 * first. Both strongly consistent.
 */
export interface UserWithThrottleReader {
  getUserWithThrottle(scope: UserScope, userId: string): Promise<{ user?: User; throttle: UserThrottleState }>;
}
