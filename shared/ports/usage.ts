// Usage counts per tenant, day, method and result (R23 usage report).

import type { Factor, LogResult } from '../domain/types';

/** A usage counter to bump: one per tenant, day, method and result (R23 usage report). */
export interface UsageIncrement {
  readonly tenantId: string;
  /** YYYY-MM-DD, UTC. */
  readonly day: string;
  readonly method: Factor;
  readonly result: LogResult;
  /** +1 normally; −1 to take back a count (a `sent` that turned out `failed`). */
  readonly delta: number;
}

export interface UsageRow {
  readonly day: string;
  readonly method: Factor;
  readonly result: LogResult;
  readonly count: number;
}

export interface UsageStore {
  /** Every counter of the tenant for a month (YYYY-MM). */
  month(tenantId: string, month: string): Promise<UsageRow[]>;
}
