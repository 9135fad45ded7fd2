import { ATTEMPT_OUTCOMES, decide, type Decision } from './outcomes';
import type { JsonValue } from '../ports';
import { NUMBER_OVER_CAP_ERROR } from './place-call';
import { VOICE_CALL_TIMEOUT_SECONDS, VOICE_EXECUTION_TIMEOUT_SECONDS, VOICE_FINISH_TIMEOUT_SECONDS } from './rules';

/**
 * The voice rollover state machine (R10–R14), written once as Amazon States Language (JSONPath):
 * CDK deploys it as a Standard workflow, the local runtime runs it with aws-local-stepfunctions.
 * Nothing in it knows where it runs; only the names of the two functions it calls differ.
 *
 * It walks the input's numbers with an index and a Choice (a Map cannot stop early). Each
 * attempt is one `.waitForTaskToken` call task: the place-call function starts the call and
 * returns, and the call's outcome comes back later with SendTaskSuccess. A timeout, a failed
 * placement or a number skipped for its hourly cap (R6) becomes an attempt outcome like any other, so every number is tried at most once
 * and the loop always reaches the finish step. Every attempt is kept in the state; ASL has no
 * array append, so they accumulate as comma-separated JSON text that the summary turns back
 * into an array.
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
   * Records each attempt as it ends (a VoiceProgress, best effort, so the challenge's status
   * shows progress) and then the result with every attempt (a VoiceRolloverSummary).
   */
  readonly finishResource: string;
}

