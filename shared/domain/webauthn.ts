/**
 * `@simplewebauthn/server`, loaded on first use. Every handler that builds the factor registry
 * (challenges, users) carries the passkey factor, but only a passkey challenge or registration
 * runs WebAuthn code: its libraries (X.509 and ASN.1 parsers among them) are evaluated then, not
 * at every cold start.
 */
let loaded: Promise<typeof import('@simplewebauthn/server')> | undefined;

export function webauthn(): Promise<typeof import('@simplewebauthn/server')> {
  loaded ??= import('@simplewebauthn/server');
  return loaded;
}

let helpers: Promise<typeof import('@simplewebauthn/server/helpers')> | undefined;

/** `@simplewebauthn/server/helpers` (attestation decoding, certificate paths), loaded on first use. */
export function webauthnHelpers(): Promise<typeof import('@simplewebauthn/server/helpers')> {
  helpers ??= import('@simplewebauthn/server/helpers');
  return helpers;
}
