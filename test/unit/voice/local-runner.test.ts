import { LocalTelephone, type PhoneScript } from '../../../shared/adapters/local/telephone';
import { LocalCallbackRegistry, UnknownTaskTokenError } from '../../../shared/voice/local-callbacks';
import { LOCAL_VOICE_RESOURCES, LocalStateMachine, localVoiceRollover } from '../../../shared/voice/local-runner';
import { ATTEMPT_OUTCOMES, decide, type AttemptOutcome } from '../../../shared/voice/outcomes';
import type { VoiceCall, VoiceDialer } from '../../../shared/ports';
import { voicePrompt } from '../../../shared/voice/rules';
import { isVoiceSummary, type VoiceProgress, type VoiceRolloverSummary } from '../../../shared/voice/schemas';
import { VOICE_STATES, voiceRolloverDefinition } from '../../../shared/voice/state-machine';
import { FakeClock, InMemoryThrottleStore, T0 } from '../../support/fakes';
import { MESSAGES_PER_NUMBER_PER_HOUR } from '../../../shared/rules';

const PRIMARY = '+14155550101';
const BACKUP = '+14155550102';
const SECOND_BACKUP = '+14155550103';
const CALLER_ID = '+12065550199';
const AT = new Date(T0).toISOString();

/** Short enough that no test waits for a real 60 s timeout, long enough for a scripted answer. */
const SHORT_TIMEOUT_MS = 100;

/** Every number admitted: tests of the rollover itself, not of the hourly cap. */
const NO_CAP = { take: async () => true };

function world(options: { scripts?: Record<string, PhoneScript>; timeoutMs?: number; dialer?: (phone: LocalTelephone) => VoiceDialer } = {}) {
  const clock = new FakeClock();
  const throttle = new InMemoryThrottleStore();
  const callbacks = new LocalCallbackRegistry();
  const phone = new LocalTelephone({ callbacks, clock }, 'manual');
  for (const [number, script] of Object.entries(options.scripts ?? {})) phone.script(number, script);
  const finished: VoiceRolloverSummary[] = [];
  const progress: VoiceProgress[] = [];
  const machine = localVoiceRollover({
    dialer: options.dialer ? options.dialer(phone) : phone,
    throttle,
    callbacks,
    clock,
    finish: async (step) => {
      if (isVoiceSummary(step)) finished.push(step);
      else progress.push(step);
    },
    taskTimeoutOverridesMs: options.timeoutMs === undefined ? undefined : { [VOICE_STATES.placeCall]: options.timeoutMs },
  });
  const start = (numbers: string[]) =>
    machine.startExecution({ challengeId: 'ch_voice', tenantId: 'tn_a', numbers, callerId: CALLER_ID, appName: 'Acme VPN' });
  return { clock, callbacks, phone, throttle, finished, progress, start };
}

