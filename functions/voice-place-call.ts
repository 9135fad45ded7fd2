import { ChimeSDKVoiceClient } from '@aws-sdk/client-chime-sdk-voice';
import { KMSClient } from '@aws-sdk/client-kms';
import { createDocumentClient } from '../shared/adapters/dynamo/client';
import { DynamoKeyMaterialStore } from '../shared/adapters/dynamo/key-material-store';
import { DynamoThrottleStore } from '../shared/adapters/dynamo/throttle-store';
import { systemClock } from '../shared/adapters/local/clock';
import { KmsSecretBox } from '../shared/adapters/secrets/kms-secret-box';
import { ChimeVoiceDialer } from '../shared/adapters/voice/chime-dialer';
import { ENV, loadConfig } from '../shared/config';
import { ThrottleKey } from '../shared/domain/service-secrets';
import { lambdaHandler, serviceLogger, traced } from '../shared/observability';
import { placeCall } from '../shared/voice/place-call';

const config = loadConfig();
if (config.runtime !== 'aws' || !config.voiceSipMediaApplicationId) {
  throw new Error(`Invalid configuration: ${ENV.voiceSipMediaApplicationId} is required to place calls`);
}
const db = createDocumentClient({});
// R6/R28: the same counters as the handlers that send texts, keyed by the same throttle HMAC key.
const throttleKey = new ThrottleKey({ secrets: new DynamoKeyMaterialStore(db, config.tenantsTable), box: new KmsSecretBox(traced(new KMSClient({})), config.secretsKmsKeyId) });
const deps = {
  dialer: new ChimeVoiceDialer(traced(new ChimeSDKVoiceClient({})), config.voiceSipMediaApplicationId),
  throttle: new DynamoThrottleStore(db, config.throttleTable, throttleKey),
  clock: systemClock,
  log: serviceLogger(),
};

/**
 * The rollover's call task (`.waitForTaskToken`): takes the number's hourly cap (R6), then
 * places one call from the tenant's caller ID (R15) with Chime SDK PSTN audio and returns; the
 * call's outcome comes back later through the SIP media application handler. A number over its
 * cap fails the task as NumberOverCap (recorded as `over_cap`); any other throw fails the task,
 * which rolls over (R12).
 */
export const handler = lambdaHandler((event: unknown): Promise<{ callId: string }> => placeCall(event, deps));
