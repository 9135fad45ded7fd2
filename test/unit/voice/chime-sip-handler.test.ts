import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CALL_ATTRIBUTE, taskTokenAttributes, taskTokenFrom } from '../../../shared/adapters/voice/chime-call-arguments';
import {
  INPUT_DIGITS_REGEX,
  handleSmaEvent,
  outcomeOfDigits,
  outcomeOfUnansweredHangup,
  smaEventHandler,
  smaEventSchema,
  type SmaEvent,
  type SmaResponse,
} from '../../../shared/adapters/voice/chime-sip-handler';
import type { CallOutcome } from '../../../shared/voice/outcomes';
import type { CallbackDelivery, JsonValue, TaskCallbacks } from '../../../shared/ports';
import { VOICE_GOODBYE, VOICE_INBOUND, VOICE_TASK_ENDED, voicePrompt } from '../../../shared/voice/rules';
import { SilentLog } from '../../support/fakes';

type Fixture =
  | 'new-outbound-call'
  | 'ringing'
  | 'call-answered'
  | 'speak-and-get-digits-successful'
  | 'speak-and-get-digits-failed'
  | 'hangup'
  | 'digits-received'
  | 'call-update-requested';

interface Patch {
  readonly attributes?: Record<string, string>;
  readonly digits?: string;
  readonly errorType?: string;
  readonly sipResponseCode?: number | string;
  readonly arguments?: Record<string, string>;
}

/** A recorded-shape Chime SMA event (a fixture file), with the fields a test varies. */
function event(name: Fixture, patch: Patch = {}): SmaEvent {
  const raw = smaEventSchema.parse(JSON.parse(readFileSync(join(__dirname, 'fixtures', 'chime', `${name}.json`), 'utf8')));
  const action = raw.ActionData;
  return {
    ...raw,
    ...(action && {
      ActionData: {
        ...action,
        ...(patch.digits !== undefined && { ReceivedDigits: patch.digits }),
        ...(patch.errorType !== undefined && { ErrorType: patch.errorType }),
        Parameters: {
          ...action.Parameters,
          ...(patch.sipResponseCode !== undefined && { SipResponseCode: patch.sipResponseCode }),
          ...(patch.arguments && { Arguments: patch.arguments }),
        },
      },
    }),
    ...(raw.CallDetails && patch.attributes && { CallDetails: { ...raw.CallDetails, TransactionAttributes: patch.attributes } }),
  };
}

const CALL_ID = '3c85496f-1ef3-4534-a906-cb4730cab5e7';
const TOKEN = 'AQCEAAAAKgAAAAMAAAAAAAAAAeXAMPLEtoken';
const PROMPT = voicePrompt('Acme VPN');

/** What the call carries once NEW_OUTBOUND_CALL was handled. */
const STORED = { ...taskTokenAttributes(TOKEN), [CALL_ATTRIBUTE.prompt]: PROMPT };
const ANSWERED = { ...STORED, [CALL_ATTRIBUTE.answered]: 'true' };

const HANGUP_ACTION = { Type: 'Hangup', Parameters: { CallId: CALL_ID, SipResponseCode: '0' } };
const TASK_ENDED_ACTION = {
  Type: 'Speak',
  Parameters: { CallId: CALL_ID, Text: VOICE_TASK_ENDED, Engine: 'neural', LanguageCode: 'en-US', TextType: 'text', VoiceId: 'Joanna' },
};
const GOODBYE_ACTION = {
  Type: 'Speak',
  Parameters: { CallId: CALL_ID, Text: VOICE_GOODBYE, Engine: 'neural', LanguageCode: 'en-US', TextType: 'text', VoiceId: 'Joanna' },
};

describe('a call to a caller ID (its SIP rule sends inbound calls here)', () => {
  it('NEW_INBOUND_CALL is told the number takes no calls and hung up, reporting nothing to any task', () => {
    const inbound = { ...event('new-outbound-call'), InvocationEventType: 'NEW_INBOUND_CALL', ActionData: undefined, CallDetails: { ...event('new-outbound-call').CallDetails, TransactionAttributes: {} } } as SmaEvent;
    const step = handleSmaEvent(inbound);
    expect(step.report).toBeUndefined();
    expect(step.response.Actions).toEqual([{ ...GOODBYE_ACTION, Parameters: { ...GOODBYE_ACTION.Parameters, Text: VOICE_INBOUND } }, HANGUP_ACTION]);
  });
});

