import { localClock } from '../../shared/adapters/local/world';
import { PUSH_SWEEP_INTERVAL_SECONDS } from '../../shared/rules';
import { localContext } from './context';

/** How often the local timer looks at the (movable) local clock. */
const CHECK_EVERY_MS = 250;

/**
 * The local stand-in for the push sweep's EventBridge rule (R7): once every
 * PUSH_SWEEP_INTERVAL_SECONDS of the local clock (which tests move forward instead of sleeping),
 * it invokes the handler module the rule invokes on AWS. One run at a time, as on AWS a run
 * ends well within the minute.
 */
export function startPushSweep(): { stop(): Promise<void> } {
  let last = localClock.now();
  let running: Promise<void> | undefined;
  const timer = setInterval(() => {
    const now = localClock.now();
    if (running || now - last < PUSH_SWEEP_INTERVAL_SECONDS * 1000) return;
    last = now;
    running = import('../../functions/push-sweep')
      .then(({ handler }) => handler(undefined, localContext('push-sweep', 50_000)))
      .then(
        () => undefined,
        (error: unknown) => console.error('local push sweep failed', error),
      )
      .finally(() => {
        running = undefined;
      });
  }, CHECK_EVERY_MS);
  timer.unref();
  return {
    stop: async () => {
      clearInterval(timer);
      await running;
    },
  };
}
