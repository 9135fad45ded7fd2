import { voiceRecorder } from '../shared/composition';
import { lambdaHandler } from '../shared/observability';
import { voiceStepSchema } from '../shared/voice/schemas';

const recorder = voiceRecorder();

/**
 * The voice rollover's record step (invoked by the state machine): after each call, the call
 * is added to the challenge's status; at the end, the challenge is approved or denied with an
 * auth-log line per call, fatigue is counted and a fraud report handled (R7, R10–R14, R23).
 * A payload of another shape fails the task (the state machine retries, then gives up).
 */
export const handler = lambdaHandler(async (event: unknown): Promise<void> => {
  await recorder.record(voiceStepSchema.parse(event));
});
