import type { PushPlatform } from '../../domain/types';
import type { Clock, PushPrompt, PushSender } from '../../ports';

/**
 * The local push network and the phones on it (R9): prompts sent to a device wait here for
 * `GET /local/devices/{deviceId}/pending`, and the simulated authenticator app keeps the device
 * key it was given at activation, to sign its answers like a real phone would.
 */
export class LocalPushNetwork implements PushSender {
  private readonly prompts = new Map<string, PushPrompt[]>();
  private readonly keys = new Map<string, Uint8Array>();

  constructor(private readonly clock: Clock) {}

  async register(input: { platform: PushPlatform; token: string; deviceId: string }): Promise<string> {
    return `local:${input.platform}:${input.deviceId}`;
  }

  async send(_endpoint: string, prompt: PushPrompt): Promise<void> {
    this.prompts.set(prompt.deviceId, [...(this.prompts.get(prompt.deviceId) ?? []), prompt]);
  }

  /** What the phone shows now: prompts not yet answered and not past their deadline. */
  pending(deviceId: string): PushPrompt[] {
    const now = this.clock.now();
    return (this.prompts.get(deviceId) ?? []).filter((p) => Date.parse(p.expiresAt) > now);
  }

  /** The phone answered (or gave up on) a prompt. */
  dismiss(deviceId: string, challengeId: string): void {
    this.prompts.set(deviceId, (this.prompts.get(deviceId) ?? []).filter((p) => p.challengeId !== challengeId));
  }

  /** The phone keeps the key from its activation answer. */
  keep(deviceId: string, key: Uint8Array): void {
    this.keys.set(deviceId, key);
  }

  keyOf(deviceId: string): Uint8Array | undefined {
    return this.keys.get(deviceId);
  }

  /** The activated phones this simulator holds a key for (the device simulator page lists them). */
  devices(): string[] {
    return [...this.keys.keys()];
  }
}
