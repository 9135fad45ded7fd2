import { LocalTelephone, type PhoneScript } from '../../../shared/adapters/local/telephone';
import { LocalCallbackRegistry } from '../../../shared/voice/local-callbacks';
import { LOCAL_VOICE_RESOURCES, LocalStateMachine, localVoiceRollover } from '../../../shared/voice/local-runner';
import { VOICE_STATES, voiceRolloverDefinition } from '../../../shared/voice/state-machine';
import { FakeClock } from '../../support/fakes';

/**
 * A Standard workflow is billed per state transition ($25 per million): what one voice
 * authentication costs is decided here. Counted from the local run's events (each state
 * entered, and each retry), the way the benchmark counts them.
 */

const PRIMARY = '+14155550101';
const BACKUP = '+14155550102';
const SECOND_BACKUP = '+14155550103';
const NUMBERS = [PRIMARY, BACKUP, SECOND_BACKUP];

/** The budget: at most five transitions per call attempt, the first one included. */
const PER_ATTEMPT = 5;

const { haveNumber: HAVE, placeCall: CALL, decide: DECIDE, nextNumber: NEXT, finish: FINISH } = VOICE_STATES;

async function run(scripts: Record<string, PhoneScript>, numbers: string[] = NUMBERS) {
  const callbacks = new LocalCallbackRegistry();
  const clock = new FakeClock();
  const phone = new LocalTelephone({ callbacks, clock }, 'manual');
  for (const [number, script] of Object.entries(scripts)) phone.script(number, script);
  const machine = localVoiceRollover({
    dialer: phone,
    throttle: { take: async () => true },
    callbacks,
    clock,
    finish: async () => undefined,
    // A call nobody answers times out at once instead of after a minute.
    taskTimeoutOverridesMs: { [CALL]: 100 },
  });
  const execution = machine.startExecution({ challengeId: 'ch_cost', tenantId: 'tn_cost', numbers, callerId: '+12065550199', appName: 'Acme' });
  const summary = await execution.done;
  return { summary, states: await execution.transitions };
}

describe('Step Functions transitions per voice authentication', () => {
  it('R10 answered with #: four transitions', async () => {
    const { summary, states } = await run({ [PRIMARY]: 'press#' });
    expect(summary.result).toEqual({ kind: 'approve' });
    expect(states).toEqual([HAVE, CALL, DECIDE, FINISH]);
  });

  it('R11 answered and hung up: four transitions', async () => {
    const { summary, states } = await run({ [PRIMARY]: 'hangup' });
    expect(summary.result).toEqual({ kind: 'deny', reason: 'denied' });
    expect(states).toEqual([HAVE, CALL, DECIDE, FINISH]);
  });

  it('R14 fraud reported: four transitions', async () => {
    const { summary, states } = await run({ [PRIMARY]: 'press0#' });
    expect(summary.result).toEqual({ kind: 'deny', reason: 'fraud_reported' });
    expect(states).toEqual([HAVE, CALL, DECIDE, FINISH]);
  });

  it('R12 voicemail, then # on the backup: three more for the second call', async () => {
    const { summary, states } = await run({ [PRIMARY]: 'voicemail', [BACKUP]: 'press#' });
    expect(summary.attempts.map((a) => a.outcome)).toEqual(['voicemail', 'approved']);
    expect(states).toEqual([HAVE, CALL, DECIDE, NEXT, CALL, DECIDE, FINISH]);
  });

  it('R13 all numbers exhausted: three per number, and one to start', async () => {
    const { summary, states } = await run({ [PRIMARY]: 'busy', [BACKUP]: 'disconnected', [SECOND_BACKUP]: 'voicemail' });
    expect(summary.result).toEqual({ kind: 'deny', reason: 'unreachable' });
    expect(states).toEqual([HAVE, CALL, DECIDE, NEXT, CALL, DECIDE, NEXT, CALL, DECIDE, FINISH]);
  });

  it('R13 no number at all: two transitions, no call', async () => {
    const { summary, states } = await run({}, []);
    expect(summary).toMatchObject({ result: { kind: 'deny', reason: 'unreachable' }, attempts: [] });
    expect(states).toEqual([HAVE, FINISH]);
  });

  it.each([
    ['press#', 'press#', 'press#'],
    ['voicemail', 'hangup', 'press#'],
    ['busy', 'no-answer', 'press0#'],
    ['invalid', 'busy', 'disconnected'],
  ] as PhoneScript[][])('%s, %s, %s: at most five transitions per call attempt', async (...scripts) => {
    const { summary, states } = await run(Object.fromEntries(NUMBERS.map((n, i) => [n, scripts[i]!])));
    expect(states.length).toBeLessThanOrEqual(PER_ATTEMPT * summary.attempts.length);
    // Each further number adds its call, the decision and the step that led to it.
    expect(states.length).toBe(1 + 3 * summary.attempts.length);
  });

  it('a retried step is one more transition, as Step Functions bills it', async () => {
    let failures = 1;
    const machine = new LocalStateMachine({
      definition: voiceRolloverDefinition(LOCAL_VOICE_RESOURCES),
      functions: {
        [LOCAL_VOICE_RESOURCES.placeCallResource]: () => undefined,
        [LOCAL_VOICE_RESOURCES.finishResource]: () => {
          if (failures-- > 0) throw new Error('throttled');
          return null;
        },
      },
      callbacks: new LocalCallbackRegistry(),
      parseOutput: (o) => o,
      retryIntervalOverridesMs: { [FINISH]: 0 },
    });
    const execution = machine.startExecution({ challengeId: 'c', tenantId: 't', numbers: [], callerId: '+12065550199', appName: 'A' });
    await execution.done;
    expect(await execution.transitions).toEqual([HAVE, FINISH, FINISH]);
  });
});

