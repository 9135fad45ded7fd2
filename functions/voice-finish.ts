import { clock, log, voiceRecorder } from '../shared/composition';
import { lambdaHandler } from '../shared/observability';
import { runRolloverStep } from '../shared/voice/step';
import type { RolloverState, VoiceRolloverSummary } from '../shared/voice/schemas';

const recorder = voiceRecorder();
const deps = { record: recorder.record.bind(recorder), clock: clock(), log: log() };

/**
 * The voice rollover's step task (invoked by the state machine after each call): records the
 * call in the challenge's status, then returns the state for the next number, or approves or
 * denies the challenge with an auth-log line per call, counts fatigue and handles a fraud report
 * (R7, R10–R14, R23) and returns the summary. A payload of another shape fails the task (the
 * state machine retries, then gives up).
 */
export const handler = lambdaHandler((event: unknown): Promise<RolloverState | VoiceRolloverSummary> => runRolloverStep(event, deps));
