import { ATTEMPT_OUTCOMES, decide, type AttemptOutcome } from './outcomes';
import type { JsonValue } from '../ports';
import { VOICE_CALL_TIMEOUT_SECONDS, VOICE_EXECUTION_TIMEOUT_SECONDS, VOICE_FINISH_TIMEOUT_SECONDS } from './rules';
import { CALL_ERROR_OUTCOMES } from './step';

/**
 * The voice rollover state machine (R10–R14), written once as Amazon States Language (JSONPath):
 * CDK deploys it as a Standard workflow, the local runtime runs it with aws-local-stepfunctions.
 * Nothing in it knows where it runs; only the names of the two functions it calls differ.
 *
 * A Standard workflow is billed per state entered, so the machine has as few states as the
 * rollover needs: one Choice to start (is there a number at all?), then per attempt the
 * `.waitForTaskToken` call task, the Decide Choice (generated from `decide`), and one task that
 * either moves on to the next number or records the result. What used to be Pass states (the
 * outcome of a timed-out or failed call, the attempt record, the verdict, the summary) is done
 * by that step task (step.ts), which the recorder runs anyway. The loop walks the input's
 * numbers with a Choice (a Map cannot stop early): the state's `numbers` are the ones not called
 * yet, so the next one is always `$.numbers[0]` and the start needs no cursor. A timeout, a
 * failed placement or a number skipped for its hourly cap (R6) is caught into the state and
 * rolls over like any unanswered call, so every number is tried at most once and the loop
 * always reaches the finish step.
 */

export type JsonObject = { [key: string]: JsonValue };

export interface AslDefinition {
  readonly Comment: string;
  readonly StartAt: string;
  readonly TimeoutSeconds: number;
  readonly States: { readonly [name: string]: JsonObject };
}

/**
 * The functions the machine calls: Lambda ARNs (or `${…}` placeholders for CDK's definition
 * substitutions) on AWS, names of local handlers in the local runtime.
 */
export interface VoiceRolloverResources {
  /** Starts one call; gets the task token in its payload (a PlaceCallPayload). */
  readonly placeCallResource: string;
  /**
   * The step function (a RolloverStep payload, step.ts): records each attempt as it ends (best
   * effort, so the challenge's status shows progress), then returns the state for the next
   * number, or records the result with every attempt and returns the summary.
   */
  readonly finishResource: string;
}

/** State names, for overrides in tests and the local runner, and for reading execution history. */
export const VOICE_STATES = {
  haveNumber: 'HaveNumber',
  placeCall: 'PlaceCall',
  decide: 'Decide',
  nextNumber: 'NextNumber',
  finish: 'Finish',
} as const;

/** The optimised Lambda integrations: plain invoke, and invoke then wait for a task token. */
export const LAMBDA_INVOKE = 'arn:aws:states:::lambda:invoke';
export const LAMBDA_INVOKE_WAIT_FOR_TASK_TOKEN = 'arn:aws:states:::lambda:invoke.waitForTaskToken';

/** Errors of the Lambda service itself (not of the function): safe to retry, the function did not run. */
const LAMBDA_SERVICE_ERRORS = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
];

const S = VOICE_STATES;

/**
 * Retries of a failed finish step: after 2, 4, … 256 s, about 8.5 minutes in all, which with
 * the calls themselves stays within VOICE_EXECUTION_TIMEOUT_SECONDS.
 */
export const FINISH_RETRIES = 8;

/** The call task's errors that become attempt outcomes; States.TaskFailed matches any other task error. */
const CAUGHT_ERRORS = [...Object.keys(CALL_ERROR_OUTCOMES), 'States.TaskFailed'];

/**
 * One Choice rule per outcome that stops the rollover, derived from `decide`, each guarded by
 * IsPresent: a call task that failed leaves an error in `$.call`, not an outcome, and comparing
 * a missing field is a runtime error in Step Functions.
 */
function stopChoices(next: string): JsonObject[] {
  return ATTEMPT_OUTCOMES.filter((outcome) => decide(outcome).kind !== 'next').map(
    (outcome): JsonObject => ({
      And: [
        { Variable: '$.call.outcome', IsPresent: true },
        { Variable: '$.call.outcome', StringEquals: outcome },
      ],
      Next: next,
    }),
  );
}

/**
 * The position in the input's numbers of the one called now. ASL has no subtraction: with t
 * numbers in all and r still to call, the index t − r is the length of the range [r … t],
 * minus one.
 */
const HEAD_INDEX =
  'States.MathAdd(States.ArrayLength(States.ArrayRange(States.ArrayLength($.numbers), States.ArrayLength($$.Execution.Input.numbers), 1)), -1)';

