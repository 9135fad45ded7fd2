/**
 * Bundled in place of `@otplib/plugin-crypto-noble` in every Lambda bundle (the alias in
 * infra/lambda/aliases.ts). otplib v13 computes HMACs through a crypto plugin, by default the
 * pure-JavaScript one over @noble/hashes (13 KiB), made for browsers and edge runtimes; on Node,
 * `node:crypto` computes the same HMAC-SHA1/SHA-256/SHA-512 natively (otplib publishes that
 * plugin as @otplib/plugin-crypto-node). This is the same plugin interface with the same
 * algorithm handling (`normalizeHashAlgorithm`: 'SHA-1' is 'sha1', anything else throws), so
 * `generateSync` answers the same. test/unit/lambda-bundles.test.ts checks it against the
 * RFC 4226 and RFC 6238 test vectors and against the noble plugin. The local runtime and the
 * tests run the sources with otplib's own default.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { constantTimeEqual, normalizeHashAlgorithm, type CryptoPlugin, type HashAlgorithm } from '@otplib/core';

const ALGORITHMS: readonly HashAlgorithm[] = Object.freeze(['sha1', 'sha256', 'sha512']);

export class NodeCryptoPlugin implements CryptoPlugin {
  readonly name = 'node';
  readonly algorithms = ALGORITHMS;

  hmac(algorithm: HashAlgorithm, key: Uint8Array, data: Uint8Array): Uint8Array {
    const hash = normalizeHashAlgorithm(algorithm, { supported: this.algorithms, plugin: this.name });
    return new Uint8Array(createHmac(hash, key).update(data).digest());
  }

  randomBytes(length: number): Uint8Array {
    return new Uint8Array(randomBytes(length));
  }

  constantTimeEqual(a: string | Uint8Array, b: string | Uint8Array): boolean {
    return constantTimeEqual(a, b);
  }
}

/** The instance otplib takes when a call names no plugin. */
export const crypto: CryptoPlugin = Object.freeze(new NodeCryptoPlugin());

/** otplib re-exports the plugin class under the name it has in the package this module stands in for. */
export { NodeCryptoPlugin as NobleCryptoPlugin };
export default NodeCryptoPlugin;
