import { randomBytes } from 'node:crypto';
import type { SecretBox, SecretContext, ServiceSecretStore } from '../ports';

const CODE_KEY = 'code-hmac-key';
const CODE_KEY_CONTEXT: SecretContext = { kind: 'code-hmac-key', binding: CODE_KEY };

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
      (await this.deps.secrets.putIfAbsent(CODE_KEY, await this.deps.box.encrypt(randomBytes(32), CODE_KEY_CONTEXT)));
    return this.deps.box.decrypt(stored, CODE_KEY_CONTEXT);
  }
}
