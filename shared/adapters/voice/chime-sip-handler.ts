import * as z from '../../zod';
import type { Log } from '../../ports';
import type { CallOutcome } from '../../voice/outcomes';
import type { TaskCallbacks } from '../../ports';
import {
  VOICE_DIGIT_GAP_SECONDS,
  VOICE_GOODBYE,
  VOICE_INBOUND,
  VOICE_INVALID_KEY,
  VOICE_NO_INPUT_TIMEOUT_SECONDS,
  VOICE_TASK_ENDED,
} from '../../voice/rules';
import { CALL_ATTRIBUTE, callAttributesFrom, taskTokenFrom } from './chime-call-arguments';

/**
 * The SIP media application's logic (Chime SDK PSTN audio), pure: one call event in, the
 * actions to run and, when the call's outcome is decided, the outcome to report with
 * SendTaskSuccess. The call's own state (task token, prompt, answered, settled) lives in its
 * TransactionAttributes, so the Lambda keeps nothing between invocations.
 *
 * The life of a call: NEW_OUTBOUND_CALL brings the ArgumentsMap, which we keep as attributes;
 * RINGING needs nothing; CALL_ANSWERED speaks the prompt and collects digits; the digits, the
 * silence (voicemail, R12) or the hang-up (R11, or a SIP failure code before any answer, R12)
 * decide one outcome, reported once; the HANGUP of a call we ended ourselves reports nothing.
 */

const stringMap = z.record(z.string(), z.string());

const participantSchema = z.looseObject({
  CallId: z.string(),
  ParticipantTag: z.optional(z.string()),
  Status: z.optional(z.string()),
});

/** The fields of an SMA invocation event this handler reads; Chime sends more. */
export const smaEventSchema = z.looseObject({
  SchemaVersion: z.string(),
  Sequence: z.optional(z.number()),
  InvocationEventType: z.string(),
  ActionData: z.optional(
    z.looseObject({
      Type: z.optional(z.string()),
      Parameters: z.optional(
        z.looseObject({
          CallId: z.optional(z.string()),
          Arguments: z.optional(stringMap),
          SipResponseCode: z.optional(z.union([z.number(), z.string()])),
        }),
      ),
      ReceivedDigits: z.optional(z.string()),
      ErrorType: z.optional(z.string()),
      ErrorMessage: z.optional(z.string()),
    }),
  ),
  CallDetails: z.optional(
    z.looseObject({
      TransactionId: z.optional(z.string()),
      TransactionAttributes: z.optional(stringMap),
      Participants: z.optional(z.array(participantSchema)),
    }),
  ),
});
export type SmaEvent = z.infer<typeof smaEventSchema>;

const SPEECH = { Engine: 'neural', LanguageCode: 'en-US', TextType: 'text', VoiceId: 'Joanna' } as const;

type Speech = typeof SPEECH & { readonly Text: string };

export type SmaAction =
  | {
      readonly Type: 'SpeakAndGetDigits';
      readonly Parameters: {
        readonly CallId: string;
        readonly InputDigitsRegex: string;
        readonly SpeechParameters: Speech;
        readonly FailureSpeechParameters: Speech;
        readonly MinNumberOfDigits: number;
        readonly MaxNumberOfDigits: number;
        readonly TerminatorDigits: readonly string[];
        readonly InBetweenDigitsDurationInMilliseconds: number;
        readonly Repeat: number;
        readonly RepeatDurationInMilliseconds: number;
      };
    }
  | { readonly Type: 'Speak'; readonly Parameters: Speech & { readonly CallId: string } }
  | { readonly Type: 'Hangup'; readonly Parameters: { readonly CallId: string; readonly SipResponseCode: '0' } };

export interface SmaResponse {
  readonly SchemaVersion: '1.0';
  readonly Actions: readonly SmaAction[];
  /** Present when the call's attributes change: always the whole set. */
  readonly TransactionAttributes?: Readonly<Record<string, string>>;
}

export interface SmaStep {
  readonly response: SmaResponse;
  /** The call's outcome, to send with SendTaskSuccess. Present once per call at most. */
  readonly report?: { readonly taskToken: string; readonly outcome: CallOutcome };
}

/**
 * The input that ends digit collection successfully: "#" (approve, R10) or "0#" (fraud, R14).
 * AWS's own examples match the regex against the input with its terminator; either way the
 * regex requires the "#", so a success event proves "#" was pressed and silence never
 * succeeds. Should Chime match without the terminator, every input fails and the call rolls
 * over as voicemail: a broken approval, never a false one.
 */
export const INPUT_DIGITS_REGEX = '^0?#$';

