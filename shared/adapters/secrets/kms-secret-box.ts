import { DecryptCommand, EncryptCommand, type KMSClient } from '@aws-sdk/client-kms';
import type { SecretBox } from '../../ports';

/**
 * KMS Encrypt/Decrypt with the purpose as encryption context (R28). Secrets here are small
 * (a 32-byte HMAC key, a P-256 private JWK), well under KMS's 4 KB limit, and are decrypted
 * once per cold start and cached by their users, so KMS is not on the per-request path.
 */
export class KmsSecretBox implements SecretBox {
  constructor(
    private readonly kms: KMSClient,
    private readonly keyId: string,
  ) {}

  async encrypt(plaintext: Uint8Array, context: string): Promise<string> {
    const out = await this.kms.send(
      new EncryptCommand({ KeyId: this.keyId, Plaintext: plaintext, EncryptionContext: { purpose: context } }),
    );
    if (!out.CiphertextBlob) throw new Error('KMS returned no ciphertext');
    return `kms.${Buffer.from(out.CiphertextBlob).toString('base64url')}`;
  }

  async decrypt(ciphertext: string, context: string): Promise<Uint8Array> {
    const [scheme, blob] = ciphertext.split('.');
    if (scheme !== 'kms' || !blob) throw new Error('Unknown ciphertext format');
    const out = await this.kms.send(
      new DecryptCommand({
        KeyId: this.keyId,
        CiphertextBlob: Buffer.from(blob, 'base64url'),
        EncryptionContext: { purpose: context },
      }),
    );
    if (!out.Plaintext) throw new Error('KMS returned no plaintext');
    return out.Plaintext;
  }
}
