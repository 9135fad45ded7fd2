/**
 * A software WebAuthn authenticator for tests: it answers creation and request options the way a
 * browser and an authenticator together would (RegistrationResponseJSON, AuthenticationResponseJSON),
 * with node:crypto keys (ES256 or RS256), and CBOR and COSE encoded by @simplewebauthn/server's own
 * helpers. Every field a test may want wrong (origin, RP id, challenge, flags, counter, AAGUID) can be
 * set per call, so the server's checks can be shown to refuse each.
 */
import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { cose, isoCBOR } from '@simplewebauthn/server/helpers';

export type Alg = 'ES256' | 'RS256';

export interface AuthenticatorModel {
  /** The model's AAGUID, a lower-case UUID; all zeros by default (not disclosed). */
  readonly aaguid?: string;
  readonly alg?: Alg;
  /** `none`, or `packed`: self attestation (signed with the credential's own key), or with `certificate` full attestation. */
  readonly attestation?: 'none' | 'packed';
  /** A batch attestation certificate (DER, ES256 key) for `packed` full attestation: x5c is [der]. */
  readonly certificate?: { readonly der: Buffer; readonly key: KeyObject };
  /** A synced passkey: backup eligible (and backed up). */
  readonly synced?: boolean;
  /** Whether it verifies the user (PIN, biometric): the UV flag. */
  readonly verifiesUser?: boolean;
  /** How much the sign counter moves per assertion; 0 for authenticators that do not count. */
  readonly counterStep?: number;
  readonly transports?: readonly string[];
}

interface Credential {
  readonly id: Buffer;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  readonly alg: Alg;
  readonly rpId: string;
  readonly userHandle?: string;
  counter: number;
}

/** What a call may set differently from what an honest browser would send. */
export interface Tampering {
  readonly origin?: string;
  readonly rpId?: string;
  readonly challenge?: string;
  readonly userVerified?: boolean;
  readonly counter?: number;
  readonly type?: string;
  readonly credentialId?: string;
  /** Say the ceremony ran in a cross-origin iframe (clientData `crossOrigin`). */
  readonly crossOrigin?: boolean;
  /** Say the credential is synced (backup eligible and backed up), or not, whatever the model is. */
  readonly synced?: boolean;
}

/** RegistrationResponseJSON, as `startRegistration()` of @simplewebauthn/browser returns it. */
export interface RegistrationJSON {
  readonly id: string;
  readonly rawId: string;
  readonly response: { readonly clientDataJSON: string; readonly attestationObject: string; readonly transports: string[] };
  readonly clientExtensionResults: Record<string, never>;
  readonly type: 'public-key';
}

/** AuthenticationResponseJSON, as `startAuthentication()` of @simplewebauthn/browser returns it. */
export interface AuthenticationJSON {
  readonly id: string;
  readonly rawId: string;
  readonly response: { readonly clientDataJSON: string; readonly authenticatorData: string; readonly signature: string; readonly userHandle?: string };
  readonly clientExtensionResults: Record<string, never>;
  readonly type: 'public-key';
}

const FLAG = { UP: 0x01, UV: 0x04, BE: 0x08, BS: 0x10, AT: 0x40 } as const;

const b64url = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64url');
const sha256 = (data: Uint8Array | string): Buffer => createHash('sha256').update(data).digest();
const uint32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
};

function coseKey(publicKey: KeyObject, alg: Alg): Uint8Array {
  const jwk = publicKey.export({ format: 'jwk' });
  const key = new Map<number, number | Uint8Array>();
  if (alg === 'ES256') {
    key.set(cose.COSEKEYS.kty, cose.COSEKTY.EC2);
    key.set(cose.COSEKEYS.alg, cose.COSEALG.ES256);
    key.set(cose.COSEKEYS.crv, cose.COSECRV.P256);
    key.set(cose.COSEKEYS.x, Buffer.from(jwk.x as string, 'base64url'));
    key.set(cose.COSEKEYS.y, Buffer.from(jwk.y as string, 'base64url'));
  } else {
    key.set(cose.COSEKEYS.kty, cose.COSEKTY.RSA);
    key.set(cose.COSEKEYS.alg, cose.COSEALG.RS256);
    key.set(cose.COSEKEYS.n, Buffer.from(jwk.n as string, 'base64url'));
    key.set(cose.COSEKEYS.e, Buffer.from(jwk.e as string, 'base64url'));
  }
  return isoCBOR.encode(key);
}

/** ES256 signatures are DER-encoded ECDSA (WebAuthn's format), RS256 are PKCS #1 v1.5 with SHA-256. */
const signWith = (key: KeyObject, data: Uint8Array): Buffer => sign('sha256', data, key);

export class SoftwareAuthenticator {
  private readonly credentials = new Map<string, Credential>();

  constructor(readonly model: AuthenticatorModel = {}) {}

  private flags(userVerified: boolean | undefined, attested: boolean, synced?: boolean): number {
    const uv = userVerified ?? this.model.verifiesUser ?? true;
    return FLAG.UP | (uv ? FLAG.UV : 0) | ((synced ?? this.model.synced) ? FLAG.BE | FLAG.BS : 0) | (attested ? FLAG.AT : 0);
  }

