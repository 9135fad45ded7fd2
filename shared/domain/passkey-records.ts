/**
 * What is stored for passkeys (WebAuthn): the user's credentials and the registration ceremonies
 * that create them. A leaf module: the port (shared/ports/passkeys.ts) carries these records.
 */

/** One passkey of a user: its public key and what the authenticator said about itself. */
export interface PasskeyRecord {
  readonly tenantId: string;
  readonly space: string;
  readonly userId: string;
  /** The credential id, base64url: the passkey's id in the API too. */
  readonly passkeyId: string;
  /** The COSE public key, base64url, as `@simplewebauthn/server` returned it. */
  readonly publicKey: string;
  /** The signature counter last accepted (0 for authenticators that do not count). */
  readonly counter: number;
  readonly transports: readonly string[];
  /** The authenticator model, a lower-case UUID (all zeros when not disclosed). */
  readonly aaguid: string;
  /** Backup eligible: a synced passkey. */
  readonly backupEligible: boolean;
  readonly backedUp: boolean;
  /**
   * The attestation statement's format (`none`, `packed`, …) and whether its certificate chain
   * verified to one of the tenant's attestation roots when it was registered: only then is the
   * AAGUID (the model) proven. Absent on passkeys registered before they were recorded: not attested.
   */
  readonly fmt?: string;
  readonly attested?: boolean;
  readonly name: string;
  readonly createdAt: string;
  readonly lastUsedAt?: string;
  /** The user's credential epoch when it was registered (see shared/domain/credentials.ts). */
  readonly epoch?: string;
}

/** A registration ceremony: single use, valid PASSKEY_REGISTRATION_TTL_SECONDS (checked on every read, R1's rule). */
export interface PasskeyRegistrationRecord {
  readonly tenantId: string;
  readonly registrationId: string;
  readonly space: string;
  readonly userId: string;
  /** The random WebAuthn challenge the browser's response must sign, base64url. */
  readonly challenge: string;
  /** Epoch milliseconds. */
  readonly expiresAt: number;
  /** Who started it: a relying app (auth key) or the console (admin key); finished only by the same kind of key. */
  readonly via: 'auth' | 'admin';
  readonly epoch?: string;
}

/**
 * The sign counter of a passkey moving on, compare-and-set with a challenge's approval: only if
 * it still holds `counterBefore` (and the passkey still exists under `epoch`).
 */
export interface PasskeyUse {
  readonly tenantId: string;
  readonly space: string;
  readonly userId: string;
  readonly passkeyId: string;
  readonly counterBefore: number;
  readonly counterAfter: number;
  readonly backedUp: boolean;
  readonly usedAt: string;
}

/** A relying app's step-up: an approved challenge of the user, used once to authorise one registration. */
export interface StepUpUse {
  readonly tenantId: string;
  readonly challengeId: string;
  readonly userId: string;
  /** Epoch ms: the challenge must have been approved after this. */
  readonly approvedAfter: number;
  readonly now: number;
}
