export interface SmsMessage {
  /** E.164 destination. */
  readonly to: string;
  readonly body: string;
}

/** Sends one SMS (R16). Throws when the provider refuses; the failover sender tries the next. */
export interface SmsSender {
  readonly name: string;
  send(message: SmsMessage): Promise<{ readonly provider: string; readonly messageId: string }>;
}
