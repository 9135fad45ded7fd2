import { localClock } from '../../shared/adapters/local/world';
import { previousMonth } from '../../shared/domain/billing';
import { BILLING_RUN_HOUR_UTC } from '../../shared/rules';
import { localContext } from './context';

/** How often the local schedule looks at the (movable) local clock. */
const CHECK_EVERY_MS = 30_000;

/** The billing run's handler, loaded once the runtime has set the environment (as on a cold start). */
export async function runBilling(month?: string): Promise<{ month: string; rows: number; keys: { csv: string; json: string }; seeded: number; busy: number }> {
  // The meter is written from the Challenges table's stream: the run drains the projection first (root.ts).
  const { handler } = await import('../../functions/billing-run');
  return handler(month ? { month } : {}, localContext('billing-run', 5 * 60_000));
}

/**
 * The local stand-in for the EventBridge schedule (R26): from BILLING_RUN_HOUR_UTC on the 1st, by
 * the local clock, the previous month is billed once per process. A re-run writes the same bytes anyway.
 */
export function startBillingSchedule(): NodeJS.Timeout {
  let billed: string | undefined;
  const timer = setInterval(() => {
    const now = new Date(localClock.now());
    const month = previousMonth(now.getTime());
    if (now.getUTCDate() !== 1 || now.getUTCHours() < BILLING_RUN_HOUR_UTC || billed === month) return;
    billed = month;
    runBilling(month).catch((error: unknown) => {
      billed = undefined;
      console.error('local billing run failed', error);
    });
  }, CHECK_EVERY_MS);
  timer.unref();
  return timer;
}
