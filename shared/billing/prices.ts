import type { BillingModel } from '../domain/types';

/** A price per billable unit, as a decimal string (exact: no float ever touches money). */
export interface UnitPrice {
  readonly unitPrice: string;
  /** ISO 4217. */
  readonly currency: string;
}

/** Prices in force from a month (YYYY-MM) on, until the next entry's month. */
export interface PriceList {
  readonly from: string;
  readonly prices: Readonly<Record<BillingModel, UnitPrice>>;
}

/**
 * Every price Tessera has charged, oldest first: a month is billed at the entry in force in that
 * month, so re-running an old month after a price change still writes the same export (R26).
 * Units: R24 one two-step verification request (a challenge created and delivered, whatever the
 * method); R25 one user enabled for MFA and not licensed at any time in the month.
 */
export const PRICE_LISTS: readonly PriceList[] = [
  {
    from: '2025-01',
    prices: {
      per_authentication: { unitPrice: '0.0150', currency: 'EUR' },
      per_user: { unitPrice: '1.4000', currency: 'EUR' },
    },
  },
];

/** The price of a model in a month; throws for a month before the first price list. */
export function priceOf(model: BillingModel, month: string): UnitPrice {
  const list = [...PRICE_LISTS].reverse().find((l) => l.from <= month);
  if (!list) throw new Error(`No price list covers ${month}`);
  return list.prices[model];
}
