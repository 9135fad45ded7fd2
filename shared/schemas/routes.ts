import type * as z from '../zod';
import type { HttpFunctionName, RouteKeyOf } from '../routes';
import { MAX_IMPORT_BYTES, OATH_IMPORT_MAX_BYTES } from '../rules';
import {
  apiKeyIdSchema,
  appPasswordIdSchema,
  assignOathTokenBody,
  authLogsQuery,
  blockBody,
  callerIdsBody,
  challengeIdSchema,
  checkRememberedDeviceBody,
  confirmAuthenticatorBody,
  createApiKeyBody,
  createAppPasswordBody,
  createChallengeBody,
  createTenantBody,
  emptyBody,
  idempotencyKeySchema,
  listUsersQuery,
  notificationsQuery,
  oathSerialSchema,
  oathTokensQuery,
  providerBody,
  pskcKeySchema,
  rememberDeviceBody,
  resyncOathTokenBody,
  rotateApiKeyBody,
  settingsBody,
  settingsPatchBody,
  tenantCapsBody,
  tenantIdSchema,
  userBody,
  userIdSchema,
  userPatchBody,
  usageQuery,
  verifyAppPasswordBody,
  verifyChallengeBody,
  generateRecoveryCodesBody,
  startAuthenticatorBody,
  confirmAppAuthenticatorBody,
  setPhonesBody,
} from './index';
import { accessPassIdSchema, issueAccessPassBody } from './recovery';
import { createJobBody, jobIdSchema } from './jobs';
import {
  finishPasskeyRegistrationBody,
  passkeyIdSchema,
  passkeyRegistrationIdSchema,
  renamePasskeyBody,
  startPasskeyRegistrationBody,
} from './passkeys';
import { activatePushBody, pushRespondBody } from './push';

/** A text upload (CSV, PSKC) instead of a JSON body. */
export interface TextBody {
  readonly contentTypes: readonly string[];
  readonly maxBytes: number;
}

/**
 * What one route reads from a request. The handlers read their input through these very
 * objects (`req.json(inputs.body)`, from their function's table below), and the OpenAPI document is generated from them,
 * so the document cannot say something the handler does not check.
 */
export interface RouteInputs {
  readonly params?: Readonly<Record<string, z.core.$ZodType>>;
  readonly query?: z.core.$ZodObject;
  readonly headers?: Readonly<Record<string, z.core.$ZodType>>;
  readonly body?: z.core.$ZodType;
  readonly text?: TextBody;
}

const user = { userId: userIdSchema };
const challenge = { challengeId: challengeIdSchema };
const serial = { serial: oathSerialSchema };
const registration = { registrationId: passkeyRegistrationIdSchema };
const job = { jobId: jobIdSchema };

/** The media types of an OATH token import (R22): CSV or PSKC (RFC 6030). */
export const OATH_IMPORT_TYPES = { csv: 'text/csv', pskc: ['application/pskc+xml', 'application/xml', 'text/xml'] } as const;
const oathImportContentTypes = /* @__PURE__ */ (() => [OATH_IMPORT_TYPES.csv, ...OATH_IMPORT_TYPES.pskc] as const)();

/** One function's inputs: an entry for each of its routes in ROUTES, keyed by API Gateway route key (`METHOD path`), and no other. */
type InputsOf<F extends HttpFunctionName> = { readonly [K in RouteKeyOf<F>]: RouteInputs };

/*
 * Each HTTP function's routes' inputs, one table per function: its handler passes its own table to
 * the route wrapper, so that its bundle carries (and its module builds) only the shapes of its own
 * routes (esbuild leaves the other tables, and the schema modules only they use, out). So no
 * table spreads or reads a property of another value: esbuild keeps an unused statement that might
 * run code (a spread may call an iterator or getter), and with it every schema that it names.
 */

export const createChallengeInputs = {
  'POST /v1/challenges': { body: createChallengeBody, headers: { 'Idempotency-Key': idempotencyKeySchema } },
} as const satisfies InputsOf<'create-challenge'>;

export const verifyChallengeInputs = {
  'POST /v1/challenges/{challengeId}/verify': { params: challenge, body: verifyChallengeBody },
} as const satisfies InputsOf<'verify-challenge'>;

export const getChallengeInputs = {
  'GET /v1/challenges/{challengeId}': { params: challenge },
} as const satisfies InputsOf<'get-challenge'>;

export const resendChallengeInputs = {
  'POST /v1/challenges/{challengeId}/resend': { params: challenge, body: emptyBody },
} as const satisfies InputsOf<'resend-challenge'>;

export const jwksInputs = {
  'GET /.well-known/jwks.json': {},
} as const satisfies InputsOf<'jwks'>;

