import { log, pushServiceSendingNothing } from '../shared/composition';
import { lambdaHandler } from '../shared/observability';

const push = pushServiceSendingNothing();
const logger = log();

/**
 * The push deadline sweep (R7), run every minute by its schedule (locally by a timer on the local
 * clock): every push past its deadline that nobody answered or read is denied as `timeout` and
 * counted towards fatigue, exactly once whoever else observes it.
 */
export const handler = lambdaHandler(async (): Promise<{ checked: number }> => {
  const result = await push.sweepTimeouts();
  if (result.checked > 0) logger.info('push deadlines swept', { ...result });
  return result;
});
