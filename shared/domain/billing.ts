import { priceOf } from '../billing/prices';
import { ServiceUnavailableError, ValidationError } from './errors';
import type { BillingStore, BillingTenant, Clock, ExportSink, Log, MonthlyMeter, ProjectionProgress, ProviderPeriod, UserCounterSeeder } from '../ports';
import type { BillingModel, Principal } from './types';

/** One line of the finance export (R26): one provider of one tenant in force during the month. */
export interface BillingRow {
  readonly month: string;
  readonly tenantId: string;
  readonly tenantName: string;
  readonly providerId: string;
  readonly billingModel: BillingModel;
  /** When the provider came into force within the month (ISO), clipped to the month. */
  readonly activeFrom: string;
  /** When it stopped within the month, if it did; empty when still in force at the month's end. */
  readonly activeUntil: string;
  readonly billableUnits: number;
  readonly unitPrice: string;
  readonly currency: string;
  /** Integer minor units (cents), rounded half up once per row. */
  readonly amountMinor: number;
  readonly amount: string;
}

const MONTH = /^(\d{4})-(0[1-9]|1[0-2])$/;

/** The UTC instants a month (YYYY-MM) starts and ends (exclusive): 23:59:59.999 on its last day is in it. */
export function monthRange(month: string): { start: string; end: string } {
  const m = MONTH.exec(month);
  if (!m) throw new ValidationError('The month is not valid', [{ pointer: '/month', detail: 'must be YYYY-MM' }]);
  const year = Number(m[1]);
  const index = Number(m[2]) - 1;
  return { start: new Date(Date.UTC(year, index, 1)).toISOString(), end: new Date(Date.UTC(year, index + 1, 1)).toISOString() };
}

/** The UTC month (YYYY-MM) of an instant. */
export const monthOf = (epochMs: number): string => new Date(epochMs).toISOString().slice(0, 7);

/** The month before the one `epochMs` falls in: what the run on the 1st bills. */
export function previousMonth(epochMs: number): string {
  const d = new Date(epochMs);
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - 1, 1)).toISOString().slice(0, 7);
}

/** Every month from `from` to `to` (both YYYY-MM, inclusive). */
export function monthsBetween(from: string, to: string): string[] {
  const out: string[] = [];
  for (let m = from; m <= to; m = monthOf(Date.parse(monthRange(m).end))) out.push(m);
  return out;
}

/** R17: a provider bills a month when it was in force at some moment of it. */
function inForce(period: ProviderPeriod, range: { start: string; end: string }): boolean {
  return period.provider.createdAt < range.end && (period.deletedAt === undefined || period.deletedAt >= range.start);
}

/** Digits after the decimal point of a currency's minor unit (EUR 2, JPY 0). */
function minorDigits(currency: string): number {
  return new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
}

/** units × unit price, in integer minor units, rounded half up; decimal strings in, no float. */
export function amountOf(units: number, unitPrice: string, currency: string): { amountMinor: number; amount: string } {
  const [whole = '0', fraction = ''] = unitPrice.split('.');
  const scale = fraction.length;
  const digits = minorDigits(currency);
  const priceScaled = BigInt(whole + fraction);
  const product = BigInt(units) * priceScaled;
  const shift = scale - digits;
  const minor = shift <= 0 ? product * 10n ** BigInt(-shift) : (product + 5n * 10n ** BigInt(shift - 1)) / 10n ** BigInt(shift);
  const text = minor.toString().padStart(digits + 1, '0');
  const amount = digits === 0 ? text : `${text.slice(0, -digits)}.${text.slice(-digits)}`;
  return { amountMinor: Number(minor), amount };
}

/** One tenant's rows for a month: one per provider in force during it (R17: a replaced provider gets its own). */
export function rowsOf(tenant: BillingTenant, periods: readonly ProviderPeriod[], meter: MonthlyMeter, month: string): BillingRow[] {
  const range = monthRange(month);
  return periods
    .filter((p) => inForce(p, range))
    .map(({ provider, deletedAt }) => {
      const billableUnits =
        provider.billingModel === 'per_authentication'
          ? (meter.authentications[provider.providerId] ?? 0)
          : (meter.users[provider.userSpace] ?? 0);
      const { unitPrice, currency } = priceOf(provider.billingModel, month);
      return {
        month,
        tenantId: tenant.tenantId,
        tenantName: tenant.name,
        providerId: provider.providerId,
        billingModel: provider.billingModel,
        activeFrom: provider.createdAt > range.start ? provider.createdAt : range.start,
        activeUntil: deletedAt !== undefined && deletedAt < range.end ? deletedAt : '',
        billableUnits,
        unitPrice,
        currency,
        ...amountOf(billableUnits, unitPrice, currency),
      };
    });
}

/** A stable order: re-running a month gives the same bytes (R26). */
export function sortRows(rows: readonly BillingRow[]): BillingRow[] {
  return [...rows].sort((a, b) => a.tenantId.localeCompare(b.tenantId) || a.activeFrom.localeCompare(b.activeFrom) || a.providerId.localeCompare(b.providerId));
}

