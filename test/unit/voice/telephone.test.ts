import { LocalTelephone, PHONE_ACTIONS, isPhoneAction, type PhoneAction } from '../../../shared/adapters/local/telephone';
import { NotFoundError } from '../../../shared/domain/errors';
import { LocalCallbackRegistry } from '../../../shared/voice/local-callbacks';
import type { CallOutcome } from '../../../shared/voice/outcomes';
import { FakeClock, T0 } from '../../support/fakes';
import type { CallbackDelivery } from '../../../shared/ports';
import { VOICE_GOODBYE, VOICE_TASK_ENDED } from '../../../shared/voice/rules';

const NUMBER = '+14155550101';
const OTHER = '+14155550102';
const CALLER_ID = '+12065550199';
const PROMPT = 'Press the pound key to approve.';
const AT = new Date(T0).toISOString();

const registries: LocalCallbackRegistry[] = [];
afterEach(() => registries.splice(0).forEach((r) => r.abandonAll()));

function setup(defaultScript?: ConstructorParameters<typeof LocalTelephone>[1]) {
  const clock = new FakeClock();
  const callbacks = new LocalCallbackRegistry();
  registries.push(callbacks);
  const phone = new LocalTelephone({ callbacks, clock }, defaultScript);
  let tokens = 0;
  /** Places a call the way the state machine does: a task waits on the token first. */
  const call = (to: string, timeoutMs = 5_000) => {
    const taskToken = `token-${++tokens}`;
    const reported = callbacks.wait(taskToken, timeoutMs);
    reported.catch(() => undefined);
    const placed = phone.dial({ to, callerId: CALLER_ID, prompt: PROMPT, taskToken });
    return { taskToken, reported, placed };
  };
  return { clock, callbacks, phone, call };
}

const EXPECTED: Record<PhoneAction, CallOutcome> = {
  'press#': 'approved',
  'press0#': 'fraud',
  hangup: 'denied',
  voicemail: 'voicemail',
  busy: 'busy',
  disconnected: 'disconnected',
  invalid: 'invalid_number',
  'no-answer': 'no_answer',
};

describe('R10–R12 scripted numbers answer by themselves', () => {
  it.each(PHONE_ACTIONS.filter((a) => a !== 'no-answer'))('%s reports its outcome on the call\'s token', async (action) => {
    const { phone, call } = setup();
    phone.script(NUMBER, action);
    const { reported, placed } = call(NUMBER);
    await expect(placed).resolves.toEqual({ callId: expect.any(String) });
    await expect(reported).resolves.toEqual({ outcome: EXPECTED[action] });
    expect(phone.calls(NUMBER)).toEqual([
      {
        callId: (await placed).callId,
        number: NUMBER,
        callerId: CALLER_ID,
        prompt: PROMPT,
        startedAt: AT,
        state: 'ended',
        action,
        outcome: EXPECTED[action],
        endedAt: AT,
        ...(action === 'press#' || action === 'press0#' ? { said: VOICE_GOODBYE } : {}),
      },
    ]);
  });

  it('reports after dial returns, never during it', async () => {
    const { phone, callbacks, call } = setup('press#');
    const { taskToken, placed } = call(NUMBER);
    await placed;
    expect(callbacks.pending()).toEqual([taskToken]);
    expect(phone.calls(NUMBER)[0]?.state).toBe('ringing');
  });

  it('unscripted numbers follow the default, which can change', async () => {
    const { phone, call } = setup('busy');
    expect(phone.scriptOf(OTHER)).toBe('busy');
    await expect(call(OTHER).reported).resolves.toEqual({ outcome: 'busy' });
    phone.setDefault('press#');
    await expect(call(OTHER).reported).resolves.toEqual({ outcome: 'approved' });
  });

  it('R12: a scripted no-answer rings until the call task times out, then stops ringing', async () => {
    const { phone, call } = setup();
    phone.script(NUMBER, 'no-answer');
    const { reported } = call(NUMBER, 30);
    expect(phone.ringing(NUMBER)).toHaveLength(1);
    await expect(reported).rejects.toMatchObject({ name: 'States.Timeout' });
    expect(phone.ringing(NUMBER)).toEqual([]);
    expect(phone.calls(NUMBER)).toEqual([expect.objectContaining({ state: 'ended', outcome: 'timeout', endedAt: AT })]);
    expect(phone.calls(NUMBER)[0]).not.toHaveProperty('action');
  });

  it('reset forgets scripts and calls', async () => {
    const { phone, call } = setup('manual');
    phone.script(NUMBER, 'press#');
    await call(NUMBER).reported;
    phone.reset();
    expect(phone.calls()).toEqual([]);
    expect(phone.scriptOf(NUMBER)).toBe('manual');
  });
});

