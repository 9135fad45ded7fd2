import * as z from 'zod';
import { MAX_PASSKEY_ORIGINS } from '../rules';

/**
 * Passkeys (WebAuthn) at the edge: the tenant's policy, the browser's responses as
 * `@simplewebauthn/browser` posts them (RegistrationResponseJSON, AuthenticationResponseJSON), and
 * the ids of registrations and passkeys. The WebAuthn checks themselves are `@simplewebauthn/server`'s.
 */

const base64url = (max: number) => z.string().min(1).max(max).regex(/^[A-Za-z0-9_-]+$/, 'must be base64url without padding');

/** A credential id: base64url, at most 1023 bytes (WebAuthn's limit), so at most 1364 characters. */
export const passkeyIdSchema = base64url(1364);

export const passkeyRegistrationIdSchema = z.string().regex(/^pr_[A-Za-z0-9_-]{22}$/, 'is not a passkey registration id');

const aaguidSchema = z
  .string()
  .regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, 'must be a lower-case UUID');

/** A trusted attestation root: one X.509 certificate, PEM (the settings service parses it and requires a CA). */
const attestationRootSchema = z
  .string()
  .max(8192)
  .regex(/^-----BEGIN CERTIFICATE-----\r?\n[A-Za-z0-9+/=\r\n]+\n-----END CERTIFICATE-----\s*$/, 'must be one PEM X.509 certificate (-----BEGIN CERTIFICATE----- …)');

/** A host name label by label (no IP address): what an rpId may be. */
const DOMAIN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;

/** Whether `origin` is an origin a passkey may be used on: https, or http on localhost. */
function originProblem(origin: string): string | undefined {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return 'must be an origin such as https://login.example.com';
  }
  if (url.origin !== origin) return `must be an origin alone (scheme, host and port), such as ${url.origin}`;
  if (url.protocol === 'https:') return undefined;
  if (url.protocol === 'http:' && url.hostname === 'localhost') return undefined;
  return 'must be https (http only for localhost)';
}

/**
 * The tenant's passkey policy (PUT/PATCH /v1/admin/settings `passkeys`). The rpId must be a
 * domain every origin's host is, or ends with (WebAuthn's "registrable domain suffix"); a single
 * label other than `localhost` is refused as a public suffix.
 */
export const passkeyPolicySchema = z
  .strictObject({
    rpId: z.string().min(1).max(253).regex(DOMAIN, 'must be a lower-case domain name such as example.com'),
    rpName: z.string().trim().min(1).max(100),
    origins: z.array(z.string().min(1).max(2048)).min(1).max(MAX_PASSKEY_ORIGINS),
    userVerification: z.enum(['required', 'preferred']).default('required'),
    attestation: z.enum(['none', 'direct']).default('none'),
    aaguids: z.array(aaguidSchema).min(1).max(100).optional(),
    attestationRoots: z.array(attestationRootSchema).min(1).max(10).optional(),
    allowSynced: z.boolean().default(true),
    phishingResistantOnly: z.boolean().default(false),
  })
  .superRefine((policy, ctx) => {
    if (!policy.rpId.includes('.') && policy.rpId !== 'localhost') {
      ctx.addIssue({ code: 'custom', path: ['rpId'], message: 'must be a registrable domain (example.com), not a top-level domain' });
    }
    // A top-level domain is never all digits: an IPv4 address is no relying-party id.
    if (/^\d+$/.test(policy.rpId.split('.').at(-1) ?? '')) ctx.addIssue({ code: 'custom', path: ['rpId'], message: 'must be a domain name, not an IP address' });
    policy.origins.forEach((origin, i) => {
      const problem = originProblem(origin);
      if (problem) {
        ctx.addIssue({ code: 'custom', path: ['origins', i], message: problem });
        return;
      }
      const host = new URL(origin).hostname;
      if (host !== policy.rpId && !host.endsWith(`.${policy.rpId}`)) {
        ctx.addIssue({ code: 'custom', path: ['origins', i], message: `its host must be ${policy.rpId} or end with .${policy.rpId} (the rpId)` });
      }
      if (policy.origins.indexOf(origin) !== i) ctx.addIssue({ code: 'custom', path: ['origins', i], message: 'is already in the list' });
    });
    if (policy.aaguids && policy.attestation !== 'direct') {
      ctx.addIssue({ code: 'custom', path: ['aaguids'], message: 'needs attestation "direct": without it the AAGUID is not attested' });
    }
    if (policy.attestationRoots && policy.attestation !== 'direct') {
      ctx.addIssue({ code: 'custom', path: ['attestationRoots'], message: 'needs attestation "direct": without it no attestation is asked for' });
    }
  });

const transports = z.array(z.enum(['ble', 'cable', 'hybrid', 'internal', 'nfc', 'smart-card', 'usb'])).max(8);
const extensionResults = z.record(z.string(), z.unknown());

/** What `startRegistration()` of @simplewebauthn/browser returns (RegistrationResponseJSON). */
export const registrationResponseSchema = z.strictObject({
  id: passkeyIdSchema,
  rawId: passkeyIdSchema,
  response: z.looseObject({
    clientDataJSON: base64url(8192),
    attestationObject: base64url(32768),
    authenticatorData: base64url(16384).optional(),
    transports: z.array(z.string().max(32)).max(8).optional(),
    publicKeyAlgorithm: z.number().int().optional(),
    publicKey: base64url(8192).optional(),
  }),
  authenticatorAttachment: z.enum(['platform', 'cross-platform']).optional(),
  clientExtensionResults: extensionResults,
  type: z.literal('public-key'),
});

/** What `startAuthentication()` of @simplewebauthn/browser returns (AuthenticationResponseJSON). */
export const authenticationResponseSchema = z.strictObject({
  id: passkeyIdSchema,
  rawId: passkeyIdSchema,
  response: z.looseObject({
    clientDataJSON: base64url(8192),
    authenticatorData: base64url(16384),
    signature: base64url(2048),
    userHandle: base64url(128).optional(),
  }),
  authenticatorAttachment: z.enum(['platform', 'cross-platform']).optional(),
  clientExtensionResults: extensionResults,
  type: z.literal('public-key'),
});

export { transports as passkeyTransportsSchema };

const passkeyName = z.string().trim().min(1).max(64);

/** POST /v1/passkeys/registrations: the relying app asks for creation options (a step-up once the user has a method). */
export const startPasskeyRegistrationBody = z.strictObject({
  userId: z.string().min(1).max(128).regex(/^[A-Za-z0-9._@+-]+$/, 'may contain letters, digits and . _ @ + - only'),
  challengeId: z.string().regex(/^ch_[A-Za-z0-9_-]{22}$/, 'is not a challenge id').optional(),
});

/** POST …/passkeys/registrations/{registrationId}: the browser's answer and an optional name. */
export const finishPasskeyRegistrationBody = z.strictObject({ response: registrationResponseSchema, name: passkeyName.optional() });

export const renamePasskeyBody = z.strictObject({ name: passkeyName });
