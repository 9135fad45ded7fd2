import { CreatePlatformEndpointCommand, PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { SnsPushSender } from '../../shared/adapters/push/sns-push-sender';

const IOS_APP = 'arn:aws:sns:eu-west-1:123456789012:app/APNS/tessera-test-ios';
const ENDPOINT = 'arn:aws:sns:eu-west-1:123456789012:endpoint/APNS/tessera-test-ios/0f1e2d3c';

describe('SnsPushSender (R9 on AWS)', () => {
  const sns = mockClient(SNSClient);
  const sender = new SnsPushSender(new SNSClient({}), { ios: IOS_APP, android: undefined });

  beforeEach(() => sns.reset());

  it('registers the phone token as an endpoint of its platform application', async () => {
    sns.on(CreatePlatformEndpointCommand).resolves({ EndpointArn: ENDPOINT });
    await expect(sender.register({ platform: 'ios', token: 'apns-token', deviceId: 'dv_1' })).resolves.toBe(ENDPOINT);
    expect(sns.commandCalls(CreatePlatformEndpointCommand)[0]?.args[0].input).toEqual({
      PlatformApplicationArn: IOS_APP,
      Token: 'apns-token',
      CustomUserData: 'dv_1',
    });
  });

  it('refuses a platform without an application', async () => {
    await expect(sender.register({ platform: 'android', token: 't', deviceId: 'dv_1' })).rejects.toThrow(/android/);
    expect(sns.commandCalls(CreatePlatformEndpointCommand)).toHaveLength(0);
  });

  it('publishes the prompt to the endpoint, with app name, location and IP but no number', async () => {
    sns.on(PublishCommand).resolves({ MessageId: 'm1' });
    const prompt = { deviceId: 'dv_1', challengeId: 'ch_1', appName: 'Payroll', location: 'Zurich', clientIp: '203.0.113.7', expiresAt: '2030-01-01T00:00:00.000Z' };
    await sender.send(ENDPOINT, prompt);
    const input = sns.commandCalls(PublishCommand)[0]?.args[0].input;
    expect(input).toMatchObject({ TargetArn: ENDPOINT, MessageStructure: 'json' });
    const message = JSON.parse(input?.Message as string) as Record<string, string>;
    const apns = JSON.parse(message.APNS as string) as { tessera: Record<string, unknown> };
    expect(apns.tessera).toMatchObject(prompt);
    expect(JSON.parse(message.GCM as string)).toMatchObject({ data: prompt });
    expect(input?.Message).not.toMatch(/number/);
  });
});