describe('R10 answering a ringing call by hand', () => {
  it('shows the ringing call with its caller ID (R15) and prompt, oldest first', async () => {
    const { clock, phone, call } = setup();
    const first = await call(NUMBER).placed;
    clock.advance(1);
    const second = await call(NUMBER).placed;
    expect(phone.ringing(NUMBER)).toEqual([
      { callId: first.callId, number: NUMBER, callerId: CALLER_ID, prompt: PROMPT, startedAt: AT },
      { callId: second.callId, number: NUMBER, callerId: CALLER_ID, prompt: PROMPT, startedAt: new Date(T0 + 1000).toISOString() },
    ]);
    expect(phone.ringing(OTHER)).toEqual([]);
  });

  it.each(PHONE_ACTIONS)('answer(%s) reports its outcome and ends the call', async (action) => {
    const { phone, call } = setup();
    const { reported } = call(NUMBER);
    await expect(phone.answer(NUMBER, action)).resolves.toMatchObject({ state: 'ended', action, outcome: EXPECTED[action] });
    await expect(reported).resolves.toEqual({ outcome: EXPECTED[action] });
    expect(phone.ringing(NUMBER)).toEqual([]);
  });

  it('answers the oldest ringing call first', async () => {
    const { phone, call } = setup();
    const first = call(NUMBER);
    const second = call(NUMBER);
    await phone.answer(NUMBER, 'hangup');
    await expect(first.reported).resolves.toEqual({ outcome: 'denied' });
    expect(phone.ringing(NUMBER)).toEqual([expect.objectContaining({ callId: (await second.placed).callId })]);
  });

  it('refuses to answer a number where nothing rings', async () => {
    const { phone } = setup();
    await expect(phone.answer(NUMBER, 'press#')).rejects.toBeInstanceOf(NotFoundError);
  });

  it('a call whose task already timed out can no longer be answered', async () => {
    const { phone, call } = setup();
    await expect(call(NUMBER, 20).reported).rejects.toMatchObject({ name: 'States.Timeout' });
    await expect(phone.answer(NUMBER, 'press#')).rejects.toBeInstanceOf(NotFoundError);
  });

  it('a call whose task ended without it (its execution failed or stopped) is hung up, not left ringing', async () => {
    const { phone, callbacks, call } = setup();
    const { taskToken, placed } = call(NUMBER);
    await placed;
    callbacks.abandon(taskToken);
    expect(phone.ringing(NUMBER)).toEqual([]);
    expect(phone.calls(NUMBER)).toEqual([expect.objectContaining({ state: 'ended' })]);
    await expect(phone.answer(NUMBER, 'press#')).rejects.toBeInstanceOf(NotFoundError);
  });

  it('R10: # says goodbye when it reached its task; a # that finds the task already ended approves nothing and the call says so', async () => {
    const { phone, call } = setup();
    call(NUMBER);
    await expect(phone.answer(NUMBER, 'press#')).resolves.toMatchObject({ outcome: 'approved', said: VOICE_GOODBYE });

    // The task stops waiting in the instant between the answer and its report.
    const clock = new FakeClock();
    const late = new (class extends LocalCallbackRegistry {
      override async sendTaskSuccess(): Promise<CallbackDelivery> {
        return { kind: 'expired' };
      }
    })();
    registries.push(late);
    const racing = new LocalTelephone({ callbacks: late, clock });
    late.wait('token-late', 5_000).catch(() => undefined);
    await racing.dial({ to: NUMBER, callerId: CALLER_ID, prompt: PROMPT, taskToken: 'token-late' });
    for (const action of ['press#', 'press0#'] as const) {
      if (action === 'press0#') await racing.dial({ to: NUMBER, callerId: CALLER_ID, prompt: PROMPT, taskToken: 'token-late' });
      const answered = await racing.answer(NUMBER, action);
      expect(answered).toMatchObject({ state: 'ended', outcome: 'timeout', said: VOICE_TASK_ENDED });
    }
  });

  it('knows its actions', () => {
    expect(isPhoneAction('press0#')).toBe(true);
    expect(isPhoneAction('manual')).toBe(false);
    expect(isPhoneAction('press1#')).toBe(false);
  });
});
