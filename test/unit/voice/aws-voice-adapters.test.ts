import { ChimeSDKVoiceClient, CreateSipMediaApplicationCallCommand } from '@aws-sdk/client-chime-sdk-voice';
import {
  InvalidToken,
  SendTaskFailureCommand,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
  SFNClient,
  TaskDoesNotExist,
  TaskTimedOut,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { ChimeVoiceDialer } from '../../../shared/adapters/voice/chime-dialer';
import { handleSmaEvent, smaEventSchema } from '../../../shared/adapters/voice/chime-sip-handler';
import { NUMBER_OVER_CAP_ERROR, placeCall } from '../../../shared/voice/place-call';
import { MESSAGES_PER_NUMBER_PER_HOUR } from '../../../shared/rules';
import { FakeClock, InMemoryThrottleStore, SilentLog } from '../../support/fakes';
import { voicePrompt } from '../../../shared/voice/rules';
import { SfnTaskCallbacks } from '../../../shared/adapters/voice/sfn-callbacks';

const region = 'eu-west-1';
const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
const SMA_ID = 'c1b0e1e2-90a5-4b4a-9d2f-3f1a8e0c7a11';
const CALL = { to: '+14155550101', callerId: '+12065550199', prompt: 'Press the pound key.', taskToken: 'AQCEAAAAKgAAAAMAAAAAtoken' };

const chimeMock = mockClient(ChimeSDKVoiceClient);
const sfnMock = mockClient(SFNClient);

beforeEach(() => {
  chimeMock.reset();
  sfnMock.reset();
});

describe('R15 ChimeVoiceDialer places the call from the tenant\'s caller ID', () => {
  const dialer = () => new ChimeVoiceDialer(new ChimeSDKVoiceClient({ region, credentials }), SMA_ID);

  it('sends exactly one CreateSipMediaApplicationCall carrying the task token and the prompt', async () => {
    chimeMock.on(CreateSipMediaApplicationCallCommand).resolves({ SipMediaApplicationCall: { TransactionId: 'tx-1' } });
    await expect(dialer().dial(CALL)).resolves.toEqual({ callId: 'tx-1' });
    expect(chimeMock.commandCalls(CreateSipMediaApplicationCallCommand).map((c) => c.args[0].input)).toEqual([
      {
        FromPhoneNumber: '+12065550199',
        ToPhoneNumber: '+14155550101',
        SipMediaApplicationId: SMA_ID,
        ArgumentsMap: { TaskToken0: CALL.taskToken, Prompt: 'Press the pound key.' },
      },
    ]);
  });

  it('splits a token longer than an attribute may hold', async () => {
    chimeMock.on(CreateSipMediaApplicationCallCommand).resolves({ SipMediaApplicationCall: { TransactionId: 'tx-2' } });
    const taskToken = 'a'.repeat(1024) + 'b'.repeat(600);
    await dialer().dial({ ...CALL, taskToken });
    expect(chimeMock.commandCalls(CreateSipMediaApplicationCallCommand)[0]?.args[0].input.ArgumentsMap).toEqual({
      TaskToken0: 'a'.repeat(1024),
      TaskToken1: 'b'.repeat(600),
      Prompt: 'Press the pound key.',
    });
  });

  it('fails when Chime places no call, or refuses', async () => {
    chimeMock.on(CreateSipMediaApplicationCallCommand).resolvesOnce({}).rejectsOnce(new Error('BadRequestException'));
    await expect(dialer().dial(CALL)).rejects.toThrow(/placed no call/);
    await expect(dialer().dial(CALL)).rejects.toThrow(/BadRequestException/);
  });
});

describe('R10/R15 placeCall → Chime → SIP media application: one token, end to end', () => {
  const payload = {
    taskToken: 'T'.repeat(1100),
    challengeId: 'ch_1',
    tenantId: 'tn_a',
    attempt: 1,
    to: '+14155550102',
    callerId: '+12065550199',
    appName: 'Acme VPN',
  };

  it('the handler reports on the very token the call task handed to placeCall', async () => {
    chimeMock.on(CreateSipMediaApplicationCallCommand).resolves({ SipMediaApplicationCall: { TransactionId: 'tx-3' } });
    const dialer = new ChimeVoiceDialer(new ChimeSDKVoiceClient({ region, credentials }), SMA_ID);
    await placeCall(payload, { dialer, throttle: new InMemoryThrottleStore(), clock: new FakeClock(), log: new SilentLog() });
    const input = chimeMock.commandCalls(CreateSipMediaApplicationCallCommand)[0]!.args[0].input;
    expect(input).toMatchObject({ FromPhoneNumber: payload.callerId, ToPhoneNumber: payload.to });
    expect(input.ArgumentsMap?.Prompt).toBe(voicePrompt('Acme VPN'));

    const details = { TransactionId: 'tx-3', Participants: [{ CallId: 'leg-a', ParticipantTag: 'LEG-A' }] };
    const placed = handleSmaEvent(
      smaEventSchema.parse({
        SchemaVersion: '1.0',
        InvocationEventType: 'NEW_OUTBOUND_CALL',
        ActionData: { Type: 'CallCreateRequest', Parameters: { Arguments: input.ArgumentsMap } },
        CallDetails: details,
      }),
    );
    const hungUp = handleSmaEvent(
      smaEventSchema.parse({
        SchemaVersion: '1.0',
        InvocationEventType: 'HANGUP',
        ActionData: { Type: 'Hangup', Parameters: { SipResponseCode: 486, CallId: 'leg-a' } },
        CallDetails: { ...details, TransactionAttributes: placed.response.TransactionAttributes },
      }),
    );
    expect(hungUp.report).toEqual({ taskToken: payload.taskToken, outcome: 'busy' });
  });

  it('refuses a malformed payload before dialling (the task fails and rolls over)', async () => {
    const dial = jest.fn();
    const throttle = new InMemoryThrottleStore();
    await expect(placeCall({ ...payload, to: '0800 FRAUD' }, { dialer: { dial }, throttle, clock: new FakeClock(), log: new SilentLog() })).rejects.toThrow();
    expect(dial).not.toHaveBeenCalled();
  });

  it('R6: takes the number\'s hourly unit right before the dial; over the cap, nothing is dialled and the task fails as NumberOverCap', async () => {
    chimeMock.on(CreateSipMediaApplicationCallCommand).resolves({ SipMediaApplicationCall: { TransactionId: 'tx-4' } });
    const clock = new FakeClock();
    const throttle = new InMemoryThrottleStore();
    const log = new SilentLog();
    const dialer = new ChimeVoiceDialer(new ChimeSDKVoiceClient({ region, credentials }), SMA_ID);
    for (let i = 0; i < MESSAGES_PER_NUMBER_PER_HOUR; i++) await placeCall(payload, { dialer, throttle, clock, log });
    expect(throttle.count('number_rate', payload.to, 3600, clock.now())).toBe(MESSAGES_PER_NUMBER_PER_HOUR);
    await expect(placeCall(payload, { dialer, throttle, clock, log })).rejects.toMatchObject({ name: NUMBER_OVER_CAP_ERROR });
    expect(chimeMock.commandCalls(CreateSipMediaApplicationCallCommand)).toHaveLength(MESSAGES_PER_NUMBER_PER_HOUR);
    // Logged without the number (R28): only its last four digits.
    expect(JSON.stringify(log.entries)).not.toContain(payload.to.slice(1));
    expect(log.entries).toContainEqual(expect.objectContaining({ level: 'warn', message: expect.stringContaining('hourly cap') }));
  });
});

describe('SfnTaskCallbacks completes the waiting call task', () => {
  const callbacks = () => new SfnTaskCallbacks(new SFNClient({ region, credentials }));
  const meta = { $metadata: {} };

  it('SendTaskSuccess with the outcome as JSON', async () => {
    sfnMock.on(SendTaskSuccessCommand).resolves({});
    await expect(callbacks().sendTaskSuccess('tok', { outcome: 'approved' })).resolves.toEqual({ kind: 'delivered' });
    expect(sfnMock.commandCalls(SendTaskSuccessCommand).map((c) => c.args[0].input)).toEqual([
      { taskToken: 'tok', output: '{"outcome":"approved"}' },
    ]);
  });

  it('SendTaskFailure with the error and cause', async () => {
    sfnMock.on(SendTaskFailureCommand).resolves({});
    await expect(callbacks().sendTaskFailure('tok', { error: 'Chime.CallFailed', cause: 'SIP 503' })).resolves.toEqual({ kind: 'delivered' });
    expect(sfnMock.commandCalls(SendTaskFailureCommand).map((c) => c.args[0].input)).toEqual([
      { taskToken: 'tok', error: 'Chime.CallFailed', cause: 'SIP 503' },
    ]);
  });

  it.each([
    ['TaskTimedOut', new TaskTimedOut({ message: 'timed out', ...meta })],
    ['TaskDoesNotExist', new TaskDoesNotExist({ message: 'gone', ...meta })],
  ])('a report on a task that stopped waiting (%s) is expired, not an error', async (_name, error) => {
    sfnMock.on(SendTaskSuccessCommand).rejects(error);
    sfnMock.on(SendTaskFailureCommand).rejects(error);
    sfnMock.on(SendTaskHeartbeatCommand).rejects(error);
    await expect(callbacks().sendTaskSuccess('tok', { outcome: 'approved' })).resolves.toEqual({ kind: 'expired' });
    await expect(callbacks().sendTaskFailure('tok', { error: 'X' })).resolves.toEqual({ kind: 'expired' });
    await expect(callbacks().sendTaskHeartbeat('tok')).resolves.toEqual({ kind: 'expired' });
  });

  it('SendTaskHeartbeat asks whether the call task still waits, with the token only', async () => {
    sfnMock.on(SendTaskHeartbeatCommand).resolves({});
    await expect(callbacks().sendTaskHeartbeat('tok')).resolves.toEqual({ kind: 'delivered' });
    expect(sfnMock.commandCalls(SendTaskHeartbeatCommand).map((c) => c.args[0].input)).toEqual([{ taskToken: 'tok' }]);
  });

  it('a malformed token or any other failure is thrown', async () => {
    sfnMock.on(SendTaskSuccessCommand).rejectsOnce(new InvalidToken({ message: 'bad', ...meta })).rejectsOnce(new Error('Throttling'));
    await expect(callbacks().sendTaskSuccess('tok', { outcome: 'approved' })).rejects.toBeInstanceOf(InvalidToken);
    await expect(callbacks().sendTaskSuccess('tok', { outcome: 'approved' })).rejects.toThrow('Throttling');
  });
});
