import { randomBytes } from 'node:crypto';
import type { SecretBox, ServiceSecretStore } from '../ports';

const CODE_KEY = 'code-hmac-key';

/**
 * The HMAC key for codes (R1), created on first use and stored encrypted (R28). Loaded once
 * per process: the key never changes, so there is no cache to expire.
 */
export class CodeKey {
  private loading?: Promise<Uint8Array>;

  constructor(private readonly deps: { secrets: ServiceSecretStore; box: SecretBox }) {}

  get(): Promise<Uint8Array> {
    this.loading ??= this.load().catch((error: unknown) => {
      this.loading = undefined;
      throw error;
    });
    return this.loading;
  }

  private async load(): Promise<Uint8Array> {
    const stored =
      (await this.deps.secrets.get(CODE_KEY)) ??
      (await this.deps.secrets.putIfAbsent(CODE_KEY, await this.deps.box.encrypt(randomBytes(32), CODE_KEY)));
    return this.deps.box.decrypt(stored, CODE_KEY);
  }
}

const THROTTLE_KEY = 'throttle-hmac-key';

/**
 * The HMAC key that turns a phone number into the key of its throttle counter (R6, R28): a plain
 * SHA-256 of a number is reversed by hashing every number of a country. Created on first use,
 * stored sealed, loaded once per process like the code key.
 */
export class ThrottleKey {
  private loading?: Promise<Uint8Array>;

  constructor(private readonly deps: { secrets: ServiceSecretStore; box: SecretBox }) {}

  get(): Promise<Uint8Array> {
    this.loading ??= this.load().catch((error: unknown) => {
      this.loading = undefined;
      throw error;
    });
    return this.loading;
  }

  private async load(): Promise<Uint8Array> {
    const stored =
      (await this.deps.secrets.get(THROTTLE_KEY)) ??
      (await this.deps.secrets.putIfAbsent(THROTTLE_KEY, await this.deps.box.encrypt(randomBytes(32), THROTTLE_KEY)));
    return this.deps.box.decrypt(stored, THROTTLE_KEY);
  }
}