const CSV_COLUMNS: readonly [string, keyof BillingRow][] = [
  ['month', 'month'],
  ['tenant_id', 'tenantId'],
  ['tenant_name', 'tenantName'],
  ['provider_id', 'providerId'],
  ['billing_model', 'billingModel'],
  ['active_from', 'activeFrom'],
  ['active_until', 'activeUntil'],
  ['billable_units', 'billableUnits'],
  ['unit_price', 'unitPrice'],
  ['currency', 'currency'],
  ['amount_minor', 'amountMinor'],
  ['amount', 'amount'],
];

/** RFC 4180: quoted when it holds a comma, quote or line break; a leading =+-@ is defused for spreadsheets. */
function csvField(value: string | number): string {
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function renderCsv(rows: readonly BillingRow[]): string {
  const lines = [CSV_COLUMNS.map(([name]) => name).join(','), ...rows.map((r) => CSV_COLUMNS.map(([, key]) => csvField(r[key])).join(','))];
  return `${lines.join('\r\n')}\r\n`;
}

export function renderJson(month: string, rows: readonly BillingRow[]): string {
  return `${JSON.stringify({ month, rows }, null, 2)}\n`;
}

/** The export's object keys for a month. */
/** How the billing run's seeding knows when to stop: the milliseconds its invocation has left. */
export interface SeedOptions {
  readonly timeLeft?: () => number;
}

/** A seed is a few reads and one transaction, retried for a few seconds at most: none starts with less time than this left. */
export const SEED_TIME_RESERVE_MS = 30_000;

export const exportKeys = (month: string) => ({ csv: `billing/${month}.csv`, json: `billing/${month}.json` });

/** Tenants billed at once; each needs one or two Queries, so this bounds the run's concurrency. */
const TENANT_CONCURRENCY = 16;

/** The error log line of a billing run that waits for the challenge projection (an alarm counts it). */
export const BILLING_WAITS_FOR_PROJECTION = 'billing run waits for the challenge projection; nothing written';

/** When a run held back by a change the projection skipped is worth trying again: once an operator has dealt with it. */
const SKIPPED_RETRY_SECONDS = 60 * 60;

/** The monthly billing run (R26) and a tenant's view of its own bill. */
export class BillingService {
  constructor(
    private readonly deps: { store: BillingStore; clock: Clock; sink?: ExportSink; progress?: ProjectionProgress; seeder?: UserCounterSeeder; log?: Log },
  ) {}

  /** Every tenant's rows for `month`, sorted. Cost grows with tenants, not authentications or users. */
  async rows(month: string): Promise<BillingRow[]> {
    const rows: BillingRow[] = [];
    for await (const page of this.deps.store.tenantPages()) {
      for (let i = 0; i < page.length; i += TENANT_CONCURRENCY) {
        const batch = await Promise.all(page.slice(i, i + TENANT_CONCURRENCY).map((t) => this.tenantRows(t, month)));
        rows.push(...batch.flat());
      }
    }
    return sortRows(rows);
  }

  /**
   * Writes `billing/<month>.csv` and `.json`; the same month always gives the same bytes. Then
   * seeds the per-user counters of every tenant from before them (`UserCounterSeeder`): each is
   * counted user by user once more, here, instead of every month from now on. The export is
   * written first, and a seed that fails is logged and left, so it costs the run nothing; a tenant
   * not seeded is tried again by the next run and billed from the recount meanwhile. `timeLeft`
   * (the Lambda's remaining time) stops the seeding while there is still time to return.
   *
   * R24: the meter is written by the challenge projection, so nothing is written until the
   * projection has caught up with the month's end (`ProjectionProgress`); until then the run
   * fails with `ServiceUnavailableError` and an error line, and is tried again.
   */
  async run(month: string, options: SeedOptions = {}): Promise<{ month: string; rows: number; keys: { csv: string; json: string }; seeded: number; busy: number }> {
    const { sink, progress } = this.deps;
    if (!sink) throw new Error('The billing run needs an export sink');
    if (!progress) throw new Error('The billing run needs to know how far the challenge projection has got');
    if (month >= monthOf(this.deps.clock.now())) {
      throw new ValidationError('Only a month that has ended can be billed', [{ pointer: '/month', detail: 'must be before the current month' }]);
    }
    const progressed = await progress.caughtUpTo(monthRange(month).end);
    if (!progressed.caughtUp) this.waitForProjection(month, progressed.reason, progressed.retryAfterSeconds);
    const skipped = await this.deps.store.skippedChanges(month);
    if (skipped.length > 0) {
      const reason = `the projection could not read ${skipped.length === 10 ? 'ten or more' : skipped.length} change(s) of the month (stream sequence numbers ${skipped.join(', ')}); see docs/billing.md`;
      this.waitForProjection(month, reason, SKIPPED_RETRY_SECONDS);
    }
    const rows = await this.rows(month);
    const keys = exportKeys(month);
    await sink.put(keys.csv, renderCsv(rows), 'text/csv; charset=utf-8');
    await sink.put(keys.json, renderJson(month, rows), 'application/json');
    return { month, rows: rows.length, keys, ...(await this.seedCounters(options)) };
  }

  /** Refuses the run (an error line the alarms count, and a retriable error): nothing is written. */
  private waitForProjection(month: string, reason: string, retryAfterSeconds: number): never {
    this.deps.log?.error(BILLING_WAITS_FOR_PROJECTION, { month, reason });
    throw new ServiceUnavailableError(`The billing of ${month} waits for the challenge projection: ${reason}`, retryAfterSeconds);
  }

  /**
   * R25: seeds the counters of the tenants that lack them; how many were seeded, and how many were
   * left for the next run (too busy, failed, or no time left). One tenant's failure is logged and
   * the next one seeded.
   */
  async seedCounters(options: SeedOptions = {}): Promise<{ seeded: number; busy: number }> {
    const { seeder, log } = this.deps;
    let seeded = 0;
    let busy = 0;
    if (!seeder) return { seeded, busy };
    const current = monthOf(this.deps.clock.now());
    for await (const page of this.deps.store.tenantPages()) {
      for (const tenant of page.filter((t) => !t.usersCounted)) {
        if (options.timeLeft && options.timeLeft() < SEED_TIME_RESERVE_MS) {
          busy++;
          continue;
        }
        try {
          const outcome = await seeder.seedUserCounters(tenant.tenantId, current);
          if (outcome.kind === 'seeded') seeded++;
          if (outcome.kind === 'busy') busy++;
        } catch (error) {
          busy++;
          log?.warn('user counters not seeded; the next run tries again', { tenantId: tenant.tenantId, error: error instanceof Error ? error.name : 'unknown' });
        }
      }
    }
    return { seeded, busy };
  }

  /** R27: the caller's own rows only; the running month is a draft. */
  async forTenant(principal: Principal, month: string): Promise<{ month: string; status: 'final' | 'draft'; rows: BillingRow[] }> {
    const current = monthOf(this.deps.clock.now());
    if (month > current) throw new ValidationError('The month has not started', [{ pointer: '/month', detail: 'must not be after the current month' }]);
    const tenant = { tenantId: principal.tenantId, name: principal.tenant.name };
    const rows = sortRows(await this.tenantRows(tenant, month));
    return { month, status: month === current ? 'draft' : 'final', rows };
  }

  /**
   * R25 checked: every tenant's per-user counts for `month` against a recount from the per-user
   * records (one item per user, so this costs what the run saves). The spaces where they differ.
   */
  async verifyUsers(month: string): Promise<{ tenants: number; mismatches: UserCountMismatch[] }> {
    monthRange(month);
    const mismatches: UserCountMismatch[] = [];
    let tenants = 0;
    for await (const page of this.deps.store.tenantPages()) {
      for (const tenant of page) {
        // A seeded tenant's months before its seed are billed from the recount: nothing to check.
        if (tenant.usersCountedFrom !== undefined && month < tenant.usersCountedFrom) continue;
        tenants++;
        const [{ users }, recounted] = await Promise.all([this.deps.store.tenantMonth(tenant.tenantId, month), this.deps.store.recountUsers(tenant.tenantId, month)]);
        for (const space of [...new Set([...Object.keys(users), ...Object.keys(recounted)])].sort()) {
          const counted = users[space] ?? 0;
          const again = recounted[space] ?? 0;
          if (counted !== again) mismatches.push({ tenantId: tenant.tenantId, space, counted, recounted: again });
        }
      }
    }
    return { tenants, mismatches };
  }

  /** One Query for the providers and user counts; a second only when a per-authentication provider bills the month. */
  private async tenantRows(tenant: BillingTenant, month: string): Promise<BillingRow[]> {
    const range = monthRange(month);
    const counted = await this.deps.store.tenantMonth(tenant.tenantId, month);
    const { periods } = counted;
    const billed = periods.filter((p) => inForce(p, range));
    if (billed.length === 0) return [];
    // A tenant from before the counters existed has users they never saw: count it the old way.
    const users = countersBill(tenant, month) ? counted.users : await this.deps.store.recountUsers(tenant.tenantId, month);
    const authentications = billed.some((p) => p.provider.billingModel === 'per_authentication')
      ? await this.deps.store.authentications(tenant.tenantId, month)
      : {};
    return rowsOf(tenant, periods, { authentications, users }, month);
  }
}

/** Whether the per-user counters bill this tenant's `month`: a tenant created with them, or seeded (from the month after its seed). */
function countersBill(tenant: BillingTenant, month: string): boolean {
  return tenant.usersCounted === true && (tenant.usersCountedFrom === undefined || month >= tenant.usersCountedFrom);
}

/** A user space whose counters and recount disagree. */
export interface UserCountMismatch {
  readonly tenantId: string;
  readonly space: string;
  readonly counted: number;
  readonly recounted: number;
}
