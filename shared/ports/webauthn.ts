// WebAuthn's own checks (origin, RP id, challenge, flags, signature, attestation), made by a
// library. Only the paths that verify or register a passkey are given one: the library and its
// CBOR, COSE and X.509/ASN.1 parsers weigh about 440 KiB, and no other bundle carries them.

import type {
  GenerateRegistrationOptionsOpts,
  PublicKeyCredentialCreationOptionsJSON,
  VerifiedAuthenticationResponse,
  VerifiedRegistrationResponse,
  VerifyAuthenticationResponseOpts,
  VerifyRegistrationResponseOpts,
} from '@simplewebauthn/server';

/** Checks a passkey's assertion (`navigator.credentials.get()`): what a passkey challenge is answered with. */
export interface WebAuthnAssertions {
  /** Throws when the response is malformed; `verified: false` when it does not verify. */
  verifyAuthentication(options: VerifyAuthenticationResponseOpts): Promise<VerifiedAuthenticationResponse>;
}

/** The registration ceremony (`navigator.credentials.create()`): its options, and the new credential's checks. */
export interface WebAuthnRegistrations {
  registrationOptions(options: GenerateRegistrationOptionsOpts): Promise<PublicKeyCredentialCreationOptionsJSON>;
  /** Throws when the response is malformed; `verified: false` when it does not verify. */
  verifyRegistration(options: VerifyRegistrationResponseOpts): Promise<VerifiedRegistrationResponse>;
  /**
   * Whether the attestation statement's certificate chain (x5c) leads to one of `roots` (PEM).
   * False without a chain, or when it does not validate.
   */
  chainsToRoots(attestationObject: Uint8Array<ArrayBuffer>, roots: readonly string[]): Promise<boolean>;
}
