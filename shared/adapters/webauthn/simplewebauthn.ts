import { once } from '../../once';
import type { WebAuthnAssertions, WebAuthnRegistrations } from '../../ports';

/**
 * The WebAuthn ports over `@simplewebauthn/server`, loaded on the first passkey verified or
 * registered, once per container: a Lambda bundle leaves the library (its X.509 and ASN.1 parsers
 * among it) out, and it ships beside the three handlers that may meet a passkey
 * (infra/lambda/aliases.ts LAMBDA_DEFERRED), so no cold start loads it. Only the composition
 * root's passkey paths reach these.
 */
const webauthn = /* @__PURE__ */ once((): Promise<typeof import('@simplewebauthn/server')> => import('@simplewebauthn/server'));
const webauthnHelpers = /* @__PURE__ */ once((): Promise<typeof import('@simplewebauthn/server/helpers')> => import('@simplewebauthn/server/helpers'));

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
