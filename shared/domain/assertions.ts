import { createPrivateKey, createPublicKey, generateKeyPair, randomBytes, sign, verify, type JsonWebKey, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { ASSERTION_TTL_SECONDS, JWKS_MAX_AGE_SECONDS, SIGNING_KEY_CACHE_SECONDS } from '../rules';
import type { Clock, SecretBox, SecretContext, SigningKeyRecord, SigningKeyStore } from '../ports';
import type { Factor } from './types';

const ALG = 'ES256';
const PRIVATE_KEY_CONTEXT: SecretContext = { kind: 'assertion-signing-key', binding: 'assertion-signing-key' };

export interface AssertionClaims {
  readonly tenantId: string;
  readonly userId: string;
  readonly method: Factor;
  readonly challengeId: string;
  /** Epoch milliseconds of the approval. */
  readonly approvedAt: number;
  /**
   * How the user authenticated, when the factor says more than its name: RFC 8176 `amr` values
   * and an `acr` (a passkey: phishing-resistant). Without it `amr` is the method alone.
   */
  readonly authentication?: { readonly amr: readonly string[]; readonly acr: string };
}

/** A key of the JWKS (RFC 7517): an EC P-256 public key with its id, algorithm and use. */
export type JWK = JsonWebKey & { readonly kid?: string; readonly alg?: string; readonly use?: string };

const newKeyPair = promisify(generateKeyPair);

/**
 * A JWS in compact serialization (RFC 7515) signed with ES256 (RFC 7518 §3.4: ECDSA P-256 with
 * SHA-256, the signature as R‖S), with `node:crypto`: the same header and claims, in the same
 * order, as jose's SignJWT wrote them, so that a bundle need not carry jose (about 16 KiB).
 */
function signJwt(header: Readonly<Record<string, unknown>>, payload: Readonly<Record<string, unknown>>, key: KeyObject): string {
  const input = `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
  const signature = sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' });
  return `${input}.${signature.toString('base64url')}`;
}

/**
 * A stored private JWK as a signing key; anything but an EC P-256 private key is refused, as jose
 * refused it for ES256. Node takes a JWK's `d` without checking that its `x` and `y` belong to it
 * (jose did): a probe signature must verify with the key the JWKS publishes, or no assertion
 * signed with it would.
 */
function importSigningKey(jwk: JsonWebKey, published: Record<string, unknown>): KeyObject {
  const key = createPrivateKey({ key: jwk, format: 'jwk' });
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new TypeError(`The signing key is not an EC P-256 key, as ${ALG} requires`);
  }
  const probe = Buffer.from('tessera signing key probe');
  const signature = sign('sha256', probe, { key, dsaEncoding: 'ieee-p1363' });
  if (!verify('sha256', probe, { key: createPublicKey({ key: published as JsonWebKey, format: 'jwk' }), dsaEncoding: 'ieee-p1363' }, signature)) {
    throw new TypeError('The signing key does not match the public key the JWKS publishes for it');
  }
  return key;
}

/**
 * How long a replaced key stays in the JWKS after its successor started signing: a process that
 * loaded it just before may sign with it for one more cache period, that assertion lives
 * ASSERTION_TTL_SECONDS, and a verifier may hold a JWKS for JWKS_MAX_AGE_SECONDS.
 */
const RETIRED_KEY_PUBLISHED_MS = (SIGNING_KEY_CACHE_SECONDS + ASSERTION_TTL_SECONDS + JWKS_MAX_AGE_SECONDS) * 1000;

/** A loaded signing key: its id and the private key, unsealed. */
export interface SigningKey {
  readonly kid: string;
  readonly key: KeyObject;
}

/**
 * Signs assertions (R4) with the newest ES256 key whose `signsFrom` has come, and publishes the
 * keys a verifier may need as a JWKS. Rotation adds a "next" key: published at once, signing only
 * JWKS_MAX_AGE_SECONDS later, so a verifier that honours the JWKS cache-control always holds the
 * signing key before it sees an assertion made with it. A replaced key stays published until every
 * assertion it may have signed has expired, plus the JWKS max-age. A process re-reads the key list
 * at most every SIGNING_KEY_CACHE_SECONDS.
 */
export class AssertionSigner {
  private cached?: { loadedAt: number; kid: string; key: KeyObject };

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
    // jose refused a time that is not a number; JSON would write it as null.
    if (!Number.isSafeInteger(iat)) throw new TypeError('The approval time is not a time');
    return signJwt(
      { alg: ALG, kid, typ: 'JWT' },
      {
        tid: claims.tenantId,
        amr: claims.authentication ? [...claims.authentication.amr] : [claims.method],
        ...(claims.authentication ? { acr: claims.authentication.acr } : {}),
        mth: claims.method,
        cid: claims.challengeId,
        iss: this.deps.issuer,
        sub: claims.userId,
        aud: claims.tenantId,
        jti: claims.challengeId,
        iat,
        exp: iat + ASSERTION_TTL_SECONDS,
      },
      key,
    );
  }

  /** Public keys of the next, the signing and the recently replaced keys, newest first. */
  async jwks(): Promise<{ keys: JWK[] }> {
    const now = this.deps.clock.now();
    const records = sortNewestFirst(await this.deps.keys.list());
    // A key is retired once a newer key has been signing for RETIRED_KEY_PUBLISHED_MS.
    const published = records.filter(
      (r, i) => !records.slice(0, i).some((newer) => signsFrom(newer) < now - RETIRED_KEY_PUBLISHED_MS),
    );
    return {
      keys: published.map((r) => ({ ...r.publicJwk, kid: r.kid, alg: ALG, use: 'sig' }) as JWK),
    };
  }

  /** Creates the next signing key: published now, signing from `signsFrom` (JWKS max-age from now). */
  async rotate(): Promise<{ kid: string; signsFrom: string }> {
    const newest = sortNewestFirst(await this.deps.keys.list())[0];
    const now = this.deps.clock.now();
    // Strictly newer than every existing key, even within the same millisecond.
    const record = await this.createKey(
      Math.max(now + JWKS_MAX_AGE_SECONDS * 1000, newest ? signsFrom(newest) + 1 : 0),
    );
    this.cached = undefined;
    return { kid: record.kid, signsFrom: new Date(signsFrom(record)).toISOString() };
  }

  private async activeKey(): Promise<{ kid: string; key: KeyObject }> {
    const now = this.deps.clock.now();
    if (this.cached && now - this.cached.loadedAt < SIGNING_KEY_CACHE_SECONDS * 1000) return this.cached;
    const records = sortNewestFirst(await this.deps.keys.list());
    // Only the very first key signs at once: no verifier can hold a JWKS that lacks it yet.
    const newest = records.find((r) => signsFrom(r) <= now) ?? records.at(-1) ?? (await this.createKey());
    const jwk = JSON.parse(
      Buffer.from(await this.deps.box.decrypt(newest.encryptedPrivateKey, PRIVATE_KEY_CONTEXT)).toString('utf8'),
    ) as JsonWebKey;
    this.cached = { loadedAt: now, kid: newest.kid, key: importSigningKey(jwk, newest.publicJwk) };
    return this.cached;
  }

  private async createKey(signsFromMs?: number): Promise<SigningKeyRecord> {
    const { publicKey, privateKey } = await newKeyPair('ec', { namedCurve: 'P-256' });
    // { kty, x, y, crv[, d] }: the members, and their order, jose's exportJWK gave.
    const privateJwk = privateKey.export({ format: 'jwk' });
    const record: SigningKeyRecord = {
      kid: randomBytes(12).toString('base64url'),
      publicJwk: publicKey.export({ format: 'jwk' }),
      encryptedPrivateKey: await this.deps.box.encrypt(Buffer.from(JSON.stringify(privateJwk)), PRIVATE_KEY_CONTEXT),
      createdAt: this.deps.clock.now(),
      ...(signsFromMs === undefined ? {} : { signsFrom: signsFromMs }),
    };
    await this.deps.keys.put(record);
    return record;
  }
}

/** Keys made before "next" keys existed have no `signsFrom`: they signed from their creation. */
function signsFrom(record: SigningKeyRecord): number {
  return record.signsFrom ?? record.createdAt;
}

function sortNewestFirst(records: SigningKeyRecord[]): SigningKeyRecord[] {
  return [...records].sort(
    (a, b) => signsFrom(b) - signsFrom(a) || b.createdAt - a.createdAt || (a.kid < b.kid ? 1 : -1),
  );
}