describe('the call carries its task token and prompt in its transaction attributes', () => {
  it('NEW_OUTBOUND_CALL keeps the ArgumentsMap as attributes and runs no action', () => {
    const step = handleSmaEvent(
      event('new-outbound-call', { arguments: { ...STORED, Unrelated: 'x' } }),
    );
    expect(step).toEqual({ response: { SchemaVersion: '1.0', Actions: [], TransactionAttributes: STORED } });
  });

  it('splits a long token over numbered attributes of at most 1,024 characters, and joins it back', () => {
    const long = 'T'.repeat(1500) + 'end';
    const parts = taskTokenAttributes(long);
    expect(Object.keys(parts)).toEqual(['TaskToken0', 'TaskToken1']);
    expect(Object.values(parts).every((v) => v.length <= 1024)).toBe(true);
    expect(taskTokenFrom(parts)).toBe(long);
    expect(taskTokenFrom({})).toBeUndefined();
  });

  it('RINGING needs nothing', () => {
    expect(handleSmaEvent(event('ringing', { attributes: STORED }))).toEqual({ response: { SchemaVersion: '1.0', Actions: [] } });
  });
});

describe('R10/R12 CALL_ANSWERED speaks the prompt and waits 10 s for # or 0#', () => {
  it('returns exactly one SpeakAndGetDigits on the answered leg and remembers the answer', () => {
    const step = handleSmaEvent(event('call-answered', { attributes: STORED }));
    expect(step.report).toBeUndefined();
    expect(step.response).toEqual({
      SchemaVersion: '1.0',
      Actions: [
        {
          Type: 'SpeakAndGetDigits',
          Parameters: {
            CallId: CALL_ID,
            InputDigitsRegex: '^0?#$',
            SpeechParameters: { Text: PROMPT, Engine: 'neural', LanguageCode: 'en-US', TextType: 'text', VoiceId: 'Joanna' },
            FailureSpeechParameters: {
              Text: 'Sorry, that key is not an option.',
              Engine: 'neural',
              LanguageCode: 'en-US',
              TextType: 'text',
              VoiceId: 'Joanna',
            },
            MinNumberOfDigits: 0,
            MaxNumberOfDigits: 2,
            TerminatorDigits: ['#'],
            InBetweenDigitsDurationInMilliseconds: 5000,
            Repeat: 1,
            RepeatDurationInMilliseconds: 10000,
          },
        },
      ],
      TransactionAttributes: ANSWERED,
    });
  });

  it('the digits regex accepts # and 0# with their terminator, and never silence', () => {
    const regex = new RegExp(INPUT_DIGITS_REGEX);
    expect(['#', '0#'].every((d) => regex.test(d))).toBe(true);
    expect(['', '0', '1#', '00#', '#0'].some((d) => regex.test(d))).toBe(false);
  });

  it('a call that lost its prompt hangs up and reports call_failed', () => {
    const step = handleSmaEvent(event('call-answered', { attributes: taskTokenAttributes(TOKEN) }));
    expect(step.report).toEqual({ taskToken: TOKEN, outcome: 'call_failed' });
    expect(step.response.Actions).toEqual([HANGUP_ACTION]);
  });
});

