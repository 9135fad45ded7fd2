import { NUMBER_OVER_CAP_ERROR } from '../../../shared/voice/place-call';
import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { ATTEMPT_OUTCOMES, decide, type Decision } from '../../../shared/voice/outcomes';
import { VOICE_CALL_TIMEOUT_SECONDS, VOICE_EXECUTION_TIMEOUT_SECONDS, VOICE_MAX_NUMBERS } from '../../../shared/voice/rules';
import {
  FINISH_RETRIES,
  LAMBDA_INVOKE,
  LAMBDA_INVOKE_WAIT_FOR_TASK_TOKEN,
  VOICE_STATES,
  voiceRolloverDefinition,
  type AslDefinition,
  type JsonObject,
} from '../../../shared/voice/state-machine';

/** What CDK passes: placeholders that DefinitionBody.fromString + definitionSubstitutions fill in. */
const CDK = { placeCallResource: '${PlaceCallFunctionArn}', finishResource: '${FinishFunctionArn}' };
const definition = voiceRolloverDefinition(CDK);

const states = (def: AslDefinition = definition) => Object.entries(def.States);
const tasks = () => states().filter(([, s]) => s.Type === 'Task');

/** Every state a state can go to next. */
function successors(state: JsonObject): string[] {
  const next: string[] = [];
  if (typeof state.Next === 'string') next.push(state.Next);
  if (typeof state.Default === 'string') next.push(state.Default);
  for (const rule of (state.Choices ?? []) as JsonObject[]) next.push(String(rule.Next));
  for (const catcher of (state.Catch ?? []) as JsonObject[]) next.push(String(catcher.Next));
  return next;
}

function reachable(def: AslDefinition): Set<string> {
  const seen = new Set<string>();
  const queue = [def.StartAt];
  while (queue.length) {
    const name = queue.shift()!;
    if (seen.has(name)) continue;
    seen.add(name);
    const state = def.States[name];
    if (state) queue.push(...successors(state));
  }
  return seen;
}

function catchersOf(state: JsonObject): JsonObject[] {
  return (state.Catch ?? []) as JsonObject[];
}

