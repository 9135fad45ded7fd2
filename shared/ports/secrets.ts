// Secrets at rest (R28).

/** R28: the kinds of sealed secret. On AWS each handler may seal or open only the kinds it needs. */
export const SECRET_KINDS = [
  'code-hmac-key',
  'cursor-hmac-key',
  'throttle-hmac-key',
  'assertion-signing-key',
  'totp-secret',
  'oath-secret',
  'push-device-key',
  'webhook-secret',
] as const;
export type SecretKind = (typeof SECRET_KINDS)[number];

/** What a ciphertext is bound to: its kind, its tenant (none for service-wide secrets) and its record. */
export interface SecretContext {
  readonly kind: SecretKind;
  readonly tenantId?: string;
  /** The one record it belongs to (user, token, device), e.g. `otp:app:<tenant>:<space>:<user>`. */
  readonly binding: string;
}

/**
 * Encrypts secrets at rest (R28): KMS on AWS, an AES-256-GCM master key locally. `context`
 * binds a ciphertext to its kind, tenant and record, so one cannot be replayed as another.
 */
export interface SecretBox {
  encrypt(plaintext: Uint8Array, context: SecretContext): Promise<string>;
  decrypt(ciphertext: string, context: SecretContext): Promise<Uint8Array>;
  /**
   * Seals many secrets of one kind and tenant with one data key (envelope encryption): one KMS
   * GenerateDataKey for the lot, then AES-256-GCM per secret, its record's binding as the
   * authenticated data. `decrypt` opens each like any other ciphertext. For bulk imports, where
   * one KMS call per secret would be the cost and the time of the import.
   */
  sealMany(items: readonly { readonly plaintext: Uint8Array; readonly context: SecretContext }[]): Promise<string[]>;
}

/** Small service-wide secrets (the code HMAC key), stored encrypted. */
export interface ServiceSecretStore {
  get(name: string): Promise<string | undefined>;
  /** Stores only if absent; returns what is stored afterwards (the winner of a race). */
  putIfAbsent(name: string, encrypted: string): Promise<string>;
}