describe('R10/R14 the digits decide', () => {
  it.each([
    ['#', 'approved'],
    ['', 'approved'],
    ['0#', 'fraud'],
    ['0', 'fraud'],
  ] as const)('ReceivedDigits %j → %s, then goodbye and hang up', (digits, outcome) => {
    const step = handleSmaEvent(
      event('speak-and-get-digits-successful', { digits, attributes: ANSWERED }),
    );
    expect(step.report).toEqual({ taskToken: TOKEN, outcome });
    expect(step.response).toEqual({
      SchemaVersion: '1.0',
      Actions: [GOODBYE_ACTION, HANGUP_ACTION],
      TransactionAttributes: { ...ANSWERED, [CALL_ATTRIBUTE.settled]: outcome },
    });
  });

  it('digits that cannot have passed the regex approve nothing', () => {
    expect(outcomeOfDigits('1#')).toBeUndefined();
    const step = handleSmaEvent(
      event('speak-and-get-digits-successful', { digits: '5#', attributes: ANSWERED }),
    );
    expect(step.report).toEqual({ taskToken: TOKEN, outcome: 'call_failed' });
  });

  it('DIGITS_RECEIVED (ReceiveDigits, digits with their #) decides the same way, and ignores other keys', () => {
    expect(handleSmaEvent(event('digits-received', { attributes: ANSWERED })).report).toEqual({ taskToken: TOKEN, outcome: 'approved' });
    const fraud = event('digits-received', { digits: '0#', attributes: ANSWERED });
    expect(handleSmaEvent(fraud).report).toEqual({ taskToken: TOKEN, outcome: 'fraud' });
    const other = event('digits-received', { digits: '1#', attributes: ANSWERED });
    expect(handleSmaEvent(other)).toEqual({ response: { SchemaVersion: '1.0', Actions: [] } });
  });
});

describe('R12 no key after the prompt is voicemail', () => {
  it('ACTION_FAILED of SpeakAndGetDigits: voicemail, hang up', () => {
    const step = handleSmaEvent(event('speak-and-get-digits-failed', { attributes: ANSWERED }));
    expect(step.report).toEqual({ taskToken: TOKEN, outcome: 'voicemail' });
    expect(step.response).toEqual({
      SchemaVersion: '1.0',
      Actions: [HANGUP_ACTION],
      TransactionAttributes: { ...ANSWERED, [CALL_ATTRIBUTE.settled]: 'voicemail' },
    });
  });

  it('a system failure of the action is call_failed, not the callee\'s silence', () => {
    const step = handleSmaEvent(
      event('speak-and-get-digits-failed', { errorType: 'SystemException', attributes: ANSWERED }),
    );
    expect(step.report).toEqual({ taskToken: TOKEN, outcome: 'call_failed' });
  });
});

describe('R11/R12 how the call ended', () => {
  it.each([
    [486, 'busy'],
    ['486', 'busy'],
    [603, 'busy'],
    [480, 'no_answer'],
    [408, 'no_answer'],
    [487, 'no_answer'],
    [404, 'invalid_number'],
    [484, 'invalid_number'],
    [604, 'invalid_number'],
    [410, 'disconnected'],
    [503, 'call_failed'],
  ] as const)('HANGUP with SipResponseCode %j before any answer → %s', (code, outcome) => {
    const step = handleSmaEvent(
      event('hangup', { sipResponseCode: code, attributes: STORED }),
    );
    expect(step.report).toEqual({ taskToken: TOKEN, outcome });
    expect(step.response).toEqual({
      SchemaVersion: '1.0',
      Actions: [],
      TransactionAttributes: { ...STORED, [CALL_ATTRIBUTE.settled]: outcome },
    });
  });

  it('a HANGUP without a code is call_failed', () => {
    expect(outcomeOfUnansweredHangup(Number.NaN)).toBe('call_failed');
  });

  it('R11: answered, then hung up without # (whatever the code) → denied', () => {
    const step = handleSmaEvent(
      event('hangup', { sipResponseCode: 0, attributes: ANSWERED }),
    );
    expect(step.report).toEqual({ taskToken: TOKEN, outcome: 'denied' });
  });

  it('the hang-up of a call whose outcome is already decided reports nothing', () => {
    const step = handleSmaEvent(event('hangup', { attributes: { ...ANSWERED, [CALL_ATTRIBUTE.settled]: 'approved' } }));
    expect(step).toEqual({ response: { SchemaVersion: '1.0', Actions: [] } });
  });

  it('CALL_UPDATE_REQUESTED with Action Hangup ends the call and reports nothing', () => {
    const step = handleSmaEvent(event('call-update-requested', { attributes: ANSWERED }));
    expect(step).toEqual({
      response: {
        SchemaVersion: '1.0',
        Actions: [HANGUP_ACTION],
        TransactionAttributes: { ...ANSWERED, [CALL_ATTRIBUTE.settled]: 'cancelled' },
      },
    });
    const other = event('call-update-requested', { arguments: { Action: 'Mute' }, attributes: ANSWERED });
    expect(handleSmaEvent(other)).toEqual({ response: { SchemaVersion: '1.0', Actions: [] } });
  });

  it('a call without a token settles, but has nobody to report to', () => {
    const step = handleSmaEvent(event('hangup', { attributes: { [CALL_ATTRIBUTE.prompt]: PROMPT } }));
    expect(step.report).toBeUndefined();
    expect(step.response.TransactionAttributes).toEqual({ [CALL_ATTRIBUTE.prompt]: PROMPT, [CALL_ATTRIBUTE.settled]: 'busy' });
  });
});

