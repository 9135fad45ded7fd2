import { randomUUID } from 'node:crypto';
import type { Clock, SmsMessage, SmsSender } from '../../ports';

export interface OutboxMessage {
  readonly id: string;
  readonly to: string;
  readonly body: string;
  readonly provider: string;
  readonly sentAt: string;
}

/**
 * The local phone network: every SMS the local providers accept lands here, newest last, for
 * `GET /local/outbox`, the console and the tests. Each provider can be switched off to try
 * the failover (R16).
 */
export class LocalOutbox {
  private readonly messages: OutboxMessage[] = [];
  private readonly down = new Set<string>();
  private readonly listeners: ((message: OutboxMessage) => void)[] = [];

  constructor(private readonly clock: Clock) {}

  /** A local SMS provider with this name, writing into this outbox. */
  provider(name: string): SmsSender {
    return {
      name,
      send: async (message: SmsMessage) => {
        if (this.down.has(name)) throw new Error(`local SMS provider "${name}" is down`);
        const entry: OutboxMessage = {
          id: randomUUID(),
          to: message.to,
          body: message.body,
          provider: name,
          sentAt: new Date(this.clock.now()).toISOString(),
        };
        this.messages.push(entry);
        for (const listener of this.listeners) listener(entry);
        return { provider: name, messageId: entry.id };
      },
    };
  }

  list(to?: string): OutboxMessage[] {
    return to ? this.messages.filter((m) => m.to === to) : [...this.messages];
  }

  setDown(name: string, isDown: boolean): void {
    if (isDown) this.down.add(name);
    else this.down.delete(name);
  }

  providerStates(names: readonly string[]): Record<string, 'up' | 'down'> {
    return Object.fromEntries(names.map((n) => [n, this.down.has(n) ? 'down' : 'up']));
  }

  onMessage(listener: (message: OutboxMessage) => void): void {
    this.listeners.push(listener);
  }
}
