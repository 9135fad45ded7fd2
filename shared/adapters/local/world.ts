import { LocalCallbackRegistry } from '../../voice/local-callbacks';
import { AdjustableClock } from './clock';
import { LocalMetrics } from './metrics';
import { LocalOutbox } from './outbox';
import { LocalPushNetwork } from './push';
import { LocalTelephone } from './telephone';
import { LocalVoiceRollover } from './voice-rollover';

/**
 * The simulated world of the local runtime: one clock, one SMS network, one telephone network
 * and one Step Functions stand-in per process, shared by every handler the local HTTP server
 * hosts and by its /local endpoints.
 */
export const localClock = new AdjustableClock();
export const localOutbox = new LocalOutbox(localClock);

/** Names of the two local SMS providers, tried in this order (R16). */
export const LOCAL_SMS_PROVIDERS = ['local-primary', 'local-secondary'] as const;

/** Task tokens of the local rollovers: the telephone reports call outcomes here (SendTaskSuccess). */
export const localCallbacks = new LocalCallbackRegistry();

/** The local phone network for voice calls; unscripted numbers ring until answered by hand. */
export const localTelephone = new LocalTelephone({ callbacks: localCallbacks, clock: localClock });

/** The voice rollover (R13), run locally from the same definition CDK deploys. */
export const localVoice = new LocalVoiceRollover({ dialer: localTelephone, callbacks: localCallbacks, clock: localClock });

/** The local push network and its simulated phones (R9). */
export const localPush = new LocalPushNetwork(localClock);

/** What the handlers would publish to CloudWatch, counted in memory (GET /local/metrics). */
export const localMetrics = new LocalMetrics();
