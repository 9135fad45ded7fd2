import * as z from '../zod';
import { ATTEMPT_OUTCOMES, CALL_OUTCOMES } from './outcomes';
import { VOICE_APP_NAME_MAX_LENGTH, VOICE_MAX_NUMBERS } from './rules';

/**
 * The shapes that cross the state machine's edges: its input, the place-call payload, the
 * report a call sends back, and the summary the finish step records. Every handler parses with
 * these, so a hand-edited execution or a stray callback cannot smuggle in another shape.
 */

const e164 = z.string().check(z.regex(/^\+[1-9]\d{6,14}$/, 'must be E.164'));
const id = z.string().check(z.minLength(1), z.maxLength(128));

/** Step Functions task tokens are at most 2,048 characters. */
export const taskTokenSchema = z.string().check(z.minLength(1), z.maxLength(2048));

/** Input of one rollover execution: the user's numbers in the order to try them (R13). */
export const voiceRolloverInputSchema = z.strictObject({
  challengeId: id,
  tenantId: id,
  numbers: z.array(e164).check(z.maxLength(VOICE_MAX_NUMBERS)),
  /** R15: the tenant's caller ID. */
  callerId: e164,
  appName: z.string().check(z.maxLength(VOICE_APP_NAME_MAX_LENGTH)),
});
export type VoiceRolloverInput = z.infer<typeof voiceRolloverInputSchema>;

/** What the call task hands the place-call function (Payload of the `.waitForTaskToken` task). */
export const placeCallPayloadSchema = z.strictObject({
  taskToken: taskTokenSchema,
  challengeId: id,
  tenantId: id,
  /** Position of `to` in the input's numbers: 0 is the primary. */
  attempt: z.number().check(z.int(), z.gte(0)),
  to: e164,
  callerId: e164,
  appName: z.string().check(z.maxLength(VOICE_APP_NAME_MAX_LENGTH)),
});
export type PlaceCallPayload = z.infer<typeof placeCallPayloadSchema>;

/** The output a call sends with SendTaskSuccess. */
export const callReportSchema = z.strictObject({ outcome: z.enum(CALL_OUTCOMES) });
export type CallReport = z.infer<typeof callReportSchema>;

export const attemptSchema = z.strictObject({
  /** Position of the number in the input's numbers. */
  index: z.number().check(z.int(), z.gte(0)),
  /** Full E.164: the finish step masks it before it stores or logs anything (R28). */
  number: e164,
  outcome: z.enum(ATTEMPT_OUTCOMES),
  /** When the attempt ended (ISO 8601, from the state's entered time). */
  at: z.iso.datetime({ offset: true }),
});
export type Attempt = z.infer<typeof attemptSchema>;

export const voiceResultSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('approve') }),
  z.strictObject({ kind: z.literal('deny'), reason: z.enum(['denied', 'fraud_reported', 'unreachable']) }),
]);

/** Payload of the finish step, and the output of the execution. */
export const voiceRolloverSummarySchema = z.strictObject({
  challengeId: id,
  tenantId: id,
  result: voiceResultSchema,
  attempts: z.array(attemptSchema),
});
export type VoiceRolloverSummary = z.infer<typeof voiceRolloverSummarySchema>;

/** Payload of the record step after each attempt, so the challenge's status shows progress. */
export const voiceProgressSchema = z.strictObject({
  challengeId: id,
  tenantId: id,
  attempt: attemptSchema,
});
export type VoiceProgress = z.infer<typeof voiceProgressSchema>;

/**
 * How the call task ended, as the state machine keeps it: the outcome the call reported, or the
 * error the task failed with (what a Catch puts in the state: its name, and a cause when there is one).
 */
export const callResultSchema = z.union([
  callReportSchema,
  z.strictObject({ Error: z.string().check(z.minLength(1), z.maxLength(256)), Cause: z.optional(z.string().check(z.maxLength(32_768))) }),
]);
export type CallResult = z.infer<typeof callResultSchema>;

/**
 * What the rollover carries from state to state: the execution's input, except that `numbers`
 * holds the numbers not called yet (the next one first); the attempts so far; and how the last
 * call ended. The state machine starts from the input alone, so the last two may be absent.
 */
export const rolloverStateSchema = z.strictObject({
  ...voiceRolloverInputSchema.shape,
  attempts: z.optional(z.array(attemptSchema).check(z.maxLength(VOICE_MAX_NUMBERS))),
  call: z.optional(callResultSchema),
});
export type RolloverState = z.infer<typeof rolloverStateSchema>;

/**
 * Payload of the step task after a call (and of the finish when there is no number at all):
 * `next` records the call and moves on to the next number; `finish` records the call and the result.
 */
export const rolloverStepSchema = z.strictObject({
  step: z.enum(['next', 'finish']),
  rollover: rolloverStateSchema,
});
export type RolloverStep = z.infer<typeof rolloverStepSchema>;

/** What the recorder receives: one attempt's progress, or the whole summary at the end. */
export type VoiceStep = VoiceProgress | VoiceRolloverSummary;

export function isVoiceSummary(step: VoiceStep): step is VoiceRolloverSummary {
  return 'result' in step;
}