describe('R13 the rollover definition is one Standard-workflow ASL document', () => {
  it('is plain JSON (what CDK stringifies is what the local runner runs)', () => {
    expect(JSON.parse(JSON.stringify(definition))).toEqual(definition);
  });

  it('uses JSONPath, not JSONata, and no Express-only or unsupported state types', () => {
    const text = JSON.stringify(definition);
    expect(text).not.toMatch(/QueryLanguage|JSONata|\{%/);
    expect(new Set(states().map(([, s]) => s.Type))).toEqual(new Set(['Pass', 'Choice', 'Task']));
  });

  it('passes aws-local-stepfunctions\' ASL validation (paths, ARNs, fields)', () => {
    // A copy: the library writes into the definition it validates.
    expect(() => new StateMachine(JSON.parse(JSON.stringify(definition)) as unknown as StateMachineDefinition)).not.toThrow();
  });

  it('every transition lands on a state, every state is reachable, and one state ends the run', () => {
    const names = new Set(Object.keys(definition.States));
    for (const [, state] of states()) for (const next of successors(state)) expect(names).toContain(next);
    expect(reachable(definition)).toEqual(names);
    expect(states().filter(([, s]) => s.End === true).map(([n]) => n)).toEqual([VOICE_STATES.finish]);
  });

  it('bounds the whole execution', () => {
    expect(definition.TimeoutSeconds).toBeGreaterThan(0);
  });

  it('loops with an index and a Choice, not a Map (a Map cannot stop early)', () => {
    expect(definition.States[VOICE_STATES.haveNumber]).toMatchObject({
      Type: 'Choice',
      Choices: [{ Variable: '$.cursor.index', NumericLessThanPath: '$.count', Next: VOICE_STATES.placeCall }],
      Default: VOICE_STATES.unreachable,
    });
    expect(successors(definition.States[VOICE_STATES.nextNumber]!)).toEqual([VOICE_STATES.haveNumber]);
  });
});

describe('R12 every call is a callback task that cannot hang', () => {
  const waits = () => tasks().filter(([, s]) => s.Resource === LAMBDA_INVOKE_WAIT_FOR_TASK_TOKEN);

  it('has exactly one .waitForTaskToken task, calling the place-call function with the task token', () => {
    expect(waits().map(([n]) => n)).toEqual([VOICE_STATES.placeCall]);
    const [, call] = waits()[0]!;
    expect(call.Parameters).toMatchObject({
      FunctionName: CDK.placeCallResource,
      Payload: {
        'taskToken.$': '$$.Task.Token',
        'to.$': 'States.ArrayGetItem($.numbers, $.cursor.index)',
        'callerId.$': '$.callerId',
        'attempt.$': '$.cursor.index',
      },
    });
  });

  it('every .waitForTaskToken task has a TimeoutSeconds and catches States.Timeout and States.TaskFailed', () => {
    for (const [name, state] of waits()) {
      expect({ name, timeout: state.TimeoutSeconds }).toEqual({ name, timeout: VOICE_CALL_TIMEOUT_SECONDS });
      const caught = catchersOf(state).flatMap((c) => c.ErrorEquals as string[]);
      expect(caught).toEqual(expect.arrayContaining(['States.Timeout', 'States.TaskFailed']));
    }
  });

  it('a timeout, a number over its cap (R6) or a failed placement becomes an attempt outcome and goes on to record it', () => {
    const call = definition.States[VOICE_STATES.placeCall]!;
    const targets = Object.fromEntries(catchersOf(call).map((c) => [(c.ErrorEquals as string[])[0], c.Next]));
    expect(targets).toEqual({
      'States.Timeout': VOICE_STATES.callTimedOut,
      [NUMBER_OVER_CAP_ERROR]: VOICE_STATES.callSkipped,
      'States.TaskFailed': VOICE_STATES.callFailed,
    });
    // States.TaskFailed matches every task error, so the named one must be caught before it.
    expect(Object.keys(targets).at(-1)).toBe('States.TaskFailed');
    expect(definition.States[VOICE_STATES.callSkipped]).toMatchObject({ Result: { outcome: 'over_cap' }, Next: VOICE_STATES.recordAttempt });
    expect(definition.States[VOICE_STATES.callTimedOut]).toMatchObject({ Result: { outcome: 'timeout' }, Next: VOICE_STATES.recordAttempt });
    expect(definition.States[VOICE_STATES.callFailed]).toMatchObject({ Result: { outcome: 'call_failed' }, Next: VOICE_STATES.recordAttempt });
  });

  it('never retries a call that may have been placed: only errors of the Lambda service itself', () => {
    const retried = ((definition.States[VOICE_STATES.placeCall]!.Retry ?? []) as JsonObject[]).flatMap((r) => r.ErrorEquals as string[]);
    expect(retried.every((e) => e.startsWith('Lambda.'))).toBe(true);
  });

  it('R14: a failed finish step is retried for minutes: it is idempotent and completes what an earlier run left owed', () => {
    const retry = (definition.States[VOICE_STATES.finish]!.Retry ?? []) as JsonObject[];
    const onFailure = retry.find((r) => (r.ErrorEquals as string[]).includes('States.TaskFailed'));
    expect(onFailure).toMatchObject({ MaxAttempts: FINISH_RETRIES, BackoffRate: 2 });
    const waited = Array.from({ length: FINISH_RETRIES }, (_, i) => (onFailure!.IntervalSeconds as number) * 2 ** i).reduce((a, b) => a + b, 0);
    expect(waited).toBeGreaterThanOrEqual(5 * 60);
    expect(waited + VOICE_MAX_NUMBERS * VOICE_CALL_TIMEOUT_SECONDS).toBeLessThan(VOICE_EXECUTION_TIMEOUT_SECONDS);
  });

  it('every other task is a plain invoke with its own timeout', () => {
    const others = tasks().filter(([, s]) => s.Resource !== LAMBDA_INVOKE_WAIT_FOR_TASK_TOKEN);
    expect(others.map(([n]) => n)).toEqual([VOICE_STATES.saveAttempt, VOICE_STATES.finish]);
    for (const [, state] of others) {
      expect(state.Resource).toBe(LAMBDA_INVOKE);
      expect(state.TimeoutSeconds).toEqual(expect.any(Number));
    }
  });
});

describe('progress: each call is recorded as it ends', () => {
  const save = definition.States[VOICE_STATES.saveAttempt]!;

  it('sends the attempt just appended to the record step, then decides', () => {
    expect(definition.States[VOICE_STATES.appendAttempt]).toMatchObject({ Next: VOICE_STATES.saveAttempt });
    expect(save).toMatchObject({
      Resource: LAMBDA_INVOKE,
      Parameters: { FunctionName: CDK.finishResource, Payload: { 'attempt.$': '$.attempt' } },
      ResultPath: null,
      Next: VOICE_STATES.decide,
    });
  });

  it('a failed progress record never stops the rollover: every error is caught and leads to Decide', () => {
    expect(save.Catch).toEqual([expect.objectContaining({ ErrorEquals: ['States.ALL'], Next: VOICE_STATES.decide })]);
    expect((save.Catch as JsonObject[])[0]!.ResultPath).not.toBe('$');
  });
});

describe('R10–R14 the Decide state is the rollover policy of decide()', () => {
  const stateFor = (decision: Decision): string => {
    switch (decision.kind) {
      case 'approve':
        return VOICE_STATES.approve;
      case 'next':
        return VOICE_STATES.nextNumber;
      case 'deny':
        return decision.reason === 'denied' ? VOICE_STATES.denied : VOICE_STATES.fraudReported;
    }
  };
  const choice = definition.States[VOICE_STATES.decide]!;

  it.each([...ATTEMPT_OUTCOMES])('%s goes where decide() says', (outcome) => {
    const rules = (choice.Choices as JsonObject[]).filter((r) => r.StringEquals === outcome);
    const goesTo = rules.length ? rules.map((r) => r.Next) : [choice.Default];
    expect(goesTo).toEqual([stateFor(decide(outcome))]);
  });

  it('every verdict records its result and goes to the summary', () => {
    expect(definition.States[VOICE_STATES.approve]).toMatchObject({ Result: { kind: 'approve' }, Next: VOICE_STATES.summarise });
    expect(definition.States[VOICE_STATES.denied]).toMatchObject({ Result: { kind: 'deny', reason: 'denied' } });
    expect(definition.States[VOICE_STATES.fraudReported]).toMatchObject({ Result: { kind: 'deny', reason: 'fraud_reported' } });
    expect(definition.States[VOICE_STATES.unreachable]).toMatchObject({ Result: { kind: 'deny', reason: 'unreachable' } });
  });
});

describe('the definition is parameterised by resources only', () => {
  it('names the given functions and no other', () => {
    const local = voiceRolloverDefinition({ placeCallResource: 'place', finishResource: 'finish' });
    const names = Object.values(local.States)
      .map((s) => (s.Parameters as JsonObject | undefined)?.FunctionName)
      .filter(Boolean);
    expect(names).toEqual(['place', 'finish', 'finish']);
    expect(JSON.stringify(local)).not.toMatch(/arn:aws:lambda|\d{12}/);
  });

  it('differs between AWS and local runs in those names alone', () => {
    const local = JSON.stringify(voiceRolloverDefinition({ placeCallResource: 'place', finishResource: 'finish' }));
    const aws = JSON.stringify(definition).replaceAll(CDK.placeCallResource, 'place').replaceAll(CDK.finishResource, 'finish');
    expect(aws).toBe(local);
  });

  it('refuses an empty resource', () => {
    expect(() => voiceRolloverDefinition({ placeCallResource: '', finishResource: 'finish' })).toThrow(/placeCallResource/);
  });
});
