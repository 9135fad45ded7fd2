import { Logger } from '@aws-lambda-powertools/logger';
import { ChimeSDKVoiceClient } from '@aws-sdk/client-chime-sdk-voice';
import { createDocumentClient } from '../shared/adapters/dynamo/client';
import { DynamoThrottleStore } from '../shared/adapters/dynamo/throttle-store';
import { systemClock } from '../shared/adapters/local/clock';
import { ChimeVoiceDialer } from '../shared/adapters/voice/chime-dialer';
import { ENV, loadConfig } from '../shared/config';
import { instrumented, SERVICE_NAME, traced } from '../shared/observability';
import { placeCall } from '../shared/voice/place-call';

const config = loadConfig();
if (config.runtime !== 'aws' || !config.voiceSipMediaApplicationId) {
  throw new Error(`Invalid configuration: ${ENV.voiceSipMediaApplicationId} is required to place calls`);
}
const deps = {
  dialer: new ChimeVoiceDialer(traced(new ChimeSDKVoiceClient({})), config.voiceSipMediaApplicationId),
  // R6: the same throttle store, and so the same counter keys, as the handlers that send texts.
  throttle: new DynamoThrottleStore(createDocumentClient({}), config.throttleTable),
  clock: systemClock,
  log: new Logger({ serviceName: SERVICE_NAME }),
};

/**
 * The rollover's call task (`.waitForTaskToken`): takes the number's hourly cap (R6), then
 * places one call from the tenant's caller ID (R15) with Chime SDK PSTN audio and returns; the
 * call's outcome comes back later through the SIP media application handler. A number over its
 * cap fails the task as NumberOverCap (recorded as `over_cap`); any other throw fails the task,
 * which rolls over (R12).
 */
export const handler = instrumented((event: unknown): Promise<{ callId: string }> => placeCall(event, deps));