/**
 * Plays a whole call the way Chime does: each event carries the attributes of the last
 * response. Returns every outcome reported.
 */
function playCall(steps: { name: Fixture; patch?: Omit<Patch, 'attributes'> }[]): CallOutcome[] {
  let attributes: Record<string, string> = {};
  const reported: CallOutcome[] = [];
  for (const { name, patch } of steps) {
    const step = handleSmaEvent(event(name, { ...patch, attributes }));
    if (step.report) {
      expect(step.report.taskToken).toBe(TOKEN);
      reported.push(step.report.outcome);
    }
    attributes = { ...(step.response.TransactionAttributes ?? attributes) };
  }
  return reported;
}

describe('R10–R12 whole calls report exactly one outcome', () => {
  const placed = { name: 'new-outbound-call', patch: { arguments: STORED } } as const;
  const hungUp = { name: 'hangup', patch: { sipResponseCode: 0 } } as const;

  it('# pressed: approved once, and the hang-up that follows adds nothing', () => {
    expect(
      playCall([placed, { name: 'ringing' }, { name: 'call-answered' }, { name: 'speak-and-get-digits-successful', patch: { digits: '#' } }, hungUp]),
    ).toEqual(['approved']);
  });

  it('answered, then hung up during the prompt: denied once (R11)', () => {
    expect(playCall([placed, { name: 'call-answered' }, hungUp])).toEqual(['denied']);
  });

  it('voicemail: one voicemail, not a denial when our own hang-up comes back', () => {
    expect(playCall([placed, { name: 'call-answered' }, { name: 'speak-and-get-digits-failed' }, hungUp])).toEqual(['voicemail']);
  });

  it('busy: rings, then the network hangs up with 486', () => {
    expect(playCall([placed, { name: 'ringing' }, { name: 'hangup' }])).toEqual(['busy']);
  });
});

class RecordingCallbacks implements TaskCallbacks {
  readonly sent: { token: string; output: JsonValue }[] = [];
  readonly heartbeats: string[] = [];
  constructor(
    private readonly answer: () => Promise<CallbackDelivery> = async () => ({ kind: 'delivered' }),
    private readonly alive: () => Promise<CallbackDelivery> = async () => ({ kind: 'delivered' }),
  ) {}

  async sendTaskHeartbeat(token: string): Promise<CallbackDelivery> {
    this.heartbeats.push(token);
    return this.alive();
  }

  async sendTaskSuccess(token: string, output: JsonValue): Promise<CallbackDelivery> {
    this.sent.push({ token, output });
    return this.answer();
  }

  async sendTaskFailure(): Promise<CallbackDelivery> {
    throw new Error('not used');
  }
}

