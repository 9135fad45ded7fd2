import { SendTextMessageCommand, type PinpointSMSVoiceV2Client } from '@aws-sdk/client-pinpoint-sms-voice-v2';
import { CODE_TTL_SECONDS } from '../../rules';
import type { SmsMessage, SmsSender } from '../../ports';

/**
 * Second SMS route (R16): AWS End User Messaging (pinpoint-sms-voice-v2 SendTextMessage). The
 * message may not outlive its code, so TimeToLive is the code's validity.
 */
export class EndUserMessagingSmsSender implements SmsSender {
  readonly name = 'end-user-messaging';

  constructor(
    private readonly client: PinpointSMSVoiceV2Client,
    private readonly originationIdentity?: string,
  ) {}

  async send(message: SmsMessage): Promise<{ provider: string; messageId: string }> {
    const out = await this.client.send(
      new SendTextMessageCommand({
        DestinationPhoneNumber: message.to,
        MessageBody: message.body,
        MessageType: 'TRANSACTIONAL',
        TimeToLive: CODE_TTL_SECONDS,
        ...(this.originationIdentity ? { OriginationIdentity: this.originationIdentity } : {}),
      }),
    );
    if (!out.MessageId) throw new Error('End User Messaging accepted no message');
    return { provider: this.name, messageId: out.MessageId };
  }
}
