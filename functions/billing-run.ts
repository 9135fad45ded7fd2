import * as z from '../shared/zod';
import { billingRun, clock, log } from '../shared/composition';
import { previousMonth } from '../shared/domain/billing';
import { lambdaHandler } from '../shared/observability';

const billing = billingRun();
const time = clock();
const logger = log();

/** The schedule sends `{}` (bill last month); a re-run names the month. */
const event = z.object({ month: z.optional(z.string().check(z.regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'must be YYYY-MM'))) });

/** The monthly billing run (R26): writes `billing/<month>.csv` and `.json` for finance. */
export const handler = lambdaHandler(async (input: unknown, context: { getRemainingTimeInMillis(): number }): Promise<{ month: string; rows: number; keys: { csv: string; json: string }; seeded: number; busy: number }> => {
  const parsed = event.safeParse(input ?? {});
  if (!parsed.success) throw new Error(`Invalid billing event: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
  const month = parsed.data.month ?? previousMonth(time.now());
  const result = await billing.run(month, { timeLeft: () => context.getRemainingTimeInMillis() });
  logger.info('billing run written', { ...result });
  return result;
});