describe('the SIP media application Lambda body', () => {
  it('reports the outcome with SendTaskSuccess and answers Chime with the actions', async () => {
    const callbacks = new RecordingCallbacks();
    const log = new SilentLog();
    const response: SmaResponse = await smaEventHandler({ callbacks, log })(
      JSON.parse(JSON.stringify(event('speak-and-get-digits-successful', { attributes: ANSWERED }))),
    );
    expect(callbacks.sent).toEqual([{ token: TOKEN, output: { outcome: 'approved' } }]);
    expect(response.Actions).toEqual([GOODBYE_ACTION, HANGUP_ACTION]);
    expect(log.entries).toEqual([
      expect.objectContaining({
        level: 'info',
        extra: [{ transactionId: '8c9372d0-e766-4890-823a-32ca8403201a', eventType: 'ACTION_SUCCESSFUL', outcome: 'approved', delivery: 'delivered' }],
      }),
    ]);
    expect(JSON.stringify(log.entries)).not.toMatch(new RegExp(`${TOKEN}|4155550101`));
  });

  it('sends nothing for events that decide nothing', async () => {
    const callbacks = new RecordingCallbacks();
    await smaEventHandler({ callbacks, log: new SilentLog() })(event('ringing', { attributes: STORED }));
    expect(callbacks.sent).toEqual([]);
  });

  it('R10: a # pressed after the task ended approves nothing, and the caller is told so before the hang-up', async () => {
    const callbacks = new RecordingCallbacks(async () => ({ kind: 'expired' }));
    const log = new SilentLog();
    const response = await smaEventHandler({ callbacks, log })(event('speak-and-get-digits-successful', { attributes: ANSWERED }));
    expect(response.Actions).toEqual([TASK_ENDED_ACTION, HANGUP_ACTION]);
    expect(JSON.stringify(response.Actions)).not.toContain(VOICE_GOODBYE);
    expect(log.entries[0]?.extra[0]).toMatchObject({ delivery: 'expired' });
  });

  it('R14: a 0# after the task ended is told the same: nothing was recorded', async () => {
    const callbacks = new RecordingCallbacks(async () => ({ kind: 'expired' }));
    const response = await smaEventHandler({ callbacks, log: new SilentLog() })(
      event('speak-and-get-digits-successful', { attributes: ANSWERED, digits: '0#' }),
    );
    expect(response.Actions).toEqual([TASK_ENDED_ACTION, HANGUP_ACTION]);
  });

  it('a call answered after its task ended (timed out, or its rollover is over) is hung up without the prompt, and says why', async () => {
    const callbacks = new RecordingCallbacks(undefined, async () => ({ kind: 'expired' }));
    const response = await smaEventHandler({ callbacks, log: new SilentLog() })(event('call-answered', { attributes: STORED }));
    expect(callbacks.heartbeats).toEqual([TOKEN]);
    expect(response.Actions).toEqual([TASK_ENDED_ACTION, HANGUP_ACTION]);
    expect(callbacks.sent).toEqual([]);
    // Settled: the hang-up that follows reports nothing to anyone.
    expect(response.TransactionAttributes?.[CALL_ATTRIBUTE.settled]).toBeDefined();
  });

  it('a call answered while its task waits gets the prompt; so does one whose task cannot be checked (a late # still approves nothing)', async () => {
    for (const heartbeat of [async (): Promise<CallbackDelivery> => ({ kind: 'delivered' }), async (): Promise<CallbackDelivery> => {
      throw Object.assign(new Error('throttled'), { name: 'ThrottlingException' });
    }]) {
      const callbacks = new RecordingCallbacks(undefined, heartbeat);
      const response = await smaEventHandler({ callbacks, log: new SilentLog() })(event('call-answered', { attributes: STORED }));
      expect(response.Actions.map((a) => a.Type)).toEqual(['SpeakAndGetDigits']);
    }
  });

  it('a failed report is logged and the call still ends (the task will time out and roll over)', async () => {
    const callbacks = new RecordingCallbacks(async () => {
      throw Object.assign(new Error('throttled'), { name: 'ThrottlingException' });
    });
    const log = new SilentLog();
    const response = await smaEventHandler({ callbacks, log })(event('speak-and-get-digits-failed', { attributes: ANSWERED }));
    expect(response.Actions).toEqual([HANGUP_ACTION]);
    expect(log.entries).toEqual([expect.objectContaining({ level: 'error', extra: [expect.objectContaining({ error: 'ThrottlingException' })] })]);
  });

  it('an unreadable event gets an empty action list, not a crash', async () => {
    const log = new SilentLog();
    await expect(smaEventHandler({ callbacks: new RecordingCallbacks(), log })({ hello: 'world' })).resolves.toEqual({
      SchemaVersion: '1.0',
      Actions: [],
    });
    expect(log.entries.map((e) => e.level)).toEqual(['warn']);
  });
});
