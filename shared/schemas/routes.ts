import type * as z from 'zod';
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
 * objects (`req.json(ROUTE_INPUTS[key].body)`), and the OpenAPI document is generated from them,
 * so the document cannot say something the handler does not check.
 */
export interface RouteInputs {
  readonly params?: Readonly<Record<string, z.ZodType>>;
  readonly query?: z.ZodObject;
  readonly headers?: Readonly<Record<string, z.ZodType>>;
  readonly body?: z.ZodType;
  readonly text?: TextBody;
}

const user = { userId: userIdSchema };
const challenge = { challengeId: challengeIdSchema };
const serial = { serial: oathSerialSchema };
const registration = { registrationId: passkeyRegistrationIdSchema };
const job = { jobId: jobIdSchema };

/** The media types of an OATH token import (R22): CSV or PSKC (RFC 6030). */
export const OATH_IMPORT_TYPES = { csv: 'text/csv', pskc: ['application/pskc+xml', 'application/xml', 'text/xml'] } as const;

/** Keyed by API Gateway route key (`METHOD path`), one entry per line of ROUTES. */
export const ROUTE_INPUTS = {
  'POST /v1/challenges': { body: createChallengeBody, headers: { 'Idempotency-Key': idempotencyKeySchema } },
  'GET /v1/challenges/{challengeId}': { params: challenge },
  'POST /v1/challenges/{challengeId}/verify': { params: challenge, body: verifyChallengeBody },
  'POST /v1/challenges/{challengeId}/resend': { params: challenge, body: emptyBody },
  'GET /.well-known/jwks.json': {},
  'GET /v1/admin/users': { query: listUsersQuery },
  'POST /v1/admin/users:import': { text: { contentTypes: ['text/csv'], maxBytes: MAX_IMPORT_BYTES } },
  'POST /v1/admin/jobs': { body: createJobBody },
  'GET /v1/admin/jobs/{jobId}': { params: job },
  'POST /v1/admin/jobs/{jobId}/start': { params: job, body: emptyBody },
  'POST /v1/admin/jobs/{jobId}/cancel': { params: job, body: emptyBody },
  'GET /v1/admin/jobs/{jobId}/download': { params: job },
  'PUT /v1/admin/users/{userId}': { params: user, body: userBody },
  'GET /v1/admin/users/{userId}': { params: user },
  'PATCH /v1/admin/users/{userId}': { params: user, body: userPatchBody },
  'DELETE /v1/admin/users/{userId}': { params: user },
  'POST /v1/admin/users/{userId}/reset': { params: user },
  'POST /v1/admin/users/{userId}/block': { params: user, body: blockBody },
  'POST /v1/admin/users/{userId}/unblock': { params: user },
  'DELETE /v1/admin/users/{userId}/throttling': { params: user },
  'POST /v1/admin/users/{userId}/push-activations': { params: user, body: emptyBody },
  'POST /v1/push/activate': { body: activatePushBody },
  'POST /v1/push/respond': { body: pushRespondBody },
  'POST /v1/admin/users/{userId}/authenticator': { params: user },
  'POST /v1/admin/users/{userId}/authenticator/confirm': { params: user, body: confirmAuthenticatorBody },
  'DELETE /v1/admin/users/{userId}/authenticator': { params: user },
  'POST /v1/admin/users/{userId}/app-passwords': { params: user, body: createAppPasswordBody },
  'GET /v1/admin/users/{userId}/app-passwords': { params: user },
  'DELETE /v1/admin/users/{userId}/app-passwords': { params: user },
  'DELETE /v1/admin/users/{userId}/app-passwords/{passwordId}': { params: { ...user, passwordId: appPasswordIdSchema } },
  'POST /v1/app-passwords/verify': { body: verifyAppPasswordBody },
  'POST /v1/passkeys/registrations': { body: startPasskeyRegistrationBody },
  'POST /v1/passkeys/registrations/{registrationId}': { params: registration, body: finishPasskeyRegistrationBody },
  'POST /v1/admin/users/{userId}/passkeys/registrations': { params: user, body: emptyBody },
  'POST /v1/admin/users/{userId}/passkeys/registrations/{registrationId}': { params: { ...user, ...registration }, body: finishPasskeyRegistrationBody },
  'GET /v1/admin/users/{userId}/passkeys': { params: user },
  'PATCH /v1/admin/users/{userId}/passkeys/{passkeyId}': { params: { ...user, passkeyId: passkeyIdSchema }, body: renamePasskeyBody },
  'DELETE /v1/admin/users/{userId}/passkeys/{passkeyId}': { params: { ...user, passkeyId: passkeyIdSchema } },
  'POST /v1/remembered-devices': { body: rememberDeviceBody },
  'POST /v1/remembered-devices/check': { body: checkRememberedDeviceBody },
  'GET /v1/admin/users/{userId}/remembered-devices': { params: user },
  'DELETE /v1/admin/users/{userId}/remembered-devices': { params: user },
  'POST /v1/recovery-codes': { body: generateRecoveryCodesBody },
  'POST /v1/authenticators': { body: startAuthenticatorBody },
  'POST /v1/authenticators/confirm': { body: confirmAppAuthenticatorBody },
  'PUT /v1/phones': { body: setPhonesBody },
  'POST /v1/admin/users/{userId}/recovery-codes': { params: user, body: emptyBody },
  'GET /v1/admin/users/{userId}/recovery-codes': { params: user },
  'POST /v1/admin/users/{userId}/access-passes': { params: user, body: issueAccessPassBody },
  'GET /v1/admin/users/{userId}/access-passes': { params: user },
  'DELETE /v1/admin/users/{userId}/access-passes/{passId}': { params: { ...user, passId: accessPassIdSchema } },
  'POST /v1/admin/oath-tokens:import': {
    text: { contentTypes: [OATH_IMPORT_TYPES.csv, ...OATH_IMPORT_TYPES.pskc], maxBytes: OATH_IMPORT_MAX_BYTES },
    headers: { 'Tessera-PSKC-Key': pskcKeySchema },
  },
  'GET /v1/admin/oath-tokens': { query: oathTokensQuery },
  'POST /v1/admin/oath-tokens/{serial}/assign': { params: serial, body: assignOathTokenBody },
  'POST /v1/admin/oath-tokens/{serial}/unassign': { params: serial },
  'POST /v1/admin/oath-tokens/{serial}/resync': { params: serial, body: resyncOathTokenBody },
  'PUT /v1/admin/provider': { body: providerBody },
  'GET /v1/admin/provider': {},
  'DELETE /v1/admin/provider': {},
  'GET /v1/admin/settings': {},
  'PUT /v1/admin/settings': { body: settingsBody },
  'PATCH /v1/admin/settings': { body: settingsPatchBody },
  'GET /v1/admin/api-keys': {},
  'POST /v1/admin/api-keys': { body: createApiKeyBody },
  'DELETE /v1/admin/api-keys/{keyId}': { params: { keyId: apiKeyIdSchema } },
  'POST /v1/admin/api-keys/{keyId}/rotate': { params: { keyId: apiKeyIdSchema }, body: rotateApiKeyBody },
  'GET /v1/admin/auth-logs': { query: authLogsQuery },
  'GET /v1/admin/usage': { query: usageQuery },
  'GET /v1/admin/billing': { query: usageQuery },
  'GET /v1/admin/notifications': { query: notificationsQuery },
  'POST /v1/operator/tenants': { body: createTenantBody },
  'PUT /v1/operator/tenants/{tenantId}/limits': { params: { tenantId: tenantIdSchema }, body: tenantCapsBody },
  'PUT /v1/operator/tenants/{tenantId}/caller-ids': { params: { tenantId: tenantIdSchema }, body: callerIdsBody },
  'POST /v1/operator/signing-keys': { body: emptyBody },
  'GET /openapi.json': {},
  'GET /docs': {},
} as const satisfies Record<string, RouteInputs>;

export type RouteKey = keyof typeof ROUTE_INPUTS;
