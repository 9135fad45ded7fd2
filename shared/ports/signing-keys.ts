export interface SigningKeyRecord {
  readonly kid: string;
  /** Public key as a JWK (kty EC, crv P-256). */
  readonly publicJwk: Record<string, unknown>;
  /** Private key JWK, encrypted by the SecretBox. */
  readonly encryptedPrivateKey: string;
  readonly createdAt: number;
  /** Epoch ms from which it signs (R4: a "next" key is published first); absent: from `createdAt`. */
  readonly signsFrom?: number;
}

/** Assertion signing keys (R4). Old keys stay listed so assertions already issued still verify. */
export interface SigningKeyStore {
  list(): Promise<SigningKeyRecord[]>;
  put(record: SigningKeyRecord): Promise<void>;
}
