import { ChimeSDKVoiceClient } from '@aws-sdk/client-chime-sdk-voice';
import { ChimeVoiceDialer } from '../shared/adapters/voice/chime-dialer';
import { ENV, loadConfig } from '../shared/config';
import { instrumented, traced } from '../shared/observability';
import { placeCall } from '../shared/voice/place-call';

const config = loadConfig();
if (config.runtime !== 'aws' || !config.voiceSipMediaApplicationId) {
  throw new Error(`Invalid configuration: ${ENV.voiceSipMediaApplicationId} is required to place calls`);
}
const dialer = new ChimeVoiceDialer(traced(new ChimeSDKVoiceClient({})), config.voiceSipMediaApplicationId);

/**
 * The rollover's call task (`.waitForTaskToken`): places one call from the tenant's caller ID
 * (R15) with Chime SDK PSTN audio and returns; the call's outcome comes back later through the
 * SIP media application handler. A throw fails the task, which rolls over (R12).
 */
export const handler = instrumented((event: unknown): Promise<{ callId: string }> => placeCall(event, dialer));
