import { ChimeSDKVoiceClient, CreateSipRuleCommand, DeleteSipRuleCommand, NotFoundException, UpdateSipRuleCommand } from '@aws-sdk/client-chime-sdk-voice';
import { mockClient } from 'aws-sdk-client-mock';
import { applySipRule, customResourceEvent, respondToCloudFormation, type CustomResourceEvent } from '../../../shared/adapters/voice/sip-rules';

const chimeMock = mockClient(ChimeSDKVoiceClient);
const chime = () => new ChimeSDKVoiceClient({ region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
const PROPS = { Name: 'tessera-prod-14155550199', PhoneNumber: '+14155550199', SipMediaApplicationId: 'sma-1', AwsRegion: 'us-east-1', ServiceToken: 'arn:fn' };
const TARGETS = [{ SipMediaApplicationId: 'sma-1', Priority: 1, AwsRegion: 'us-east-1' }];

function request(type: 'Create' | 'Update' | 'Delete', extra: Partial<CustomResourceEvent> & { OldResourceProperties?: unknown } = {}): CustomResourceEvent {
  return customResourceEvent.parse({
    RequestType: type,
    ResponseURL: 'https://cloudformation-custom-resource-response.s3.amazonaws.com/signed',
    StackId: 'arn:aws:cloudformation:us-east-1:123456789012:stack/Tessera-prod-Api/1',
    RequestId: 'req-1',
    LogicalResourceId: 'VoiceSipRule14155550199',
    ResourceProperties: PROPS,
    ...extra,
  });
}

beforeEach(() => chimeMock.reset());

describe('R15 the caller-ID SIP rule custom resource', () => {
  it('Create makes a ToPhoneNumber rule into the SIP media application; its id becomes the physical id', async () => {
    chimeMock.on(CreateSipRuleCommand).resolves({ SipRule: { SipRuleId: 'rule-1' } });
    await expect(applySipRule(chime(), request('Create'))).resolves.toBe('sip-rule:rule-1');
    expect(chimeMock.commandCalls(CreateSipRuleCommand).map((c) => c.args[0].input)).toEqual([
      { Name: PROPS.Name, TriggerType: 'ToPhoneNumber', TriggerValue: '+14155550199', TargetApplications: TARGETS },
    ]);
  });

  it('Update of the same number changes the rule in place; a new number creates a new rule (CloudFormation then deletes the old)', async () => {
    chimeMock.on(UpdateSipRuleCommand).resolves({});
    chimeMock.on(CreateSipRuleCommand).resolves({ SipRule: { SipRuleId: 'rule-2' } });
    await expect(applySipRule(chime(), request('Update', { PhysicalResourceId: 'sip-rule:rule-1', OldResourceProperties: PROPS }))).resolves.toBe('sip-rule:rule-1');
    expect(chimeMock.commandCalls(UpdateSipRuleCommand)[0]?.args[0].input).toEqual({ SipRuleId: 'rule-1', Name: PROPS.Name, Disabled: false, TargetApplications: TARGETS });
    const moved = request('Update', { PhysicalResourceId: 'sip-rule:rule-1', OldResourceProperties: { ...PROPS, PhoneNumber: '+14155550100' } });
    await expect(applySipRule(chime(), moved)).resolves.toBe('sip-rule:rule-2');
  });

  it('Delete disables the rule before deleting it, as Chime requires; a Create that never made a rule deletes nothing', async () => {
    chimeMock.on(UpdateSipRuleCommand).resolves({});
    chimeMock.on(DeleteSipRuleCommand).resolves({});
    await applySipRule(chime(), request('Delete', { PhysicalResourceId: 'sip-rule:rule-1' }));
    expect(chimeMock.calls().map((c) => c.args[0].constructor.name)).toEqual(['UpdateSipRuleCommand', 'DeleteSipRuleCommand']);
    expect(chimeMock.commandCalls(UpdateSipRuleCommand)[0]?.args[0].input).toMatchObject({ SipRuleId: 'rule-1', Disabled: true });
    chimeMock.reset();
    await expect(applySipRule(chime(), request('Delete', { PhysicalResourceId: 'none' }))).resolves.toBe('none');
    expect(chimeMock.calls()).toHaveLength(0);
  });

  it('Delete of a rule already gone succeeds (deleted by hand, or by an earlier attempt); other errors still fail it', async () => {
    const gone = new NotFoundException({ message: 'SIP rule not found', $metadata: {} });
    chimeMock.on(UpdateSipRuleCommand).rejects(gone);
    chimeMock.on(DeleteSipRuleCommand).rejects(gone);
    await expect(applySipRule(chime(), request('Delete', { PhysicalResourceId: 'sip-rule:rule-1' }))).resolves.toBe('sip-rule:rule-1');
    chimeMock.on(UpdateSipRuleCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException' }));
    await expect(applySipRule(chime(), request('Delete', { PhysicalResourceId: 'sip-rule:rule-1' }))).rejects.toThrow('denied');
  });

  it('refuses a number that is not E.164 before calling Chime', async () => {
    await expect(applySipRule(chime(), request('Create', { ResourceProperties: { ...PROPS, PhoneNumber: '4155550199' } }))).rejects.toThrow();
    expect(chimeMock.calls()).toHaveLength(0);
  });

  it('answers CloudFormation with SUCCESS or FAILED and the ids it needs', async () => {
    const sent: { url: string; body: Record<string, unknown> }[] = [];
    const put = async (url: string, body: string) => {
      sent.push({ url, body: JSON.parse(body) as Record<string, unknown> });
    };
    await respondToCloudFormation(request('Create'), { ok: true, physicalId: 'sip-rule:rule-1' }, put);
    await respondToCloudFormation(request('Create'), { ok: false, physicalId: 'none', reason: 'AccessDenied: no' }, put);
    expect(sent.map((s) => s.body)).toEqual([
      { Status: 'SUCCESS', PhysicalResourceId: 'sip-rule:rule-1', StackId: expect.stringContaining('Tessera-prod-Api'), RequestId: 'req-1', LogicalResourceId: 'VoiceSipRule14155550199' },
      { Status: 'FAILED', Reason: 'AccessDenied: no', PhysicalResourceId: 'none', StackId: expect.any(String), RequestId: 'req-1', LogicalResourceId: 'VoiceSipRule14155550199' },
    ]);
    expect(sent[0]?.url).toMatch(/^https:\/\/cloudformation-custom-resource-response/);
  });
});