/** State names, for overrides in tests and the local runner, and for reading execution history. */
export const VOICE_STATES = {
  start: 'Start',
  haveNumber: 'HaveNumber',
  placeCall: 'PlaceCall',
  callTimedOut: 'CallTimedOut',
  callFailed: 'CallFailed',
  callSkipped: 'CallSkipped',
  recordAttempt: 'RecordAttempt',
  appendAttempt: 'AppendAttempt',
  saveAttempt: 'SaveAttempt',
  decide: 'Decide',
  nextNumber: 'NextNumber',
  approve: 'Approve',
  denied: 'Denied',
  fraudReported: 'FraudReported',
  unreachable: 'Unreachable',
  summarise: 'Summarise',
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

function decisionState(decision: Exclude<Decision, { kind: 'next' }>): string {
  if (decision.kind === 'approve') return S.approve;
  return decision.reason === 'denied' ? S.denied : S.fraudReported;
}

/** One Choice rule per outcome that stops the rollover, derived from `decide`; the rest roll over. */
function decideChoices(): JsonObject[] {
  return ATTEMPT_OUTCOMES.flatMap((outcome) => {
    const decision = decide(outcome);
    if (decision.kind === 'next') return [];
    return [{ Variable: '$.attempt.outcome', StringEquals: outcome, Next: decisionState(decision) }];
  });
}

function verdict(result: JsonObject): JsonObject {
  return { Type: 'Pass', Result: result, ResultPath: '$.result', Next: S.summarise };
}

/** The ASL definition, as a plain object: `JSON.stringify` it for CDK's `DefinitionBody.fromString`. */
export function voiceRolloverDefinition(resources: VoiceRolloverResources): AslDefinition {
  for (const [name, value] of Object.entries(resources)) {
    if (!value) throw new Error(`voiceRolloverDefinition: ${name} is empty`);
  }
  const numberAtIndex = 'States.ArrayGetItem($.numbers, $.cursor.index)';
  return {
    Comment: 'Tessera voice factor: call the user\'s numbers in order until one answers (R10–R14).',
    StartAt: S.start,
    TimeoutSeconds: VOICE_EXECUTION_TIMEOUT_SECONDS,
    States: {
      [S.start]: {
        Type: 'Pass',
        Parameters: {
          'challengeId.$': '$.challengeId',
          'tenantId.$': '$.tenantId',
          'numbers.$': '$.numbers',
          'callerId.$': '$.callerId',
          'appName.$': '$.appName',
          'count.$': 'States.ArrayLength($.numbers)',
          cursor: { index: 0 },
          attempts: { json: '', sep: '' },
        },
        Next: S.haveNumber,
      },
      [S.haveNumber]: {
        Type: 'Choice',
        Choices: [{ Variable: '$.cursor.index', NumericLessThanPath: '$.count', Next: S.placeCall }],
        Default: S.unreachable,
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
            'attempt.$': '$.cursor.index',
            'to.$': numberAtIndex,
            'callerId.$': '$.callerId',
            'appName.$': '$.appName',
          },
        },
        TimeoutSeconds: VOICE_CALL_TIMEOUT_SECONDS,
        ResultSelector: { 'outcome.$': '$.outcome' },
        ResultPath: '$.call',
        Retry: [{ ErrorEquals: LAMBDA_SERVICE_ERRORS, IntervalSeconds: 1, MaxAttempts: 2, BackoffRate: 2 }],
        Catch: [
          { ErrorEquals: ['States.Timeout'], ResultPath: '$.call', Next: S.callTimedOut },
          // R6: the number is over its hourly cap, so nothing was dialled. Before TaskFailed, which matches every error.
          { ErrorEquals: [NUMBER_OVER_CAP_ERROR], ResultPath: '$.call', Next: S.callSkipped },
          { ErrorEquals: ['States.TaskFailed'], ResultPath: '$.call', Next: S.callFailed },
        ],
        Next: S.recordAttempt,
      },
      [S.callTimedOut]: { Type: 'Pass', Result: { outcome: 'timeout' }, ResultPath: '$.call', Next: S.recordAttempt },
      [S.callFailed]: { Type: 'Pass', Result: { outcome: 'call_failed' }, ResultPath: '$.call', Next: S.recordAttempt },
      [S.callSkipped]: { Type: 'Pass', Result: { outcome: 'over_cap' }, ResultPath: '$.call', Next: S.recordAttempt },
      [S.recordAttempt]: {
        Type: 'Pass',
        Parameters: {
          'index.$': '$.cursor.index',
          'number.$': numberAtIndex,
          'outcome.$': '$.call.outcome',
          'at.$': '$$.State.EnteredTime',
        },
        ResultPath: '$.attempt',
        Next: S.appendAttempt,
      },
      [S.appendAttempt]: {
        Type: 'Pass',
        Parameters: {
          'json.$': "States.Format('{}{}{}', $.attempts.json, $.attempts.sep, States.JsonToString($.attempt))",
          sep: ',',
        },
        ResultPath: '$.attempts',
        Next: S.saveAttempt,
      },
      [S.saveAttempt]: {
        Type: 'Task',
        Resource: LAMBDA_INVOKE,
        Parameters: {
          FunctionName: resources.finishResource,
          Payload: { 'challengeId.$': '$.challengeId', 'tenantId.$': '$.tenantId', 'attempt.$': '$.attempt' },
        },
        TimeoutSeconds: VOICE_FINISH_TIMEOUT_SECONDS,
        Retry: [{ ErrorEquals: LAMBDA_SERVICE_ERRORS, IntervalSeconds: 1, MaxAttempts: 2, BackoffRate: 2 }],
        // Progress is for the status answer only: the finish step records every attempt again,
        // so a failure here must never stop the rollover.
        Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.saveError', Next: S.decide }],
        ResultPath: null,
        Next: S.decide,
      },
      [S.decide]: { Type: 'Choice', Choices: decideChoices(), Default: S.nextNumber },
      [S.nextNumber]: {
        Type: 'Pass',
        Parameters: { 'index.$': 'States.MathAdd($.cursor.index, 1)' },
        ResultPath: '$.cursor',
        Next: S.haveNumber,
      },
      [S.approve]: verdict({ kind: 'approve' }),
      [S.denied]: verdict({ kind: 'deny', reason: 'denied' }),
      [S.fraudReported]: verdict({ kind: 'deny', reason: 'fraud_reported' }),
      [S.unreachable]: verdict({ kind: 'deny', reason: 'unreachable' }),
      [S.summarise]: {
        Type: 'Pass',
        Parameters: {
          'challengeId.$': '$.challengeId',
          'tenantId.$': '$.tenantId',
          'result.$': '$.result',
          'attempts.$': "States.StringToJson(States.Format('[{}]', $.attempts.json))",
        },
        Next: S.finish,
      },
      [S.finish]: {
        Type: 'Task',
        Resource: LAMBDA_INVOKE,
        Parameters: { FunctionName: resources.finishResource, 'Payload.$': '$' },
        TimeoutSeconds: VOICE_FINISH_TIMEOUT_SECONDS,
        // R14/R7: the step is idempotent and finishes what an earlier run left owed (a fraud
        // report's notifications and block), so a failure is retried for minutes, not seconds.
        Retry: [
          { ErrorEquals: LAMBDA_SERVICE_ERRORS, IntervalSeconds: 1, MaxAttempts: 3, BackoffRate: 2 },
          { ErrorEquals: ['States.TaskFailed'], IntervalSeconds: 2, MaxAttempts: FINISH_RETRIES, BackoffRate: 2 },
        ],
        // The execution's output is the summary itself, not the function's answer.
        ResultPath: null,
        End: true,
      },
    },
  };
}
