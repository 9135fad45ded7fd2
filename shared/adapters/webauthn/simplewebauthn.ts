import type { WebAuthnAssertions, WebAuthnRegistrations } from '../../ports';

/**
 * The WebAuthn ports over `@simplewebauthn/server`, loaded on first use: a handler that may meet a
 * passkey carries the library, but evaluates it (its X.509 and ASN.1 parsers among it) only when
 * a passkey is verified or registered, not at every cold start. Only the composition root's
 * passkey paths reach these, so no other bundle carries the library at all.
 */
let loaded: Promise<typeof import('@simplewebauthn/server')> | undefined;
const webauthn = (): Promise<typeof import('@simplewebauthn/server')> => (loaded ??= import('@simplewebauthn/server'));

let helpers: Promise<typeof import('@simplewebauthn/server/helpers')> | undefined;
const webauthnHelpers = (): Promise<typeof import('@simplewebauthn/server/helpers')> => (helpers ??= import('@simplewebauthn/server/helpers'));

export const simpleWebAuthnAssertions: WebAuthnAssertions = {
  verifyAuthentication: async (options) => (await webauthn()).verifyAuthenticationResponse(options),
};

export const simpleWebAuthnRegistrations: WebAuthnRegistrations = {
  registrationOptions: async (options) => (await webauthn()).generateRegistrationOptions(options),
  verifyRegistration: async (options) => (await webauthn()).verifyRegistrationResponse(options),
  async chainsToRoots(attestationObject, roots) {
    const { convertCertBufferToPEM, decodeAttestationObject, validateCertificatePath } = await webauthnHelpers();
    // The library checks a chain only against roots set process-wide (SettingsService, shared by
    // every tenant) or FIDO metadata (MetadataService, not reachable offline), and without either it
    // skips the path check: so the tenant's roots are checked here.
    const x5c = decodeAttestationObject(attestationObject).get('attStmt').get('x5c');
    if (!x5c?.length) return false;
    try {
      return await validateCertificatePath(x5c.map((cert) => convertCertBufferToPEM(cert)), [...roots]);
    } catch {
      return false;
    }
  },
};