export const adminUsersInputs = {
  'GET /v1/admin/users': { query: listUsersQuery },
  'PUT /v1/admin/users/{userId}': { params: user, body: userBody },
  'GET /v1/admin/users/{userId}': { params: user },
  'PATCH /v1/admin/users/{userId}': { params: user, body: userPatchBody },
  'DELETE /v1/admin/users/{userId}': { params: user },
  'POST /v1/admin/users/{userId}/reset': { params: user },
  'POST /v1/admin/users/{userId}/block': { params: user, body: blockBody },
  'POST /v1/admin/users/{userId}/unblock': { params: user },
  'DELETE /v1/admin/users/{userId}/throttling': { params: user },
} as const satisfies InputsOf<'admin-users'>;

export const adminUsersImportInputs = {
  'POST /v1/admin/users:import': { text: { contentTypes: ['text/csv'], maxBytes: MAX_IMPORT_BYTES } },
} as const satisfies InputsOf<'admin-users-import'>;

export const adminJobsInputs = {
  'POST /v1/admin/jobs': { body: createJobBody },
  'GET /v1/admin/jobs/{jobId}': { params: job },
  'POST /v1/admin/jobs/{jobId}/start': { params: job, body: emptyBody },
  'POST /v1/admin/jobs/{jobId}/cancel': { params: job, body: emptyBody },
  'GET /v1/admin/jobs/{jobId}/download': { params: job },
} as const satisfies InputsOf<'admin-jobs'>;

export const adminProviderInputs = {
  'PUT /v1/admin/provider': { body: providerBody },
  'GET /v1/admin/provider': {},
  'DELETE /v1/admin/provider': {},
} as const satisfies InputsOf<'admin-provider'>;

export const adminSettingsInputs = {
  'GET /v1/admin/settings': {},
  'PUT /v1/admin/settings': { body: settingsBody },
  'PATCH /v1/admin/settings': { body: settingsPatchBody },
} as const satisfies InputsOf<'admin-settings'>;

export const adminApiKeysInputs = {
  'GET /v1/admin/api-keys': {},
  'POST /v1/admin/api-keys': { body: createApiKeyBody },
  'DELETE /v1/admin/api-keys/{keyId}': { params: { keyId: apiKeyIdSchema } },
  'POST /v1/admin/api-keys/{keyId}/rotate': { params: { keyId: apiKeyIdSchema }, body: rotateApiKeyBody },
} as const satisfies InputsOf<'admin-api-keys'>;

export const adminLogsInputs = {
  'GET /v1/admin/auth-logs': { query: authLogsQuery },
  'GET /v1/admin/usage': { query: usageQuery },
  'GET /v1/admin/billing': { query: usageQuery },
  'GET /v1/admin/notifications': { query: notificationsQuery },
} as const satisfies InputsOf<'admin-logs'>;

export const adminAuthenticatorInputs = {
  'POST /v1/admin/users/{userId}/authenticator': { params: user },
  'POST /v1/admin/users/{userId}/authenticator/confirm': { params: user, body: confirmAuthenticatorBody },
  'DELETE /v1/admin/users/{userId}/authenticator': { params: user },
} as const satisfies InputsOf<'admin-authenticator'>;

export const adminOathTokensInputs = {
  'POST /v1/admin/oath-tokens:import': {
    text: { contentTypes: oathImportContentTypes, maxBytes: OATH_IMPORT_MAX_BYTES },
    headers: { 'Tessera-PSKC-Key': pskcKeySchema },
  },
  'GET /v1/admin/oath-tokens': { query: oathTokensQuery },
  'POST /v1/admin/oath-tokens/{serial}/assign': { params: serial, body: assignOathTokenBody },
  'POST /v1/admin/oath-tokens/{serial}/unassign': { params: serial },
  'POST /v1/admin/oath-tokens/{serial}/resync': { params: serial, body: resyncOathTokenBody },
} as const satisfies InputsOf<'admin-oath-tokens'>;

export const adminAppPasswordsInputs = {
  'POST /v1/admin/users/{userId}/app-passwords': { params: user, body: createAppPasswordBody },
  'GET /v1/admin/users/{userId}/app-passwords': { params: user },
  'DELETE /v1/admin/users/{userId}/app-passwords': { params: user },
  'DELETE /v1/admin/users/{userId}/app-passwords/{passwordId}': { params: { userId: userIdSchema, passwordId: appPasswordIdSchema } },
} as const satisfies InputsOf<'admin-app-passwords'>;

export const verifyAppPasswordInputs = {
  'POST /v1/app-passwords/verify': { body: verifyAppPasswordBody },
} as const satisfies InputsOf<'verify-app-password'>;

export const adminPushActivationsInputs = {
  'POST /v1/admin/users/{userId}/push-activations': { params: user, body: emptyBody },
} as const satisfies InputsOf<'admin-push-activations'>;

export const passkeyRegistrationsInputs = {
  'POST /v1/passkeys/registrations': { body: startPasskeyRegistrationBody },
  'POST /v1/passkeys/registrations/{registrationId}': { params: registration, body: finishPasskeyRegistrationBody },
} as const satisfies InputsOf<'passkey-registrations'>;

