import { randomBytes } from 'node:crypto';
import type { SecretBox, SecretContext, ServiceSecretStore } from '../ports';

type ServiceKeyKind = Extract<SecretContext['kind'], 'code-hmac-key' | 'cursor-hmac-key' | 'throttle-hmac-key'>;

/**
 * A service-wide HMAC key, created on first use and stored encrypted (R28) under a context that
 * names its kind (and no tenant). Loaded once per process: the key never changes, so there is
 * no cache to expire.
 */
export class ServiceKey {
  private loading?: Promise<Uint8Array>;
  private readonly context: SecretContext;

  constructor(
    private readonly deps: { secrets: ServiceSecretStore; box: SecretBox },
    private readonly kind: ServiceKeyKind,
  ) {
    this.context = { kind, binding: kind };
  }

  get(): Promise<Uint8Array> {
    this.loading ??= this.load().catch((error: unknown) => {
      this.loading = undefined;
      throw error;
    });
    return this.loading;
  }

  private async load(): Promise<Uint8Array> {
    const stored =
      (await this.deps.secrets.get(this.kind)) ??
      (await this.deps.secrets.putIfAbsent(this.kind, await this.deps.box.encrypt(randomBytes(32), this.context)));
    return this.deps.box.decrypt(stored, this.context);
  }
}

/** The HMAC key for codes (R1). */
export class CodeKey extends ServiceKey {
  constructor(deps: { secrets: ServiceSecretStore; box: SecretBox }) {
    super(deps, 'code-hmac-key');
  }
}

/** The HMAC key that signs list cursors (R29). */
export class CursorKey extends ServiceKey {
  constructor(deps: { secrets: ServiceSecretStore; box: SecretBox }) {
    super(deps, 'cursor-hmac-key');
  }
}

/**
 * The HMAC key that turns a phone number into the key of its throttle counter (R6, R28): a plain
 * SHA-256 of a number is reversed by hashing every number of a country.
 */
export class ThrottleKey extends ServiceKey {
  constructor(deps: { secrets: ServiceSecretStore; box: SecretBox }) {
    super(deps, 'throttle-hmac-key');
  }
}