/** A task of the step function: `next` or `finish` (step.ts), given the whole state. */
function stepTask(resource: string, step: 'next' | 'finish', retry: JsonObject[]): JsonObject {
  return {
    Type: 'Task',
    Resource: LAMBDA_INVOKE,
    Parameters: { FunctionName: resource, Payload: { step, 'rollover.$': '$' } },
    TimeoutSeconds: VOICE_FINISH_TIMEOUT_SECONDS,
    Retry: retry,
    // The function's answer is the next state (or the summary), not the invocation's envelope.
    OutputPath: '$.Payload',
  };
}

/** The ASL definition, as a plain object: `JSON.stringify` it for CDK's `DefinitionBody.fromString`. */
export function voiceRolloverDefinition(resources: VoiceRolloverResources): AslDefinition {
  for (const [name, value] of Object.entries(resources)) {
    if (!value) throw new Error(`voiceRolloverDefinition: ${name} is empty`);
  }
  // Decide sends every caught error to the rollover; that is only right while decide() rolls them over.
  for (const outcome of [...Object.values(CALL_ERROR_OUTCOMES), 'call_failed'] as AttemptOutcome[]) {
    if (decide(outcome).kind !== 'next') throw new Error(`voiceRolloverDefinition: a caught call error (${outcome}) must roll over`);
  }
  return {
    Comment: 'Tessera voice factor: call the user\'s numbers in order until one answers (R10–R14).',
    StartAt: S.haveNumber,
    TimeoutSeconds: VOICE_EXECUTION_TIMEOUT_SECONDS,
    States: {
      // R13: no number at all is unreachable without a call.
      [S.haveNumber]: {
        Type: 'Choice',
        Choices: [{ Variable: '$.numbers[0]', IsPresent: true, Next: S.placeCall }],
        Default: S.finish,
      },
      [S.placeCall]: {
        Type: 'Task',
        Resource: LAMBDA_INVOKE_WAIT_FOR_TASK_TOKEN,
        Parameters: {
          FunctionName: resources.placeCallResource,
          Payload: {
            'taskToken.$': '$$.Task.Token',
            'challengeId.$': '$.challengeId',
            'tenantId.$': '$.tenantId',
            'attempt.$': HEAD_INDEX,
            'to.$': '$.numbers[0]',
            'callerId.$': '$.callerId',
            'appName.$': '$.appName',
          },
        },
        TimeoutSeconds: VOICE_CALL_TIMEOUT_SECONDS,
        ResultSelector: { 'outcome.$': '$.outcome' },
        ResultPath: '$.call',
        Retry: [{ ErrorEquals: LAMBDA_SERVICE_ERRORS, IntervalSeconds: 1, MaxAttempts: 2, BackoffRate: 2 }],
        // R12: a timeout, a number over its cap (R6) or a failed placement is an attempt outcome;
        // the step task names it from the error (CALL_ERROR_OUTCOMES).
        Catch: [{ ErrorEquals: CAUGHT_ERRORS, ResultPath: '$.call', Next: S.decide }],
        Next: S.decide,
      },
      // R10/R11/R14 stop the rollover; anything else tries the next number while there is one (R12/R13).
      [S.decide]: {
        Type: 'Choice',
        Choices: [...stopChoices(S.finish), { Variable: '$.numbers[1]', IsPresent: true, Next: S.nextNumber }],
        Default: S.finish,
      },
      [S.nextNumber]: {
        ...stepTask(resources.finishResource, 'next', [
          { ErrorEquals: LAMBDA_SERVICE_ERRORS, IntervalSeconds: 1, MaxAttempts: 2, BackoffRate: 2 },
          { ErrorEquals: ['States.TaskFailed', 'States.Timeout'], IntervalSeconds: 1, MaxAttempts: 2, BackoffRate: 2 },
        ]),
        // Moving on failed for good: finish with the state as it was (the last call's rollover
        // outcome), which records every attempt and denies as unreachable (R13), rather than
        // failing the execution and leaving the challenge without its result or log lines (R23).
        Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: null, Next: S.finish }],
        Next: S.placeCall,
      },
      [S.finish]: {
        // R14/R7: the step is idempotent and finishes what an earlier run left owed (a fraud
        // report's notifications and block), so a failure is retried for minutes, not seconds.
        ...stepTask(resources.finishResource, 'finish', [
          { ErrorEquals: LAMBDA_SERVICE_ERRORS, IntervalSeconds: 1, MaxAttempts: 3, BackoffRate: 2 },
          { ErrorEquals: ['States.TaskFailed'], IntervalSeconds: 2, MaxAttempts: FINISH_RETRIES, BackoffRate: 2 },
        ]),
        End: true,
      },
    },
  };
}
