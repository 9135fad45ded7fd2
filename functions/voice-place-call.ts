import { clock, log, throttleStore, voiceDialer } from '../shared/composition';
import { lambdaHandler } from '../shared/observability';
import { placeCall } from '../shared/voice/place-call';

const deps = {
  dialer: voiceDialer(),
  // R6/R28: the same counters as the handlers that send texts, keyed by the same throttle HMAC key.
  throttle: throttleStore(),
  clock: clock(),
  log: log(),
};

/**
 * The rollover's call task (`.waitForTaskToken`): takes the number's hourly cap (R6), then
 * places one call from the tenant's caller ID (R15) with Chime SDK PSTN audio and returns; the
 * call's outcome comes back later through the SIP media application handler. A number over its
 * cap fails the task as NumberOverCap (recorded as `over_cap`); any other throw fails the task,
 * which rolls over (R12).
 */
export const handler = lambdaHandler((event: unknown): Promise<{ callId: string }> => placeCall(event, deps));
