import type { Log, SmsMessage, SmsSender } from '../../ports';

/** Tries each sender in order until one accepts the message (R16: automatic failover). */
export class FailoverSmsSender implements SmsSender {
  readonly name: string;

  constructor(
    private readonly senders: readonly SmsSender[],
    private readonly log: Log,
  ) {
    if (senders.length === 0) throw new Error('FailoverSmsSender needs at least one sender');
    this.name = senders.map((s) => s.name).join('>');
  }

  async send(message: SmsMessage): Promise<{ provider: string; messageId: string }> {
    const failures: unknown[] = [];
    for (const sender of this.senders) {
      try {
        return await sender.send(message);
      } catch (error) {
        failures.push(error);
        this.log.warn('sms provider failed, trying the next', { provider: sender.name, error: String(error) });
      }
    }
    throw new AggregateError(failures, 'Every SMS provider refused the message');
  }
}
