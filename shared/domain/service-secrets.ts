import { randomBytes } from 'node:crypto';
import type { SecretBox, ServiceSecretStore } from '../ports';

const CODE_KEY = 'code-hmac-key';
const CURSOR_KEY = 'cursor-hmac-key';
const THROTTLE_KEY = 'throttle-hmac-key';

/**
 * A service-wide HMAC key, created on first use and stored encrypted (R28). Loaded once per
 * process: the key never changes, so there is no cache to expire.
 */
export class ServiceKey {
  private loading?: Promise<Uint8Array>;

  constructor(
    private readonly deps: { secrets: ServiceSecretStore; box: SecretBox },
    private readonly name: string,
  ) {}

  get(): Promise<Uint8Array> {
    this.loading ??= this.load().catch((error: unknown) => {
      this.loading = undefined;
      throw error;
    });
    return this.loading;
  }

  private async load(): Promise<Uint8Array> {
    const stored =
      (await this.deps.secrets.get(this.name)) ??
      (await this.deps.secrets.putIfAbsent(this.name, await this.deps.box.encrypt(randomBytes(32), this.name)));
    return this.deps.box.decrypt(stored, this.name);
  }
}

/** The HMAC key for codes (R1). */
export class CodeKey extends ServiceKey {
  constructor(deps: { secrets: ServiceSecretStore; box: SecretBox }) {
    super(deps, CODE_KEY);
  }
}

/** The HMAC key that signs list cursors (R29). */
export class CursorKey extends ServiceKey {
  constructor(deps: { secrets: ServiceSecretStore; box: SecretBox }) {
    super(deps, CURSOR_KEY);
  }
}

/**
 * The HMAC key that turns a phone number into the key of its throttle counter (R6, R28): a plain
 * SHA-256 of a number is reversed by hashing every number of a country.
 */
export class ThrottleKey extends ServiceKey {
  constructor(deps: { secrets: ServiceSecretStore; box: SecretBox }) {
    super(deps, THROTTLE_KEY);
  }
}