/** The prompt and the wait for a key (R10, R12). */
export function speakAndGetDigits(callId: string, prompt: string): SmaAction {
  return {
    Type: 'SpeakAndGetDigits',
    Parameters: {
      CallId: callId,
      InputDigitsRegex: INPUT_DIGITS_REGEX,
      SpeechParameters: { ...SPEECH, Text: prompt },
      FailureSpeechParameters: { ...SPEECH, Text: VOICE_INVALID_KEY },
      MinNumberOfDigits: 0,
      MaxNumberOfDigits: 2,
      TerminatorDigits: ['#'],
      InBetweenDigitsDurationInMilliseconds: VOICE_DIGIT_GAP_SECONDS * 1000,
      // One attempt only: replaying the prompt would push the voicemail verdict past R12's 10 s.
      Repeat: 1,
      RepeatDurationInMilliseconds: VOICE_NO_INPUT_TIMEOUT_SECONDS * 1000,
    },
  };
}

const speak = (callId: string, text: string): SmaAction => ({ Type: 'Speak', Parameters: { ...SPEECH, Text: text, CallId: callId } });
const hangup = (callId: string): SmaAction => ({ Type: 'Hangup', Parameters: { CallId: callId, SipResponseCode: '0' } });

/**
 * The digits of a successful SpeakAndGetDigits, with or without the terminator Chime may
 * report: "#" approves, "0#" reports fraud. Anything else cannot have passed INPUT_DIGITS_REGEX.
 */
export function outcomeOfDigits(received: string): 'approved' | 'fraud' | undefined {
  const digits = received.endsWith('#') ? received.slice(0, -1) : received;
  if (digits === '') return 'approved';
  if (digits === '0') return 'fraud';
  return undefined;
}

/**
 * Why a call that was never answered ended, from the HANGUP's SIP response code (R12). 404 is
 * "no such number" (invalid_number, like 484 and 604); 410 "Gone" is a number that was in
 * service and is not any more (disconnected). 603 is the callee declining the ringing call: not
 * an answer, so not R11's deliberate denial, but a busy line. Codes outside the table are
 * recorded as call_failed. All of them roll over.
 */
export function outcomeOfUnansweredHangup(sipResponseCode: number): CallOutcome {
  switch (sipResponseCode) {
    case 486:
    case 600:
    case 603:
      return 'busy';
    case 404:
    case 484:
    case 604:
      return 'invalid_number';
    case 410:
      return 'disconnected';
    case 0:
    case 408:
    case 480:
    case 487:
      return 'no_answer';
    default:
      return 'call_failed';
  }
}

/** SpeakAndGetDigits failures that are ours or Chime's, not the callee's silence. */
const SYSTEM_ERRORS = new Set(['AccessDenied', 'InvalidActionParameter', 'MissingRequiredActionParameter', 'SystemException']);

export function handleSmaEvent(event: SmaEvent): SmaStep {
  const attributes: Record<string, string> = { ...event.CallDetails?.TransactionAttributes };
  const callId = callIdOf(event);
  const settledAlready = attributes[CALL_ATTRIBUTE.settled] !== undefined;
  const nothing: SmaStep = { response: { SchemaVersion: '1.0', Actions: [] } };

  const respond = (actions: SmaAction[], changed?: Record<string, string>): SmaStep => ({
    response: { SchemaVersion: '1.0', Actions: actions, ...(changed && { TransactionAttributes: { ...attributes, ...changed } }) },
  });

  /** Decides the call's outcome once; later events only get their actions. */
  const settle = (outcome: CallOutcome, actions: SmaAction[]): SmaStep => {
    if (settledAlready) return respond(actions);
    const taskToken = taskTokenFrom(attributes);
    const step = respond(actions, { [CALL_ATTRIBUTE.settled]: outcome });
    return taskToken ? { ...step, report: { taskToken, outcome } } : step;
  };

  const action = event.ActionData;
  switch (event.InvocationEventType) {
    case 'NEW_OUTBOUND_CALL':
      return respond([], callAttributesFrom(action?.Parameters?.Arguments ?? {}));

    case 'NEW_INBOUND_CALL':
      // Someone dialled a caller ID back: no challenge is waiting on this call, so say so and end it.
      return respond([speak(callId, VOICE_INBOUND), hangup(callId)]);

    case 'CALL_ANSWERED': {
      if (settledAlready) return respond([hangup(callId)]);
      const prompt = attributes[CALL_ATTRIBUTE.prompt];
      if (!prompt) return settle('call_failed', [hangup(callId)]);
      return respond([speakAndGetDigits(callId, prompt)], { [CALL_ATTRIBUTE.answered]: 'true' });
    }

    case 'ACTION_SUCCESSFUL': {
      if (action?.Type !== 'SpeakAndGetDigits') return nothing;
      const outcome = outcomeOfDigits(action.ReceivedDigits ?? '') ?? 'call_failed';
      return settle(outcome, [speak(callId, VOICE_GOODBYE), hangup(callId)]);
    }

    case 'ACTION_FAILED': {
      if (action?.Type === 'SpeakAndGetDigits') {
        // R12: no valid key within the wait after the prompt. Chime cannot tell voicemail apart.
        const outcome = SYSTEM_ERRORS.has(action.ErrorType ?? '') ? 'call_failed' : 'voicemail';
        return settle(outcome, [hangup(callId)]);
      }
      return settle('call_failed', [hangup(callId)]);
    }

    case 'DIGITS_RECEIVED': {
      // Only a ReceiveDigits action sends this, and its digits include the "#".
      const digits = action?.ReceivedDigits ?? '';
      if (digits !== '#' && digits !== '0#') return nothing;
      return settle(outcomeOfDigits(digits) ?? 'call_failed', [speak(callId, VOICE_GOODBYE), hangup(callId)]);
    }

    case 'HANGUP': {
      if (settledAlready) return nothing;
      // R11: answered, then hung up before "#": a deliberate denial.
      if (attributes[CALL_ATTRIBUTE.answered] === 'true') return settle('denied', []);
      return settle(outcomeOfUnansweredHangup(Number(action?.Parameters?.SipResponseCode ?? Number.NaN)), []);
    }

    case 'CALL_UPDATE_REQUESTED': {
      // The rollover moved on (its task timed out): end the call; the task hears nothing more.
      if (action?.Parameters?.Arguments?.Action !== 'Hangup') return nothing;
      return respond([hangup(callId)], { [CALL_ATTRIBUTE.settled]: 'cancelled' });
    }

    case 'INVALID_LAMBDA_RESPONSE':
      return settle('call_failed', [hangup(callId)]);

    default:
      // RINGING, ACTION_INTERRUPTED and anything new: nothing to do.
      return nothing;
  }
}

