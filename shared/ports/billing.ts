// Billing (R24–R26).

import type { Provider } from '../domain/types';

/** A provider from the tenant's history, with its deletion time once it was deleted. */
export interface ProviderPeriod {
  readonly provider: Provider;
  readonly deletedAt?: string;
}

export interface BillingTenant {
  readonly tenantId: string;
  readonly name: string;
  /**
   * Whether the per-user counters hold every user of the tenant: true for a tenant created since
   * they exist. A tenant from before them is counted with the recount (exact, one item per user)
   * until its counters are seeded.
   */
  readonly usersCounted?: boolean;
  /**
   * For a tenant whose counters were seeded (`UserCounterSeeder`): the first month they bill;
   * earlier months are billed from the recount, as before the seed.
   */
  readonly usersCountedFrom?: string;
}

/** What seeding one tenant's per-user counters did. */
export type SeedOutcome =
  /** Counters and mark written: the counters bill every month from `from`; `base` is what was added per user space. */
  | { readonly kind: 'seeded'; readonly from: string; readonly base: Readonly<Record<string, number>> }
  /** The tenant's counters already hold all its users (created with them, or seeded before), or it is gone. */
  | { readonly kind: 'already' }
  /** Users kept changing through every attempt to count them: nothing written, try again later. */
  | { readonly kind: 'busy' };

/**
 * R25: gives a tenant from before the per-user counters the users they never saw, once, then
 * marks it counted, so that the billing run reads its counters (O(1)) instead of recounting it.
 */
export interface UserCounterSeeder {
  /** `month` is the current month (YYYY-MM): the counters bill from the month after it. */
  seedUserCounters(tenantId: string, month: string): Promise<SeedOutcome>;
}

/** What one tenant used in one month, read from the per-tenant monthly meters (never a Scan). */
export interface MonthlyMeter {
  /** R24: challenges created and delivered, per provider id. */
  readonly authentications: Readonly<Record<string, number>>;
  /** R25: users enabled for MFA and not licensed at some moment of the month, per user space. */
  readonly users: Readonly<Record<string, number>>;
}

/** A tenant's billing records for one month that one Query returns. */
export interface TenantMonth {
  /** R17: every provider the tenant has had. */
  readonly periods: readonly ProviderPeriod[];
  /** R25: users enabled for MFA and not licensed at some moment of the month, per user space. */
  readonly users: Readonly<Record<string, number>>;
}

/** The billing run's reads: tenants from the tenant index, then at most two Queries per tenant. */
export interface BillingStore {
  /** Every tenant, a page at a time, from the tenant index. */
  tenantPages(): AsyncIterable<BillingTenant[]>;
  /** The provider history and the per-user counters, whatever the tenant's number of users (`month` is YYYY-MM). */
  tenantMonth(tenantId: string, month: string): Promise<TenantMonth>;
  /** R24: challenges created and delivered in the month, per provider id. */
  authentications(tenantId: string, month: string): Promise<Record<string, number>>;
  /**
   * R25 counted again from the per-user records, one item per user: the check that the
   * counters `tenantMonth` reads are right. Never on the run's path.
   */
  recountUsers(tenantId: string, month: string): Promise<Record<string, number>>;
  /**
   * R24: up to ten stream sequence numbers of the month's changes the challenge projection
   * skipped because it could not read them (their lines and counts are missing); none normally.
   */
  skippedChanges(month: string): Promise<string[]>;
}

/** Where the finance export goes: the export bucket on AWS, a folder of the data directory locally. */
export interface ExportSink {
  put(key: string, body: string, contentType: string): Promise<void>;
}

/** Whether the challenge projection has written the auth-log lines, usage and meter of every change before an instant. */
export type ProjectionCatchUp = { readonly caughtUp: true } | { readonly caughtUp: false; readonly reason: string; readonly retryAfterSeconds: number };

/**
 * R23/R24: the billing run reads the meter the challenge projection writes from the Challenges
 * table's stream, so it first asks whether the projection has caught up with the month's end.
 * On AWS: the event source's record age has passed since then, nothing waits in its failure
 * queue, and the event source is enabled; locally the poller is drained.
 */
export interface ProjectionProgress {
  caughtUpTo(instant: string): Promise<ProjectionCatchUp>;
}
