// The audit written with every challenge change, and the auth log it lands in (R23).

import type { AuthLogEntry, LogMethod, LogResult } from '../domain/types';
import type { Page } from './page';
import type { ThrottleWrites } from './throttle';
import type { UsageIncrement } from './usage';

/** What is written atomically with a challenge change: its auth-log line, usage counts and throttle state. */
export interface Audit {
  readonly log: AuthLogEntry;
  readonly usage: readonly UsageIncrement[];
  readonly throttle?: ThrottleWrites;
  /**
   * R24: the provider its `sent` counts are billed to. The store meters them for the billing run
   * in the same transaction, so billed units always equal the usage report's `sent`.
   */
  readonly billedTo?: string;
}

export interface AuthLogQuery {
  readonly from: string;
  readonly to: string;
  readonly userId?: string;
  readonly method?: LogMethod;
  readonly result?: LogResult;
  readonly limit: number;
  readonly cursor?: string;
}

/** Auth logs (R23), newest first; kept 90 days. */
export interface AuthLogStore {
  /** For log lines that do not go with a challenge change (a refused or throttled request). */
  append(audit: Audit): Promise<void>;
  list(tenantId: string, query: AuthLogQuery): Promise<Page<AuthLogEntry>>;
}