/**
 * The answer to an event of a call that outlived its task (the rollover timed it out or is
 * over): whatever the callee pressed changed nothing, so say that instead of the prompt or the
 * goodbye, and hang up. The call is marked settled, so its hang-up reports nothing.
 */
export function taskEndedResponse(event: SmaEvent): SmaResponse {
  const step = handleSmaEvent(event);
  const callId = callIdOf(event);
  const attributes = { ...event.CallDetails?.TransactionAttributes, ...step.response.TransactionAttributes };
  return {
    SchemaVersion: '1.0',
    Actions: [speak(callId, VOICE_TASK_ENDED), hangup(callId)],
    TransactionAttributes: { ...attributes, [CALL_ATTRIBUTE.settled]: attributes[CALL_ATTRIBUTE.settled] ?? 'task_ended' },
  };
}

/**
 * The SIP media application Lambda's body: parses the event, runs `handleSmaEvent`, reports a
 * decided outcome with SendTaskSuccess, and always answers Chime with an action list (it must
 * answer within 5 s). A call that outlives its task is hung up: when answered, the handler asks
 * Step Functions whether the task still waits (SendTaskHeartbeat) and, if not, never plays the
 * prompt; a "#" or "0#" whose report finds the task gone is told that nothing was approved. An
 * outcome that cannot be delivered leaves the call task to time out, which rolls over. Logs the
 * transaction and outcome, never the token or a number.
 */
export function smaEventHandler(deps: { readonly callbacks: TaskCallbacks; readonly log: Log }) {
  return async (raw: unknown): Promise<SmaResponse> => {
    const parsed = smaEventSchema.safeParse(raw);
    if (!parsed.success) {
      deps.log.warn('unreadable SIP media application event', { issues: parsed.error.issues.length });
      return { SchemaVersion: '1.0', Actions: [] };
    }
    const event = parsed.data;
    const context = { transactionId: event.CallDetails?.TransactionId, eventType: event.InvocationEventType };
    const attributes = event.CallDetails?.TransactionAttributes ?? {};
    const waitingToken = attributes[CALL_ATTRIBUTE.settled] === undefined ? taskTokenFrom(attributes) : undefined;
    if (event.InvocationEventType === 'CALL_ANSWERED' && waitingToken) {
      try {
        const alive = await deps.callbacks.sendTaskHeartbeat(waitingToken);
        if (alive.kind === 'expired') {
          deps.log.info('call answered after its task ended: hung up', context);
          return taskEndedResponse(event);
        }
      } catch (error) {
        // Cannot tell: play the prompt. A late "#" still approves nothing (its report is refused).
        deps.log.warn('call task not checked', { ...context, error: error instanceof Error ? error.name : 'unknown' });
      }
    }
    const step = handleSmaEvent(event);
    if (step.report) {
      const reported = { ...context, outcome: step.report.outcome };
      try {
        const delivery = await deps.callbacks.sendTaskSuccess(step.report.taskToken, { outcome: step.report.outcome });
        deps.log.info('call outcome reported', { ...reported, delivery: delivery.kind });
        // A key pressed for a task that no longer waits: the callee must not believe it counted.
        if (delivery.kind === 'expired' && step.response.Actions.some((a) => a.Type === 'Speak')) return taskEndedResponse(event);
      } catch (error) {
        deps.log.error('call outcome not reported', { ...reported, error: error instanceof Error ? error.name : 'unknown' });
      }
    }
    return step.response;
  };
}

/** The call leg the actions address: the event's own, else the outbound leg's. */
function callIdOf(event: SmaEvent): string {
  const participants = event.CallDetails?.Participants ?? [];
  return (
    event.ActionData?.Parameters?.CallId ??
    participants.find((p) => p.ParticipantTag === 'LEG-A')?.CallId ??
    participants[0]?.CallId ??
    ''
  );
}
