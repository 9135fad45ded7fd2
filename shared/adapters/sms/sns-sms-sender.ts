import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { SmsMessage, SmsSender } from '../../ports';

/** Primary SMS route (R16): SNS Publish to a phone number, as a transactional message. */
export class SnsSmsSender implements SmsSender {
  readonly name = 'sns';

  constructor(private readonly sns: SNSClient) {}

  async send(message: SmsMessage): Promise<{ provider: string; messageId: string }> {
    const out = await this.sns.send(
      new PublishCommand({
        PhoneNumber: message.to,
        Message: message.body,
        MessageAttributes: {
          'AWS.SNS.SMS.SMSType': { DataType: 'String', StringValue: 'Transactional' },
        },
      }),
    );
    if (!out.MessageId) throw new Error('SNS accepted no message');
    return { provider: this.name, messageId: out.MessageId };
  }
}
