import * as z from 'zod';
import { ATTEMPT_OUTCOMES, CALL_OUTCOMES } from './outcomes';
import { VOICE_APP_NAME_MAX_LENGTH, VOICE_MAX_NUMBERS } from './rules';

/**
 * The shapes that cross the state machine's edges: its input, the place-call payload, the
 * report a call sends back, and the summary the finish step records. Every handler parses with
 * these, so a hand-edited execution or a stray callback cannot smuggle in another shape.
 */

const e164 = z.string().regex(/^\+[1-9]\d{6,14}$/, 'must be E.164');
const id = z.string().min(1).max(128);

/** Step Functions task tokens are at most 2,048 characters. */
export const taskTokenSchema = z.string().min(1).max(2048);

/** Input of one rollover execution: the user's numbers in the order to try them (R13). */
export const voiceRolloverInputSchema = z.strictObject({
  challengeId: id,
  tenantId: id,
  numbers: z.array(e164).max(VOICE_MAX_NUMBERS),
  /** R15: the tenant's caller ID. */
  callerId: e164,
  appName: z.string().max(VOICE_APP_NAME_MAX_LENGTH),
});
export type VoiceRolloverInput = z.infer<typeof voiceRolloverInputSchema>;

/** What the call task hands the place-call function (Payload of the `.waitForTaskToken` task). */
export const placeCallPayloadSchema = z.strictObject({
  taskToken: taskTokenSchema,
  challengeId: id,
  tenantId: id,
  /** Position of `to` in the input's numbers: 0 is the primary. */
  attempt: z.number().int().min(0),
  to: e164,
  callerId: e164,
  appName: z.string().max(VOICE_APP_NAME_MAX_LENGTH),
});
export type PlaceCallPayload = z.infer<typeof placeCallPayloadSchema>;

/** The output a call sends with SendTaskSuccess. */
export const callReportSchema = z.strictObject({ outcome: z.enum(CALL_OUTCOMES) });
export type CallReport = z.infer<typeof callReportSchema>;

export const attemptSchema = z.strictObject({
  /** Position of the number in the input's numbers. */
  index: z.number().int().min(0),
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

/** What the finish function receives: one attempt's progress, or the whole summary at the end. */
export const voiceStepSchema = z.union([voiceProgressSchema, voiceRolloverSummarySchema]);
export type VoiceStep = z.infer<typeof voiceStepSchema>;

export function isVoiceSummary(step: VoiceStep): step is VoiceRolloverSummary {
  return 'result' in step;
}