describe('a rollover whose next step keeps failing', () => {
  it('finishes with every attempt recorded and the challenge denied as unreachable (R13, R23), not a failed execution', async () => {
    const callbacks = new LocalCallbackRegistry();
    const finished: unknown[] = [];
    const machine = new LocalStateMachine({
      definition: voiceRolloverDefinition(LOCAL_VOICE_RESOURCES),
      functions: {
        [LOCAL_VOICE_RESOURCES.placeCallResource]: (payload) => {
          const { taskToken } = payload as { taskToken: string };
          setImmediate(() => void callbacks.sendTaskSuccess(taskToken, { outcome: 'busy' }));
        },
        [LOCAL_VOICE_RESOURCES.finishResource]: (payload) => {
          const { step, rollover } = payload as { step: string; rollover: Record<string, unknown> };
          if (step === 'next') throw new Error('the next step is down');
          finished.push(rollover);
          return { done: true };
        },
      },
      callbacks,
      parseOutput: (o) => o,
      retryIntervalOverridesMs: { [NEXT]: 0 },
    });
    const execution = machine.startExecution({ challengeId: 'c', tenantId: 't', numbers: NUMBERS, callerId: '+12065550199', appName: 'A' });
    await expect(execution.done).resolves.toEqual({ done: true });
    // The finish step got the first call's outcome with the numbers not yet dropped.
    expect(finished).toEqual([expect.objectContaining({ numbers: NUMBERS, call: { outcome: 'busy' } })]);
    expect((await execution.transitions).at(-1)).toBe(FINISH);
  });
});

describe('the call task learns the position of its number without a cursor in the state', () => {
  it('the place-call payload says attempt 0, 1, 2 for the primary and the backups', async () => {
    const callbacks = new LocalCallbackRegistry();
    const placed: unknown[] = [];
    const machine = new LocalStateMachine({
      definition: voiceRolloverDefinition(LOCAL_VOICE_RESOURCES),
      functions: {
        [LOCAL_VOICE_RESOURCES.placeCallResource]: (payload) => {
          placed.push(payload);
          const { taskToken } = payload as { taskToken: string };
          setImmediate(() => void callbacks.sendTaskSuccess(taskToken, { outcome: 'busy' }));
        },
        [LOCAL_VOICE_RESOURCES.finishResource]: (payload) => {
          const { step, rollover } = payload as { step: string; rollover: { numbers: string[] } & Record<string, unknown> };
          // Only what the definition needs of the step function: the head dropped.
          return step === 'next' ? { ...rollover, numbers: rollover.numbers.slice(1), call: undefined } : null;
        },
      },
      callbacks,
      parseOutput: (o) => o,
    });
    await machine.startExecution({ challengeId: 'c', tenantId: 't', numbers: NUMBERS, callerId: '+12065550199', appName: 'A' }).done;
    expect(placed).toEqual(NUMBERS.map((to, attempt) => expect.objectContaining({ to, attempt })));
  });
});
