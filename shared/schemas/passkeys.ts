import * as z from '../zod';

/**
 * Passkeys (WebAuthn) at the edge (the tenant's policy is ./passkey-policy.ts): the browser's responses as
 * `@simplewebauthn/browser` posts them (RegistrationResponseJSON, AuthenticationResponseJSON), and
 * the ids of registrations and passkeys. The WebAuthn checks themselves are `@simplewebauthn/server`'s.
 */

const base64url = (max: number) => z.string().check(z.minLength(1), z.maxLength(max), z.regex(/^[A-Za-z0-9_-]+$/, 'must be base64url without padding'));

/** A credential id: base64url, at most 1023 bytes (WebAuthn's limit), so at most 1364 characters. */
export const passkeyIdSchema = base64url(1364);

export const passkeyRegistrationIdSchema = z.string().check(z.regex(/^pr_[A-Za-z0-9_-]{22}$/, 'is not a passkey registration id'));

export { passkeyPolicySchema } from './passkey-policy';

const transports = z.array(z.enum(['ble', 'cable', 'hybrid', 'internal', 'nfc', 'smart-card', 'usb'])).check(z.maxLength(8));
const extensionResults = z.record(z.string(), z.unknown());

/** What `startRegistration()` of @simplewebauthn/browser returns (RegistrationResponseJSON). */
export const registrationResponseSchema = z.strictObject({
  id: passkeyIdSchema,
  rawId: passkeyIdSchema,
  response: z.looseObject({
    clientDataJSON: base64url(8192),
    attestationObject: base64url(32768),
    authenticatorData: z.optional(base64url(16384)),
    transports: z.optional(z.array(z.string().check(z.maxLength(32))).check(z.maxLength(8))),
    publicKeyAlgorithm: z.optional(z.number().check(z.int())),
    publicKey: z.optional(base64url(8192)),
  }),
  authenticatorAttachment: z.optional(z.enum(['platform', 'cross-platform'])),
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
    userHandle: z.optional(base64url(128)),
  }),
  authenticatorAttachment: z.optional(z.enum(['platform', 'cross-platform'])),
  clientExtensionResults: extensionResults,
  type: z.literal('public-key'),
});

export { transports as passkeyTransportsSchema };

const passkeyName = z.string().check(z.trim(), z.minLength(1), z.maxLength(64));

/** POST /v1/passkeys/registrations: the relying app asks for creation options (a step-up once the user has a method). */
export const startPasskeyRegistrationBody = z.strictObject({
  userId: z.string().check(z.minLength(1), z.maxLength(128), z.regex(/^[A-Za-z0-9._@+-]+$/, 'may contain letters, digits and . _ @ + - only')),
  challengeId: z.optional(z.string().check(z.regex(/^ch_[A-Za-z0-9_-]{22}$/, 'is not a challenge id'))),
});

/** POST …/passkeys/registrations/{registrationId}: the browser's answer and an optional name. */
export const finishPasskeyRegistrationBody = z.strictObject({ response: registrationResponseSchema, name: z.optional(passkeyName) });

export const renamePasskeyBody = z.strictObject({ name: passkeyName });
