import { ChimeSDKVoiceClient, CreateSipMediaApplicationCallCommand } from '@aws-sdk/client-chime-sdk-voice';
import { InvalidToken, SendTaskFailureCommand, SendTaskSuccessCommand, SFNClient, TaskDoesNotExist, TaskTimedOut } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { ChimeVoiceDialer } from '../../../shared/adapters/voice/chime-dialer';
import { handleSmaEvent, smaEventSchema } from '../../../shared/adapters/voice/chime-sip-handler';
import { placeCall } from '../../../shared/voice/place-call';
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
    await placeCall(payload, new ChimeVoiceDialer(new ChimeSDKVoiceClient({ region, credentials }), SMA_ID));
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
    await expect(placeCall({ ...payload, to: '0800 FRAUD' }, { dial })).rejects.toThrow();
    expect(dial).not.toHaveBeenCalled();
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
    await expect(callbacks().sendTaskSuccess('tok', { outcome: 'approved' })).resolves.toEqual({ kind: 'expired' });
    await expect(callbacks().sendTaskFailure('tok', { error: 'X' })).resolves.toEqual({ kind: 'expired' });
  });

  it('a malformed token or any other failure is thrown', async () => {
    sfnMock.on(SendTaskSuccessCommand).rejectsOnce(new InvalidToken({ message: 'bad', ...meta })).rejectsOnce(new Error('Throttling'));
    await expect(callbacks().sendTaskSuccess('tok', { outcome: 'approved' })).rejects.toBeInstanceOf(InvalidToken);
    await expect(callbacks().sendTaskSuccess('tok', { outcome: 'approved' })).rejects.toThrow('Throttling');
  });
});