  /** `navigator.credentials.create()` for these creation options on a page of `origin`. */
  create(
    options: { challenge: string; rp: { id?: string }; user: { id: string } },
    origin: string,
    tamper: Tampering = {},
  ): RegistrationJSON {
    // `credentialId` makes it again a credential it already holds (the same id and key).
    const reused = tamper.credentialId ? this.credentials.get(tamper.credentialId) : undefined;
    const alg = reused?.alg ?? this.model.alg ?? 'ES256';
    const pair = reused ?? (alg === 'ES256' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }) : generateKeyPairSync('rsa', { modulusLength: 2048 }));
    const id = reused?.id ?? randomBytes(32);
    const rpId = tamper.rpId ?? options.rp.id ?? new URL(origin).hostname;
    const credential: Credential = { id, privateKey: pair.privateKey, publicKey: pair.publicKey, alg, rpId, userHandle: options.user.id, counter: tamper.counter ?? 0 };
    const clientDataJSON = Buffer.from(
      JSON.stringify({ type: tamper.type ?? 'webauthn.create', challenge: tamper.challenge ?? options.challenge, origin: tamper.origin ?? origin, crossOrigin: tamper.crossOrigin ?? false }),
    );
    const aaguid = Buffer.from((this.model.aaguid ?? '00000000-0000-0000-0000-000000000000').replace(/-/g, ''), 'hex');
    const idLength = Buffer.alloc(2);
    idLength.writeUInt16BE(id.length);
    const authData = Buffer.concat([
      sha256(rpId),
      Buffer.from([this.flags(tamper.userVerified, true)]),
      uint32(credential.counter),
      aaguid,
      idLength,
      id,
      Buffer.from(coseKey(pair.publicKey, alg)),
    ]);
    const packed = this.model.attestation === 'packed';
    const attStmt = new Map<string, number | Uint8Array | Uint8Array[]>();
    const certificate = this.model.certificate;
    if (packed && certificate) {
      // Full attestation: the batch certificate's key signs, and the certificate goes along.
      attStmt.set('alg', cose.COSEALG.ES256);
      attStmt.set('sig', signWith(certificate.key, Buffer.concat([authData, sha256(clientDataJSON)])));
      attStmt.set('x5c', [certificate.der]);
    } else if (packed) {
      // Self attestation: the new credential's own key signs authData || hash(clientDataJSON).
      attStmt.set('alg', alg === 'ES256' ? cose.COSEALG.ES256 : cose.COSEALG.RS256);
      attStmt.set('sig', signWith(pair.privateKey, Buffer.concat([authData, sha256(clientDataJSON)])));
    }
    const attestationObject = isoCBOR.encode(
      new Map<string, string | Uint8Array | Map<string, number | Uint8Array | Uint8Array[]>>([
        ['fmt', packed ? 'packed' : 'none'],
        ['attStmt', attStmt],
        ['authData', authData],
      ]),
    );
    this.credentials.set(b64url(id), credential);
    return {
      id: b64url(id),
      rawId: b64url(id),
      response: {
        clientDataJSON: b64url(clientDataJSON),
        attestationObject: b64url(attestationObject),
        transports: [...(this.model.transports ?? ['internal'])],
      },
      clientExtensionResults: {},
      type: 'public-key',
    };
  }

  /** `navigator.credentials.get()` for these request options on a page of `origin`, with the first allowed credential it holds. */
  get(
    options: { challenge: string; rpId?: string; allowCredentials?: readonly { id: string }[] },
    origin: string,
    tamper: Tampering = {},
  ): AuthenticationJSON {
    const id = tamper.credentialId ?? options.allowCredentials?.map((c) => c.id).find((c) => this.credentials.has(c)) ?? [...this.credentials.keys()][0];
    const credential = id ? this.credentials.get(id) : undefined;
    if (!id || !credential) throw new Error('this authenticator holds no credential for these options');
    if (tamper.counter !== undefined) credential.counter = tamper.counter;
    else credential.counter += this.model.counterStep ?? 1;
    const clientDataJSON = Buffer.from(
      JSON.stringify({ type: tamper.type ?? 'webauthn.get', challenge: tamper.challenge ?? options.challenge, origin: tamper.origin ?? origin, crossOrigin: tamper.crossOrigin ?? false }),
    );
    const authenticatorData = Buffer.concat([
      sha256(tamper.rpId ?? options.rpId ?? credential.rpId),
      Buffer.from([this.flags(tamper.userVerified, false, tamper.synced)]),
      uint32(credential.counter),
    ]);
    const signature = signWith(credential.privateKey, Buffer.concat([authenticatorData, sha256(clientDataJSON)]));
    return {
      id,
      rawId: id,
      response: {
        clientDataJSON: b64url(clientDataJSON),
        authenticatorData: b64url(authenticatorData),
        signature: b64url(signature),
        ...(credential.userHandle ? { userHandle: credential.userHandle } : {}),
      },
      clientExtensionResults: {},
      type: 'public-key',
    };
  }

  /** Another authenticator that holds a copy of this one's credentials and counters (a clone). */
  clone(): SoftwareAuthenticator {
    const copy = new SoftwareAuthenticator(this.model);
    for (const [id, c] of this.credentials) copy.credentials.set(id, { ...c });
    return copy;
  }
}
