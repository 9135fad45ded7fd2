import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { SecretBox, SecretContext } from '../../ports';
import { batchContext, dataKeyContext, openWithDataKey, parseEnvelope, sealWithDataKey } from './envelope';

const TAG_BYTES = 16;

/**
 * Calls of every LocalSecretBox in the process: each stands for one KMS Encrypt or Decrypt on
 * AWS, for the benchmark's cost figures.
 */
export const localSecretBoxCalls = { encrypt: 0, decrypt: 0 };

/**
 * AES-256-GCM under a local master key: the stand-in for KMS on one machine (R28). The context's
 * binding (which names the kind and, for a tenant's secret, the tenant) is the additional
 * authenticated data, so a ciphertext only opens for the record it was made for.
 * Format: v1.<iv>.<tag>.<ciphertext>, base64url.
 */
export class LocalSecretBox implements SecretBox {
  private readonly key: Buffer;

  constructor(masterKeyBase64: string) {
    this.key = Buffer.from(masterKeyBase64, 'base64');
    if (this.key.length !== 32) throw new Error('The local master key must be 32 bytes');
  }

  async encrypt(plaintext: Uint8Array, context: SecretContext): Promise<string> {
    localSecretBoxCalls.encrypt++;
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv, { authTagLength: TAG_BYTES }).setAAD(Buffer.from(context.binding));
    const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return ['v1', iv, cipher.getAuthTag(), body].map((p) => (typeof p === 'string' ? p : p.toString('base64url'))).join('.');
  }

  /** One wrap of a fresh data key under the master key (one "KMS call"), then AES-GCM per secret. */
  async sealMany(items: readonly { readonly plaintext: Uint8Array; readonly context: SecretContext }[]): Promise<string[]> {
    if (items.length === 0) return [];
    const batch = batchContext(items);
    const dataKey = randomBytes(32);
    const wrapped = Buffer.from(await this.encrypt(dataKey, batch)).toString('base64url');
    try {
      return items.map((i) => sealWithDataKey(dataKey, batch.binding, wrapped, i.plaintext, i.context));
    } finally {
      dataKey.fill(0);
    }
  }

  async decrypt(ciphertext: string, context: SecretContext): Promise<Uint8Array> {
    const envelope = parseEnvelope(ciphertext);
    if (envelope) {
      const dataKey = await this.decrypt(Buffer.from(envelope.wrappedKey, 'base64url').toString('utf8'), dataKeyContext(context, envelope.batchBinding));
      try {
        return openWithDataKey(dataKey, envelope, context);
      } finally {
        dataKey.fill(0);
      }
    }
    localSecretBoxCalls.decrypt++;
    const [version, iv, tag, body] = ciphertext.split('.');
    if (version !== 'v1' || !iv || !tag || body === undefined) throw new Error('Unknown ciphertext format');
    const authTag = Buffer.from(tag, 'base64url');
    // A shortened tag would make forgeries cheap: only the full 16 bytes are accepted.
    if (authTag.length !== TAG_BYTES) throw new Error('Invalid authentication tag');
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'), { authTagLength: TAG_BYTES })
      .setAAD(Buffer.from(context.binding))
      .setAuthTag(authTag);
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]);
  }
}
