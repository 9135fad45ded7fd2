import {
  CreatePlatformEndpointCommand,
  InternalErrorException,
  InvalidParameterException,
  NotFoundException,
  PublishCommand,
  SetEndpointAttributesCommand,
  SNSClient,
} from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { SnsPushSender } from '../../shared/adapters/push/sns-push-sender';
import { ValidationError } from '../../shared/domain/errors';

const IOS_APP = 'arn:aws:sns:eu-west-1:123456789012:app/APNS/tessera-test-ios';
const ENDPOINT = 'arn:aws:sns:eu-west-1:123456789012:endpoint/APNS/tessera-test-ios/0f1e2d3c';

/** What SNS answers (HTTP 400, code InvalidParameter) when the token has an endpoint whose attributes differ. */
const alreadyExists = (arn = ENDPOINT) =>
  new InvalidParameterException({
    message: `Invalid parameter: Token Reason: Endpoint ${arn} already exists with the same Token, but different attributes.`,
    $metadata: { httpStatusCode: 400, requestId: 'b2c3' },
  });

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

  it('R18: a token already registered with other attributes: the endpoint named in the error gets the token, Enabled=true and the new device id', async () => {
    sns.on(CreatePlatformEndpointCommand).rejects(alreadyExists());
    sns.on(SetEndpointAttributesCommand).resolves({});
    await expect(sender.register({ platform: 'ios', token: 'apns-token', deviceId: 'dv_2' })).resolves.toBe(ENDPOINT);
    expect(sns.commandCalls(SetEndpointAttributesCommand).map((c) => c.args[0].input)).toEqual([
      { EndpointArn: ENDPOINT, Attributes: { Token: 'apns-token', Enabled: 'true', CustomUserData: 'dv_2' } },
    ]);
  });

  it('R18: reads the endpoint ARN of any partition out of the error (aws-cn, aws-us-gov)', async () => {
    const china = 'arn:aws-cn:sns:cn-north-1:123456789012:endpoint/APNS/tessera-test-ios/9a8b';
    sns.on(CreatePlatformEndpointCommand).rejects(alreadyExists(china));
    sns.on(SetEndpointAttributesCommand).resolves({});
    await expect(sender.register({ platform: 'ios', token: 'apns-token', deviceId: 'dv_3' })).resolves.toBe(china);
  });

  it('R18: an endpoint deleted between the conflict and the update is created again', async () => {
    sns.on(CreatePlatformEndpointCommand).rejectsOnce(alreadyExists()).resolves({ EndpointArn: ENDPOINT });
    sns.on(SetEndpointAttributesCommand).rejects(new NotFoundException({ message: 'Endpoint does not exist', $metadata: { httpStatusCode: 404 } }));
    await expect(sender.register({ platform: 'ios', token: 'apns-token', deviceId: 'dv_4' })).resolves.toBe(ENDPOINT);
    expect(sns.commandCalls(CreatePlatformEndpointCommand)).toHaveLength(2);
  });

  it('R29: a token SNS refuses as invalid is bad input (a 400), not a 500', async () => {
    sns.on(CreatePlatformEndpointCommand).rejects(
      new InvalidParameterException({
        message: 'Invalid parameter: Token Reason: iOS device tokens must be no more than 400 hexadecimal characters',
        $metadata: { httpStatusCode: 400 },
      }),
    );
    await expect(sender.register({ platform: 'ios', token: 'zz', deviceId: 'dv_5' })).rejects.toThrow(ValidationError);
    expect(sns.commandCalls(SetEndpointAttributesCommand)).toHaveLength(0);
  });

  it('other SNS failures reach the caller as they are (a transient one becomes a 503 there)', async () => {
    const internal = new InternalErrorException({ message: 'Internal error', $metadata: { httpStatusCode: 500 } });
    sns.on(CreatePlatformEndpointCommand).rejects(internal);
    await expect(sender.register({ platform: 'ios', token: 'apns-token', deviceId: 'dv_6' })).rejects.toBe(internal);
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
