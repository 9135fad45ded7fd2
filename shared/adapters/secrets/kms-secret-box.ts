import { DecryptCommand, EncryptCommand, GenerateDataKeyCommand, type KMSClient } from '@aws-sdk/client-kms';
import type { SecretBox, SecretContext } from '../../ports';
import { batchContext, dataKeyContext, openWithDataKey, parseEnvelope, sealWithDataKey } from './envelope';

/**
 * The KMS encryption context of a secret (R28): `purpose` is its kind and `tenantId` its tenant,
 * the keys the IAM grants are conditioned on (kms:EncryptionContext:purpose); `binding` ties it
 * to its one record.
 */
export function kmsEncryptionContext(context: SecretContext): Record<string, string> {
  return { purpose: context.kind, ...(context.tenantId ? { tenantId: context.tenantId } : {}), binding: context.binding };
}

/**
 * KMS Encrypt/Decrypt under the secret's encryption context (R28). Secrets here are small
 * (a 32-byte HMAC key, a P-256 private JWK), well under KMS's 4 KB limit, and are decrypted
 * once per cold start and cached by their users, so KMS is not on the per-request path.
 *
 * Ciphertexts are `kms2.<blob>`. Those sealed before secrets had kinds, `kms.<blob>`, were sealed
 * under `{purpose: <binding>}` and still open with it (decrypt only; see the README's migration note).
 */
export class KmsSecretBox implements SecretBox {
  constructor(
    private readonly kms: KMSClient,
    private readonly keyId: string,
  ) {}

  async encrypt(plaintext: Uint8Array, context: SecretContext): Promise<string> {
    const out = await this.kms.send(
      new EncryptCommand({ KeyId: this.keyId, Plaintext: plaintext, EncryptionContext: kmsEncryptionContext(context) }),
    );
    if (!out.CiphertextBlob) throw new Error('KMS returned no ciphertext');
    return `kms2.${Buffer.from(out.CiphertextBlob).toString('base64url')}`;
  }

  /**
   * Bulk imports: one GenerateDataKey under the secrets' kind and tenant (and a batch binding of
   * its own) for the lot, then AES-256-GCM per secret (see envelope.ts). Opening one costs one
   * KMS Decrypt, as any other ciphertext does, under the same `purpose` the grants check.
   */
  async sealMany(items: readonly { readonly plaintext: Uint8Array; readonly context: SecretContext }[]): Promise<string[]> {
    if (items.length === 0) return [];
    const batch = batchContext(items);
    const out = await this.kms.send(new GenerateDataKeyCommand({ KeyId: this.keyId, KeySpec: 'AES_256', EncryptionContext: kmsEncryptionContext(batch) }));
    if (!out.Plaintext || !out.CiphertextBlob) throw new Error('KMS returned no data key');
    const dataKey = out.Plaintext;
    const wrapped = Buffer.from(out.CiphertextBlob).toString('base64url');
    try {
      return items.map((i) => sealWithDataKey(dataKey, batch.binding, wrapped, i.plaintext, i.context));
    } finally {
      dataKey.fill(0);
    }
  }

  async decrypt(ciphertext: string, context: SecretContext): Promise<Uint8Array> {
    const envelope = parseEnvelope(ciphertext);
    if (envelope) {
      const key = await this.kms.send(
        new DecryptCommand({ KeyId: this.keyId, CiphertextBlob: Buffer.from(envelope.wrappedKey, 'base64url'), EncryptionContext: kmsEncryptionContext(dataKeyContext(context, envelope.batchBinding)) }),
      );
      if (!key.Plaintext) throw new Error('KMS returned no plaintext');
      try {
        return openWithDataKey(key.Plaintext, envelope, context);
      } finally {
        key.Plaintext.fill(0);
      }
    }
    const [scheme, blob, extra] = ciphertext.split('.');
    if ((scheme !== 'kms2' && scheme !== 'kms') || !blob || extra !== undefined) throw new Error('Unknown ciphertext format');
    const out = await this.kms.send(
      new DecryptCommand({
        KeyId: this.keyId,
        CiphertextBlob: Buffer.from(blob, 'base64url'),
        EncryptionContext: scheme === 'kms2' ? kmsEncryptionContext(context) : { purpose: context.binding },
      }),
    );
    if (!out.Plaintext) throw new Error('KMS returned no plaintext');
    return out.Plaintext;
  }
}
