import { redactPhoneNumbers } from '../../domain/mask';
import type { Log, Metrics, SmsMessage, SmsSender } from '../../ports';

/** Tries each sender in order until one accepts the message (R16: automatic failover). */
export class FailoverSmsSender implements SmsSender {
  readonly name: string;

  constructor(
    private readonly senders: readonly SmsSender[],
    private readonly log: Log,
    /** R16's figures: sent per provider, provider failures, failovers and undelivered messages. */
    private readonly metrics?: Metrics,
  ) {
    if (senders.length === 0) throw new Error('FailoverSmsSender needs at least one sender');
    this.name = senders.map((s) => s.name).join('>');
  }

  async send(message: SmsMessage): Promise<{ provider: string; messageId: string }> {
    const failures: unknown[] = [];
    for (const sender of this.senders) {
      try {
        const sent = await sender.send(message);
        this.metrics?.count('SmsSent', 1, { provider: sender.name });
        if (failures.length > 0) this.metrics?.count('SmsFailovers', 1);
        return sent;
      } catch (error) {
        failures.push(error);
        this.metrics?.count('SmsProviderFailures', 1, { provider: sender.name });
        // R28: providers repeat the destination in their error messages; it never reaches the log.
        this.log.warn('sms provider failed, trying the next', { provider: sender.name, error: redactPhoneNumbers(String(error)) });
      }
    }
    this.metrics?.count('SmsUndelivered', 1);
    throw new AggregateError(failures, 'Every SMS provider refused the message');
  }
}
