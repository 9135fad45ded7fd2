import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { SecretContext } from '../../ports';

const TAG_BYTES = 16;

/**
 * Envelope sealing shared by the secret boxes (R28): secrets sealed together share one data key,
 * wrapped by the box (KMS on AWS, the local master key locally) under the secrets' kind and tenant
 * and a binding of its own (`batch:<random>`); each secret is AES-256-GCM under that key with its
 * record's binding as the authenticated data, so a ciphertext opens only for its record.
 * Format: env1.<batch binding>.<wrapped key>.<iv>.<tag>.<ciphertext>, base64url.
 */
export const ENVELOPE_PREFIX = 'env1';

export interface EnvelopeParts {
  readonly batchBinding: string;
  readonly wrappedKey: string;
  readonly iv: Buffer;
  readonly tag: Buffer;
  readonly body: Buffer;
}

/** One data key's batch: all items share the kind and tenant the key is wrapped under. */
export function batchContext(items: readonly { readonly context: SecretContext }[]): SecretContext {
  const first = items[0]?.context;
  if (!first) throw new Error('Nothing to seal');
  if (items.some((i) => i.context.kind !== first.kind || i.context.tenantId !== first.tenantId)) throw new Error('Secrets sealed together share their kind and tenant');
  return { kind: first.kind, ...(first.tenantId ? { tenantId: first.tenantId } : {}), binding: `batch:${randomBytes(12).toString('base64url')}` };
}

export function sealWithDataKey(dataKey: Uint8Array, batchBinding: string, wrappedKey: string, plaintext: Uint8Array, context: SecretContext): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', dataKey, iv, { authTagLength: TAG_BYTES }).setAAD(Buffer.from(context.binding));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return [ENVELOPE_PREFIX, Buffer.from(batchBinding).toString('base64url'), wrappedKey, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), body.toString('base64url')].join('.');
}

export function parseEnvelope(ciphertext: string): EnvelopeParts | undefined {
  const [prefix, binding, wrappedKey, iv, tag, body, extra] = ciphertext.split('.');
  if (prefix !== ENVELOPE_PREFIX || !binding || !wrappedKey || !iv || !tag || body === undefined || extra !== undefined) return undefined;
  const authTag = Buffer.from(tag, 'base64url');
  if (authTag.length !== TAG_BYTES) throw new Error('Invalid authentication tag');
  const batchBinding = Buffer.from(binding, 'base64url').toString('utf8');
  if (!batchBinding.startsWith('batch:')) throw new Error('Unknown ciphertext format');
  return { batchBinding, wrappedKey, iv: Buffer.from(iv, 'base64url'), tag: authTag, body: Buffer.from(body, 'base64url') };
}

export function openWithDataKey(dataKey: Uint8Array, parts: EnvelopeParts, context: SecretContext): Uint8Array {
  const decipher = createDecipheriv('aes-256-gcm', dataKey, parts.iv, { authTagLength: TAG_BYTES }).setAAD(Buffer.from(context.binding)).setAuthTag(parts.tag);
  return Buffer.concat([decipher.update(parts.body), decipher.final()]);
}

/** The data key's own context: the secrets' kind and tenant, and the batch's binding. */
export function dataKeyContext(context: SecretContext, batchBinding: string): SecretContext {
  return { kind: context.kind, ...(context.tenantId ? { tenantId: context.tenantId } : {}), binding: batchBinding };
}
