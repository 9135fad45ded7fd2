import { CreatePlatformEndpointCommand, PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { PushPlatform } from '../../domain/types';
import type { PushPrompt, PushSender } from '../../ports';

/**
 * R9 on AWS: SNS mobile push. Activation registers the phone's token as a platform endpoint of
 * the platform application for its platform (APNs for iOS, FCM for Android); each prompt is
 * published to that endpoint. The prompt carries the app name, location and IP, never the
 * number to match: the user reads that off the sign-in screen.
 */
export class SnsPushSender implements PushSender {
  constructor(
    private readonly sns: SNSClient,
    /** The SNS platform application ARN of each platform. */
    private readonly applications: Readonly<Record<PushPlatform, string | undefined>>,
  ) {}

  async register(input: { platform: PushPlatform; token: string; deviceId: string }): Promise<string> {
    const application = this.applications[input.platform];
    if (!application) throw new Error(`No SNS platform application is configured for ${input.platform}`);
    const out = await this.sns.send(
      new CreatePlatformEndpointCommand({ PlatformApplicationArn: application, Token: input.token, CustomUserData: input.deviceId }),
    );
    if (!out.EndpointArn) throw new Error('SNS created no platform endpoint');
    return out.EndpointArn;
  }

  async send(endpoint: string, prompt: PushPrompt): Promise<void> {
    const title = `Sign-in request${prompt.appName ? ` for ${prompt.appName}` : ''}`;
    const body = [prompt.location, prompt.clientIp].filter(Boolean).join(' · ') || 'Open the app to approve or deny';
    const data = { type: 'tessera.push', ...prompt };
    const apns = JSON.stringify({ aps: { alert: { title, body }, 'content-available': 1 }, tessera: data });
    await this.sns.send(
      new PublishCommand({
        TargetArn: endpoint,
        MessageStructure: 'json',
        Message: JSON.stringify({
          default: title,
          APNS: apns,
          APNS_SANDBOX: apns,
          GCM: JSON.stringify({ notification: { title, body }, data }),
        }),
      }),
    );
  }
}
