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
}

/** What one tenant used in one month, read from the per-tenant monthly meters (never a Scan). */
export interface MonthlyMeter {
  /** R24: challenges created and delivered, per provider id. */
  readonly authentications: Readonly<Record<string, number>>;
  /** R25: users enabled for MFA and not licensed at some moment of the month, per user space. */
  readonly users: Readonly<Record<string, number>>;
}

/** The billing run's reads: tenants from the tenant index, provider history, monthly meters. */
export interface BillingStore {
  /** Every tenant, a page at a time, from the tenant index. */
  tenantPages(): AsyncIterable<BillingTenant[]>;
  providerHistory(tenantId: string): Promise<ProviderPeriod[]>;
  /** `month` is YYYY-MM; `end` the ISO instant the month ends (exclusive). */
  meter(tenantId: string, month: string, end: string): Promise<MonthlyMeter>;
}

/** Where the finance export goes: the export bucket on AWS, a folder of the data directory locally. */
export interface ExportSink {
  put(key: string, body: string, contentType: string): Promise<void>;
}