/** Waits (in real time, briefly) until a condition holds: for calls that ring for a person. */
async function until(condition: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition never held');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** A dialer that reports a fixed outcome for each number, the way a scripted network would. */
function reportingDialer(callbacks: LocalCallbackRegistry, outcomes: Record<string, AttemptOutcome>): VoiceDialer & { calls: VoiceCall[] } {
  const calls: VoiceCall[] = [];
  return {
    calls,
    async dial(call) {
      calls.push(call);
      const outcome = outcomes[call.to];
      if (outcome === 'call_failed') throw new Error('no route to the network');
      if (outcome !== 'timeout') setImmediate(() => void callbacks.sendTaskSuccess(call.taskToken, { outcome: outcome ?? 'approved' }));
      return { callId: `call-${calls.length}` };
    },
  };
}

describe('R12/R13 rollover through the local telephone', () => {
  it('voicemail on the primary, # on the backup: approved after exactly two calls', async () => {
    const { phone, finished, start } = world({ scripts: { [PRIMARY]: 'voicemail', [BACKUP]: 'press#', [SECOND_BACKUP]: 'press#' } });
    const summary = await start([PRIMARY, BACKUP, SECOND_BACKUP]).done;
    expect(summary).toEqual({
      challengeId: 'ch_voice',
      tenantId: 'tn_a',
      result: { kind: 'approve' },
      attempts: [
        { index: 0, number: PRIMARY, outcome: 'voicemail', at: AT },
        { index: 1, number: BACKUP, outcome: 'approved', at: AT },
      ],
    });
    expect(phone.calls().map((c) => [c.number, c.outcome])).toEqual([
      [PRIMARY, 'voicemail'],
      [BACKUP, 'approved'],
    ]);
    expect(finished).toEqual([summary]);
  });

  it('busy, disconnected and invalid on all three numbers: denied as unreachable after three calls', async () => {
    const { phone, finished, start } = world({ scripts: { [PRIMARY]: 'busy', [BACKUP]: 'disconnected', [SECOND_BACKUP]: 'invalid' } });
    const summary = await start([PRIMARY, BACKUP, SECOND_BACKUP]).done;
    expect(summary.result).toEqual({ kind: 'deny', reason: 'unreachable' });
    expect(summary.attempts.map((a) => [a.index, a.number, a.outcome])).toEqual([
      [0, PRIMARY, 'busy'],
      [1, BACKUP, 'disconnected'],
      [2, SECOND_BACKUP, 'invalid_number'],
    ]);
    expect(phone.calls()).toHaveLength(3);
    expect(finished).toEqual([summary]);
  });

  it('no answer on the primary rolls over when the call task times out', async () => {
    const { phone, start } = world({ scripts: { [PRIMARY]: 'no-answer', [BACKUP]: 'press#' }, timeoutMs: SHORT_TIMEOUT_MS });
    const summary = await start([PRIMARY, BACKUP]).done;
    expect(summary.result).toEqual({ kind: 'approve' });
    expect(summary.attempts.map((a) => a.outcome)).toEqual(['timeout', 'approved']);
    expect(phone.ringing(PRIMARY)).toEqual([]);
    expect(phone.calls(PRIMARY)).toEqual([expect.objectContaining({ state: 'ended', outcome: 'timeout' })]);
  });

  it('R13: a user with no number is unreachable without a call', async () => {
    const { phone, finished, start } = world();
    const summary = await start([]).done;
    expect(summary).toMatchObject({ result: { kind: 'deny', reason: 'unreachable' }, attempts: [] });
    expect(phone.calls()).toEqual([]);
    expect(finished).toHaveLength(1);
  });

  it('R15: every call comes from the tenant\'s caller ID and says the R10 prompt', async () => {
    const { phone, start } = world({ scripts: { [PRIMARY]: 'busy', [BACKUP]: 'press#' } });
    await start([PRIMARY, BACKUP]).done;
    expect(phone.calls().map((c) => [c.callerId, c.prompt])).toEqual([
      [CALLER_ID, voicePrompt('Acme VPN')],
      [CALLER_ID, voicePrompt('Acme VPN')],
    ]);
  });

  it('a call that cannot be placed rolls over as call_failed', async () => {
    const { start } = world({
      scripts: { [BACKUP]: 'press#' },
      dialer: (phone) => ({
        dial: async (call) => {
          if (call.to === PRIMARY) throw new Error('carrier refused the call');
          return phone.dial(call);
        },
      }),
    });
    const summary = await start([PRIMARY, BACKUP]).done;
    expect(summary.attempts.map((a) => a.outcome)).toEqual(['call_failed', 'approved']);
    expect(summary.result).toEqual({ kind: 'approve' });
  });
});

describe('R6 every number dialled counts towards its hourly cap, backups included', () => {
  /** Fills the number's current hour, as ten earlier texts or calls would have. */
  async function fill(throttle: InMemoryThrottleStore, number: string, now: number): Promise<void> {
    for (let i = 0; i < MESSAGES_PER_NUMBER_PER_HOUR; i++) {
      await throttle.take({ name: 'number_rate', subject: number, limit: MESSAGES_PER_NUMBER_PER_HOUR, windowSeconds: 3600, now });
    }
  }

  it('R6: each dial takes one unit of its number\'s hour, primary and backup alike', async () => {
    const { clock, throttle, start } = world({ scripts: { [PRIMARY]: 'busy', [BACKUP]: 'press#' } });
    await start([PRIMARY, BACKUP]).done;
    expect([PRIMARY, BACKUP].map((n) => throttle.count('number_rate', n, 3600, clock.now()))).toEqual([1, 1]);
  });

  it('R6: a backup over its cap is skipped, not dialled, and recorded as over_cap; the next number is tried', async () => {
    const { clock, phone, throttle, progress, start } = world({ scripts: { [PRIMARY]: 'busy', [BACKUP]: 'press#', [SECOND_BACKUP]: 'press#' } });
    await fill(throttle, BACKUP, clock.now());
    const summary = await start([PRIMARY, BACKUP, SECOND_BACKUP]).done;
    expect(summary.attempts.map((a) => [a.number, a.outcome])).toEqual([
      [PRIMARY, 'busy'],
      [BACKUP, 'over_cap'],
      [SECOND_BACKUP, 'approved'],
    ]);
    expect(summary.result).toEqual({ kind: 'approve' });
    expect(phone.calls(BACKUP)).toEqual([]);
    expect(progress.map((p) => p.attempt.outcome)).toEqual(['busy', 'over_cap', 'approved']);
    expect(throttle.count('number_rate', BACKUP, 3600, clock.now())).toBe(MESSAGES_PER_NUMBER_PER_HOUR);
  });

  it('R6/R13: every number over its cap: nothing is dialled and the challenge is denied as unreachable', async () => {
    const { clock, phone, throttle, start } = world({ scripts: { [PRIMARY]: 'press#', [BACKUP]: 'press#' } });
    await fill(throttle, PRIMARY, clock.now());
    await fill(throttle, BACKUP, clock.now());
    const summary = await start([PRIMARY, BACKUP]).done;
    expect(summary).toMatchObject({ result: { kind: 'deny', reason: 'unreachable' } });
    expect(summary.attempts.map((a) => a.outcome)).toEqual(['over_cap', 'over_cap']);
    expect(phone.calls()).toEqual([]);
  });
});

describe('R11 an answer without # is a denial, with no rollover', () => {
  it('hang-up on the primary: denied, and the backup is never called', async () => {
    const { phone, start } = world({ scripts: { [PRIMARY]: 'hangup', [BACKUP]: 'press#' } });
    const summary = await start([PRIMARY, BACKUP]).done;
    expect(summary.result).toEqual({ kind: 'deny', reason: 'denied' });
    expect(summary.attempts).toEqual([{ index: 0, number: PRIMARY, outcome: 'denied', at: AT }]);
    expect(phone.calls(BACKUP)).toEqual([]);
  });
});

describe('R14 0# reports fraud', () => {
  it('press0# on the primary: denied as fraud_reported, no further calls', async () => {
    const { phone, start } = world({ scripts: { [PRIMARY]: 'press0#', [BACKUP]: 'press#' } });
    const summary = await start([PRIMARY, BACKUP]).done;
    expect(summary.result).toEqual({ kind: 'deny', reason: 'fraud_reported' });
    expect(summary.attempts.map((a) => a.outcome)).toEqual(['fraud']);
    expect(phone.calls()).toHaveLength(1);
  });
});

describe('R10 answering by hand', () => {
  it('the call rings with its prompt until answered with #', async () => {
    const { phone, start } = world();
    const execution = start([PRIMARY, BACKUP]);
    await until(() => phone.ringing(PRIMARY).length === 1);
    expect(phone.ringing(PRIMARY)).toEqual([
      { callId: expect.any(String), number: PRIMARY, callerId: CALLER_ID, prompt: voicePrompt('Acme VPN'), startedAt: AT },
    ]);
    await expect(phone.answer(PRIMARY, 'press#')).resolves.toMatchObject({ state: 'ended', action: 'press#', outcome: 'approved' });
    const summary = await execution.done;
    expect(summary.result).toEqual({ kind: 'approve' });
    expect(phone.calls(BACKUP)).toEqual([]);
  });

  it('voicemail by hand on the primary moves the ringing to the backup', async () => {
    const { phone, start } = world();
    const execution = start([PRIMARY, BACKUP]);
    await until(() => phone.ringing(PRIMARY).length === 1);
    await phone.answer(PRIMARY, 'voicemail');
    await until(() => phone.ringing(BACKUP).length === 1);
    await phone.answer(BACKUP, 'hangup');
    await expect(execution.done).resolves.toMatchObject({ result: { kind: 'deny', reason: 'denied' } });
  });
});

describe('R10–R14 every attempt outcome, run through the real definition, does what decide() says', () => {
  it.each([...ATTEMPT_OUTCOMES])('%s on the primary', async (outcome) => {
    const callbacks = new LocalCallbackRegistry();
    const dialer = reportingDialer(callbacks, { [PRIMARY]: outcome, [BACKUP]: 'approved' });
    const machine = localVoiceRollover({
      dialer,
      // R6: a number over its cap is refused by the throttle, before any dial.
      throttle: { take: async (counter) => (counter.subject === PRIMARY ? outcome !== 'over_cap' : true) },
      callbacks,
      finish: async () => undefined,
      taskTimeoutOverridesMs: { [VOICE_STATES.placeCall]: SHORT_TIMEOUT_MS },
    });
    const summary = await machine.startExecution({ challengeId: 'c', tenantId: 't', numbers: [PRIMARY, BACKUP], callerId: CALLER_ID, appName: 'A' })
      .done;
    const decision = decide(outcome);
    expect(summary.attempts[0]?.outcome).toBe(outcome);
    if (decision.kind === 'next') {
      expect(summary.result).toEqual({ kind: 'approve' });
      expect(summary.attempts.map((a) => a.number)).toEqual([PRIMARY, BACKUP]);
    } else {
      expect(summary.result).toEqual(decision);
      expect(summary.attempts).toHaveLength(1);
    }
  });
});

describe('per-task tokens: each call task waits on its own real token', () => {
  it('three calls get three distinct tokens, each reported on once', async () => {
    const tokens: string[] = [];
    const { callbacks, start } = world({
      scripts: { [PRIMARY]: 'voicemail', [BACKUP]: 'busy', [SECOND_BACKUP]: 'press#' },
      dialer: (phone) => ({
        dial: (call) => {
          tokens.push(call.taskToken);
          return phone.dial(call);
        },
      }),
    });
    await start([PRIMARY, BACKUP, SECOND_BACKUP]).done;
    expect(tokens).toHaveLength(3);
    expect(new Set(tokens).size).toBe(3);
    for (const token of tokens) expect(token.length).toBeGreaterThanOrEqual(32);
    // Like SendTaskSuccess on a closed task: the late report changes nothing.
    await expect(callbacks.sendTaskSuccess(tokens[0]!, { outcome: 'approved' })).resolves.toEqual({ kind: 'expired' });
    expect(callbacks.pending()).toEqual([]);
  });

  it('tokens differ between concurrent executions, and each answer reaches its own', async () => {
    const { phone, start } = world();
    const first = start([PRIMARY]);
    const second = start([BACKUP]);
    expect(first.executionId).not.toBe(second.executionId);
    expect(first.executionId).toMatch(/^arn:aws:states:local:\d{12}:execution:tessera-voice-rollover:/);
    await until(() => phone.ringing(PRIMARY).length === 1 && phone.ringing(BACKUP).length === 1);
    await phone.answer(BACKUP, 'press0#');
    await phone.answer(PRIMARY, 'press#');
    await expect(first.done).resolves.toMatchObject({ result: { kind: 'approve' } });
    await expect(second.done).resolves.toMatchObject({ result: { kind: 'deny', reason: 'fraud_reported' } });
  });

  it('SendTaskFailure on the token fails the attempt, which rolls over', async () => {
    const callbacks = new LocalCallbackRegistry();
    const machine = localVoiceRollover({
      callbacks,
      throttle: NO_CAP,
      finish: async () => undefined,
      dialer: {
        dial: async (call) => {
          const report = () =>
            call.to === PRIMARY
              ? callbacks.sendTaskFailure(call.taskToken, { error: 'Chime.CallFailed', cause: 'SIP 503' })
              : callbacks.sendTaskSuccess(call.taskToken, { outcome: 'approved' });
          setImmediate(() => void report());
          return { callId: call.to };
        },
      },
    });
    const summary = await machine.startExecution({ challengeId: 'c', tenantId: 't', numbers: [PRIMARY, BACKUP], callerId: CALLER_ID, appName: 'A' })
      .done;
    expect(summary.attempts.map((a) => a.outcome)).toEqual(['call_failed', 'approved']);
  });

  it('a token that was never issued is refused', async () => {
    const callbacks = new LocalCallbackRegistry();
    await expect(callbacks.sendTaskSuccess('forged', { outcome: 'approved' })).rejects.toBeInstanceOf(UnknownTaskTokenError);
  });

  it('attempt times come from the injected clock', async () => {
    const { clock, start } = world({ scripts: { [PRIMARY]: 'press#' } });
    clock.set(Date.UTC(2031, 5, 1, 8, 30, 0));
    const summary = await start([PRIMARY]).done;
    expect(summary.attempts[0]?.at).toBe('2031-06-01T08:30:00.000Z');
  });
});

describe('the local runner runs definitions unchanged, and refuses what it cannot run faithfully', () => {
  const callbacks = new LocalCallbackRegistry();
  const functions = { [LOCAL_VOICE_RESOURCES.placeCallResource]: () => undefined, [LOCAL_VOICE_RESOURCES.finishResource]: () => undefined };

  it('leaves the definition it runs exactly as CDK would deploy it', async () => {
    const definition = voiceRolloverDefinition(LOCAL_VOICE_RESOURCES);
    const pristine = JSON.parse(JSON.stringify(definition));
    const machine = new LocalStateMachine({ definition, functions, callbacks, parseOutput: (o) => o });
    await machine.startExecution({ challengeId: 'c', tenantId: 't', numbers: [], callerId: CALLER_ID, appName: 'A' }).done;
    expect(definition).toEqual(pristine);
  });

  it('a function the definition names must exist locally', () => {
    expect(
      () =>
        new LocalStateMachine({
          definition: voiceRolloverDefinition({ placeCallResource: 'nowhere', finishResource: LOCAL_VOICE_RESOURCES.finishResource }),
          functions,
          callbacks,
          parseOutput: (o) => o,
        }),
    ).toThrow(/no local function named "nowhere"/);
  });

  it('a .waitForTaskToken task that does not pass $$.Task.Token is refused', () => {
    const definition = voiceRolloverDefinition(LOCAL_VOICE_RESOURCES);
    const call = definition.States[VOICE_STATES.placeCall]!;
    const withoutToken = {
      ...definition,
      States: {
        ...definition.States,
        [VOICE_STATES.placeCall]: { ...call, Parameters: { FunctionName: LOCAL_VOICE_RESOURCES.placeCallResource, Payload: { 'to.$': '$.x' } } },
      },
    };
    expect(() => new LocalStateMachine({ definition: withoutToken, functions, callbacks, parseOutput: (o) => o })).toThrow(
      /must pass \$\$\.Task\.Token/,
    );
  });

  it('an execution whose finish step fails rejects its done promise', async () => {
    const machine = new LocalStateMachine({
      definition: voiceRolloverDefinition(LOCAL_VOICE_RESOURCES),
      functions: {
        ...functions,
        [LOCAL_VOICE_RESOURCES.finishResource]: () => {
          throw new Error('table is gone');
        },
      },
      callbacks,
      parseOutput: (o) => o,
      retryIntervalOverridesMs: { [VOICE_STATES.finish]: 0 },
    });
    await expect(machine.startExecution({ challengeId: 'c', tenantId: 't', numbers: [], callerId: CALLER_ID, appName: 'A' }).done).rejects.toThrow(
      /table is gone/,
    );
  });
});
