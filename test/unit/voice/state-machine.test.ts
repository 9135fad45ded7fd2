import { NUMBER_OVER_CAP_ERROR } from '../../../shared/voice/place-call';
import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { ATTEMPT_OUTCOMES, decide } from '../../../shared/voice/outcomes';
import { VOICE_CALL_TIMEOUT_SECONDS, VOICE_EXECUTION_TIMEOUT_SECONDS, VOICE_MAX_NUMBERS } from '../../../shared/voice/rules';
import { CALL_ERROR_OUTCOMES } from '../../../shared/voice/step';
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
    expect(new Set(states().map(([, s]) => s.Type))).toEqual(new Set(['Choice', 'Task']));
  });

  it('has no state that only reshapes data: each state entered is a billed transition', () => {
    expect(states().filter(([, s]) => ['Pass', 'Succeed', 'Wait'].includes(String(s.Type)))).toEqual([]);
    expect(Object.keys(definition.States)).toHaveLength(5);
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

  it('R13: starts by asking whether there is a number at all; with none it goes straight to the finish', () => {
    expect(definition.StartAt).toBe(VOICE_STATES.haveNumber);
    expect(definition.States[VOICE_STATES.haveNumber]).toEqual({
      Type: 'Choice',
      Choices: [{ Variable: '$.numbers[0]', IsPresent: true, Next: VOICE_STATES.placeCall }],
      Default: VOICE_STATES.finish,
    });
  });

  it('loops with a Choice over the numbers not called yet, not a Map (a Map cannot stop early)', () => {
    const choices = definition.States[VOICE_STATES.decide]!.Choices as JsonObject[];
    expect(choices.at(-1)).toEqual({ Variable: '$.numbers[1]', IsPresent: true, Next: VOICE_STATES.nextNumber });
    expect(definition.States[VOICE_STATES.decide]!.Default).toBe(VOICE_STATES.finish);
    expect(successors(definition.States[VOICE_STATES.nextNumber]!)).toEqual([VOICE_STATES.placeCall, VOICE_STATES.finish]);
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
        'to.$': '$.numbers[0]',
        'callerId.$': '$.callerId',
        'attempt.$': expect.stringContaining('$$.Execution.Input.numbers'),
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

  it('a timeout, a number over its cap (R6) or a failed placement is kept in the state and goes on to Decide', () => {
    const call = definition.States[VOICE_STATES.placeCall]!;
    expect(catchersOf(call)).toEqual([
      { ErrorEquals: ['States.Timeout', NUMBER_OVER_CAP_ERROR, 'States.TaskFailed'], ResultPath: '$.call', Next: VOICE_STATES.decide },
    ]);
    // The step task names the outcome of each caught error.
    expect(CALL_ERROR_OUTCOMES).toEqual({ 'States.Timeout': 'timeout', [NUMBER_OVER_CAP_ERROR]: 'over_cap' });
    expect(call).toMatchObject({ ResultSelector: { 'outcome.$': '$.outcome' }, ResultPath: '$.call', Next: VOICE_STATES.decide });
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

  it('every other task is a plain invoke of the step function with its own timeout, whose answer becomes the state', () => {
    const others = tasks().filter(([, s]) => s.Resource !== LAMBDA_INVOKE_WAIT_FOR_TASK_TOKEN);
    expect(others.map(([n]) => n)).toEqual([VOICE_STATES.nextNumber, VOICE_STATES.finish]);
    for (const [, state] of others) {
      expect(state.Resource).toBe(LAMBDA_INVOKE);
      expect(state.TimeoutSeconds).toEqual(expect.any(Number));
      expect(state.OutputPath).toBe('$.Payload');
    }
    expect(definition.States[VOICE_STATES.nextNumber]!.Parameters).toEqual({ FunctionName: CDK.finishResource, Payload: { step: 'next', 'rollover.$': '$' } });
    expect(definition.States[VOICE_STATES.finish]!.Parameters).toEqual({ FunctionName: CDK.finishResource, Payload: { step: 'finish', 'rollover.$': '$' } });
  });

  it('a failed step towards the next number is retried before the rollover gives up', () => {
    const retried = ((definition.States[VOICE_STATES.nextNumber]!.Retry ?? []) as JsonObject[]).flatMap((r) => r.ErrorEquals as string[]);
    expect(retried).toEqual(expect.arrayContaining(['States.TaskFailed', 'States.Timeout', 'Lambda.ServiceException']));
  });
});

describe('R10–R14 the Decide state is the rollover policy of decide()', () => {
  const choice = definition.States[VOICE_STATES.decide]!;
  const rules = choice.Choices as JsonObject[];

  /** Where Decide sends an attempt that ended with `outcome`, with or without a number left to call. */
  function goesTo(outcome: string, numberLeft: boolean): string {
    for (const rule of rules) {
      const tests = (rule.And ?? [rule]) as JsonObject[];
      const holds = tests.every((t) => {
        if (t.Variable === '$.call.outcome' && t.IsPresent === true) return true;
        if (t.Variable === '$.call.outcome' && typeof t.StringEquals === 'string') return t.StringEquals === outcome;
        if (t.Variable === '$.numbers[1]' && t.IsPresent === true) return numberLeft;
        throw new Error(`unexpected rule ${JSON.stringify(t)}`);
      });
      if (holds) return String(rule.Next);
    }
    return String(choice.Default);
  }

  it.each([...ATTEMPT_OUTCOMES])('%s goes where decide() says', (outcome) => {
    const decision = decide(outcome);
    if (decision.kind === 'next') {
      expect([goesTo(outcome, true), goesTo(outcome, false)]).toEqual([VOICE_STATES.nextNumber, VOICE_STATES.finish]);
    } else {
      expect([goesTo(outcome, true), goesTo(outcome, false)]).toEqual([VOICE_STATES.finish, VOICE_STATES.finish]);
    }
  });

  it('compares an outcome only where there is one: a caught error leaves none in $.call', () => {
    for (const rule of rules.slice(0, -1)) {
      expect(rule.And).toEqual([{ Variable: '$.call.outcome', IsPresent: true }, { Variable: '$.call.outcome', StringEquals: expect.any(String) }]);
    }
  });

  it('every error the call task catches is an outcome decide() rolls over', () => {
    for (const outcome of [...Object.values(CALL_ERROR_OUTCOMES), 'call_failed' as const]) expect(decide(outcome).kind).toBe('next');
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
