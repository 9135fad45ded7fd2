import { log, taskCallbacks } from '../shared/composition';
import { smaEventHandler } from '../shared/adapters/voice/chime-sip-handler';
import { lambdaHandler } from '../shared/observability';

/**
 * The SIP media application's Lambda (Chime SDK PSTN audio): answers each call event with
 * actions (speak the prompt, collect "#" or "0#", hang up) and reports the call's outcome to the
 * waiting call task with SendTaskSuccess (R10–R12, R14). It must answer Chime within 5 s, so it
 * reads no table: the call's state rides in its transaction attributes.
 */
export const handler = lambdaHandler(smaEventHandler({ callbacks: taskCallbacks(), log: log() }));
