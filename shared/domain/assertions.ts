import { randomBytes } from 'node:crypto';
import { SignJWT, exportJWK, generateKeyPair, importJWK, type JWK } from 'jose';
import { ASSERTION_TTL_SECONDS, SIGNING_KEY_CACHE_SECONDS } from '../rules';
import type { Clock, SecretBox, SigningKeyRecord, SigningKeyStore } from '../ports';
import type { Factor } from './types';

const ALG = 'ES256';
const PRIVATE_KEY_CONTEXT = 'assertion-signing-key';

export interface AssertionClaims {
  readonly tenantId: string;
  readonly userId: string;
  readonly method: Factor;
  readonly challengeId: string;
  /** Epoch milliseconds of the approval. */
  readonly approvedAt: number;
}

type CryptoKeyLike = Awaited<ReturnType<typeof importJWK>>;

/**
 * Signs assertions (R4) with the newest ES256 key and publishes every key still listed as a
 * JWKS. Rotation adds a key; older keys stay published, so assertions already issued verify
 * until they expire. A process re-reads the key list at most every SIGNING_KEY_CACHE_SECONDS.
 */
/** A loaded signing key: its id and the private key, unsealed. */
export interface SigningKey {
  readonly kid: string;
  readonly key: CryptoKeyLike;
}

export class AssertionSigner {
  private cached?: { loadedAt: number; kid: string; key: CryptoKeyLike };

  constructor(
    private readonly deps: { keys: SigningKeyStore; box: SecretBox; clock: Clock; issuer: string },
  ) {}

  async sign(claims: AssertionClaims): Promise<string> {
    return this.signWith(await this.signingKey(), claims);
  }

  /**
   * The key the next assertion is signed with, loaded (and unsealed) now: a caller that must not
   * fail after an irreversible change (a verify, after its code is spent) loads it first, then
   * signs with `signWith`, which does no I/O.
   */
  signingKey(): Promise<SigningKey> {
    return this.activeKey();
  }

  async signWith({ kid, key }: SigningKey, claims: AssertionClaims): Promise<string> {
    const iat = Math.floor(claims.approvedAt / 1000);
    return new SignJWT({
      tid: claims.tenantId,
      amr: [claims.method],
      mth: claims.method,
      cid: claims.challengeId,
    })
      .setProtectedHeader({ alg: ALG, kid, typ: 'JWT' })
      .setIssuer(this.deps.issuer)
      .setSubject(claims.userId)
      .setAudience(claims.tenantId)
      .setJti(claims.challengeId)
      .setIssuedAt(iat)
      .setExpirationTime(iat + ASSERTION_TTL_SECONDS)
      .sign(key);
  }

  /** Public keys of every listed signing key, newest first. */
  async jwks(): Promise<{ keys: JWK[] }> {
    const records = await this.deps.keys.list();
    return {
      keys: sortNewestFirst(records).map((r) => ({ ...r.publicJwk, kid: r.kid, alg: ALG, use: 'sig' }) as JWK),
    };
  }

  /** Creates a new signing key; it signs from now on (in other processes after their cache expires). */
  async rotate(): Promise<{ kid: string }> {
    const newest = sortNewestFirst(await this.deps.keys.list())[0];
    // Strictly newer than every existing key, even within the same millisecond.
    const record = await this.createKey(newest ? newest.createdAt + 1 : 0);
    this.cached = undefined;
    return { kid: record.kid };
  }

  private async activeKey(): Promise<{ kid: string; key: CryptoKeyLike }> {
    const now = this.deps.clock.now();
    if (this.cached && now - this.cached.loadedAt < SIGNING_KEY_CACHE_SECONDS * 1000) return this.cached;
    const newest = sortNewestFirst(await this.deps.keys.list())[0] ?? (await this.createKey());
    const jwk = JSON.parse(
      Buffer.from(await this.deps.box.decrypt(newest.encryptedPrivateKey, PRIVATE_KEY_CONTEXT)).toString('utf8'),
    ) as JWK;
    this.cached = { loadedAt: now, kid: newest.kid, key: await importJWK(jwk, ALG) };
    return this.cached;
  }

  private async createKey(notBefore = 0): Promise<SigningKeyRecord> {
    const { publicKey, privateKey } = await generateKeyPair(ALG, { extractable: true });
    const privateJwk = await exportJWK(privateKey);
    const record: SigningKeyRecord = {
      kid: randomBytes(12).toString('base64url'),
      publicJwk: await exportJWK(publicKey),
      encryptedPrivateKey: await this.deps.box.encrypt(Buffer.from(JSON.stringify(privateJwk)), PRIVATE_KEY_CONTEXT),
      createdAt: Math.max(this.deps.clock.now(), notBefore),
    };
    await this.deps.keys.put(record);
    return record;
  }
}

function sortNewestFirst(records: SigningKeyRecord[]): SigningKeyRecord[] {
  return [...records].sort((a, b) => b.createdAt - a.createdAt || (a.kid < b.kid ? 1 : -1));
}