export const adminPasskeysInputs = {
  'POST /v1/admin/users/{userId}/passkeys/registrations': { params: user, body: emptyBody },
  'POST /v1/admin/users/{userId}/passkeys/registrations/{registrationId}': { params: { userId: userIdSchema, registrationId: passkeyRegistrationIdSchema }, body: finishPasskeyRegistrationBody },
  'GET /v1/admin/users/{userId}/passkeys': { params: user },
  'PATCH /v1/admin/users/{userId}/passkeys/{passkeyId}': { params: { userId: userIdSchema, passkeyId: passkeyIdSchema }, body: renamePasskeyBody },
  'DELETE /v1/admin/users/{userId}/passkeys/{passkeyId}': { params: { userId: userIdSchema, passkeyId: passkeyIdSchema } },
} as const satisfies InputsOf<'admin-passkeys'>;

export const rememberedDevicesInputs = {
  'POST /v1/remembered-devices': { body: rememberDeviceBody },
  'POST /v1/remembered-devices/check': { body: checkRememberedDeviceBody },
} as const satisfies InputsOf<'remembered-devices'>;

export const adminRememberedDevicesInputs = {
  'GET /v1/admin/users/{userId}/remembered-devices': { params: user },
  'DELETE /v1/admin/users/{userId}/remembered-devices': { params: user },
} as const satisfies InputsOf<'admin-remembered-devices'>;

export const recoveryCodesInputs = {
  'POST /v1/recovery-codes': { body: generateRecoveryCodesBody },
} as const satisfies InputsOf<'recovery-codes'>;

export const adminRecoveryInputs = {
  'POST /v1/admin/users/{userId}/recovery-codes': { params: user, body: emptyBody },
  'GET /v1/admin/users/{userId}/recovery-codes': { params: user },
  'POST /v1/admin/users/{userId}/access-passes': { params: user, body: issueAccessPassBody },
  'GET /v1/admin/users/{userId}/access-passes': { params: user },
  'DELETE /v1/admin/users/{userId}/access-passes/{passId}': { params: { userId: userIdSchema, passId: accessPassIdSchema } },
} as const satisfies InputsOf<'admin-recovery'>;

export const methodRegistrationsInputs = {
  'POST /v1/authenticators': { body: startAuthenticatorBody },
  'POST /v1/authenticators/confirm': { body: confirmAppAuthenticatorBody },
  'PUT /v1/phones': { body: setPhonesBody },
} as const satisfies InputsOf<'method-registrations'>;

export const pushActivateInputs = {
  'POST /v1/push/activate': { body: activatePushBody },
} as const satisfies InputsOf<'push-activate'>;

export const pushRespondInputs = {
  'POST /v1/push/respond': { body: pushRespondBody },
} as const satisfies InputsOf<'push-respond'>;

export const operatorTenantsInputs = {
  'POST /v1/operator/tenants': { body: createTenantBody },
  'PUT /v1/operator/tenants/{tenantId}/limits': { params: { tenantId: tenantIdSchema }, body: tenantCapsBody },
  'PUT /v1/operator/tenants/{tenantId}/caller-ids': { params: { tenantId: tenantIdSchema }, body: callerIdsBody },
} as const satisfies InputsOf<'operator-tenants'>;

export const operatorSigningKeysInputs = {
  'POST /v1/operator/signing-keys': { body: emptyBody },
} as const satisfies InputsOf<'operator-signing-keys'>;

export const openapiInputs = {
  'GET /openapi.json': {},
  'GET /docs': {},
} as const satisfies InputsOf<'openapi'>;

/**
 * Every route's inputs, keyed by API Gateway route key (`METHOD path`), one entry per line of ROUTES:
 * what the OpenAPI document and the typed client are generated from. A handler never reads this
 * table (its bundle would carry every route's shapes) but its own function's above.
 */
function everyRoute() {
  return {
    ...createChallengeInputs,
    ...verifyChallengeInputs,
    ...getChallengeInputs,
    ...resendChallengeInputs,
    ...jwksInputs,
    ...adminUsersInputs,
    ...adminUsersImportInputs,
    ...adminJobsInputs,
    ...adminProviderInputs,
    ...adminSettingsInputs,
    ...adminApiKeysInputs,
    ...adminLogsInputs,
    ...adminAuthenticatorInputs,
    ...adminOathTokensInputs,
    ...adminAppPasswordsInputs,
    ...verifyAppPasswordInputs,
    ...adminPushActivationsInputs,
    ...passkeyRegistrationsInputs,
    ...adminPasskeysInputs,
    ...rememberedDevicesInputs,
    ...adminRememberedDevicesInputs,
    ...recoveryCodesInputs,
    ...adminRecoveryInputs,
    ...methodRegistrationsInputs,
    ...pushActivateInputs,
    ...pushRespondInputs,
    ...operatorTenantsInputs,
    ...operatorSigningKeysInputs,
    ...openapiInputs,
  };
}

export const ROUTE_INPUTS = /* @__PURE__ */ everyRoute();

export type RouteKey = keyof typeof ROUTE_INPUTS;
