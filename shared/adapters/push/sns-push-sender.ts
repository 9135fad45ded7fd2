import {
  CreatePlatformEndpointCommand,
  InvalidParameterException,
  NotFoundException,
  PublishCommand,
  SetEndpointAttributesCommand,
  type SNSClient,
} from '@aws-sdk/client-sns';
import { ValidationError } from '../../domain/errors';
import type { PushPlatform } from '../../domain/types';
import type { PushPrompt, PushSender } from '../../ports';

/**
 * How SNS names the endpoint that already holds a token with other attributes (its
 * CustomUserData: the device id of an earlier activation), in the InvalidParameter message.
 */
const EXISTING_ENDPOINT = /Endpoint (arn:aws[a-z-]*:sns:[^ ]+) already exists with the same [Tt]oken/;

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

  /**
   * R18: SNS's documented pattern for a token that may be registered already (the same phone
   * activated again, say after a provider change): create; if SNS answers that the token has an
   * endpoint with other attributes, take that endpoint's ARN from the error and set its Token,
   * Enabled=true (SNS disables endpoints the push service rejected) and CustomUserData (the new
   * device id). An endpoint deleted meanwhile is created again, once.
   */
  async register(input: { platform: PushPlatform; token: string; deviceId: string }): Promise<string> {
    const application = this.applications[input.platform];
    if (!application) throw new Error(`No SNS platform application is configured for ${input.platform}`);
    for (let attempt = 0; ; attempt++) {
      const existing = await this.create(application, input);
      if (existing.kind === 'created') return existing.arn;
      try {
        await this.sns.send(
          new SetEndpointAttributesCommand({
            EndpointArn: existing.arn,
            Attributes: { Token: input.token, Enabled: 'true', CustomUserData: input.deviceId },
          }),
        );
        return existing.arn;
      } catch (error) {
        if (!(error instanceof NotFoundException) || attempt > 0) throw error;
      }
    }
  }

  private async create(application: string, input: { token: string; deviceId: string }): Promise<{ kind: 'created' | 'exists'; arn: string }> {
    try {
      const out = await this.sns.send(
        new CreatePlatformEndpointCommand({ PlatformApplicationArn: application, Token: input.token, CustomUserData: input.deviceId }),
      );
      if (!out.EndpointArn) throw new Error('SNS created no platform endpoint');
      return { kind: 'created', arn: out.EndpointArn };
    } catch (error) {
      if (!(error instanceof InvalidParameterException)) throw error;
      const arn = EXISTING_ENDPOINT.exec(error.message)?.[1];
      if (arn) return { kind: 'exists', arn };
      // Any other InvalidParameter is about what the phone sent (a malformed token): bad input, R29.
      throw new ValidationError('The push token is not valid for this platform', [{ pointer: '/pushToken', detail: 'refused by the push service' }]);
    }
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
