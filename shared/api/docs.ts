import type * as z from 'zod';
import type { RouteKey } from '../schemas/routes';
import * as r from '../schemas/responses';
import { createdJob, jobView, objectUrl } from '../schemas/job-answers';

/** What a route answers: its success statuses (a schema, or null for no content) and its errors. */
export interface RouteDoc {
  readonly operationId: string;
  readonly tag: 'Challenges' | 'Push' | 'Users' | 'Authenticators' | 'Passkeys' | 'Recovery' | 'Remembered devices' | 'App passwords' | 'OATH tokens' | 'Tenant' | 'Logs and billing' | 'Operator' | 'Service';
  readonly summary: string;
  readonly description?: string;
  readonly responses: Readonly<Record<number, { readonly description: string; readonly schema: z.core.$ZodType | null; readonly mediaType?: string }>>;
  /** Errors besides those every route of its kind has (400 for bad input, 401/403 for keys, 413/415 for bodies). */
  readonly errors?: readonly number[];
}

const ok = <S extends z.core.$ZodType>(schema: S, description = 'OK') => ({ 200: { description, schema } });
const created = <S extends z.core.$ZodType>(schema: S, description = 'Created') => ({ 201: { description, schema } });
const noContent = { 204: { description: 'Done; no content', schema: null } } as const;
const userErrors = [404, 409];

/**
 * The prose and answers of every route, keyed like ROUTE_INPUTS; the document is built from both,
 * and `satisfies Record<RouteKey, …>` makes a route without its entry a compile error. Not
 * annotated with that type, so the client can infer each route's answer from its schema.
 */
export const ROUTE_DOCS = {
  'POST /v1/challenges': {
    operationId: 'createChallenge',
    tag: 'Challenges',
    summary: 'Start a second-factor challenge',
    description:
      'Texts a code (R1, R16), calls the user (R10–R15) or sends a push with number matching (R9). Without `method`, the user’s default. ' +
      'An `Idempotency-Key` makes a retry return the same challenge without a second text.',
    responses: created(r.challengeView, 'The challenge, pending'),
    errors: [403, 404, 409, 422, 429, 503],
  },
  'GET /v1/challenges/{challengeId}': {
    operationId: 'getChallenge',
    tag: 'Challenges',
    summary: 'Read a challenge’s status (poll voice and push here)',
    description: 'Status is pending, approved, denied, expired or locked, with the reason; an approved voice or push challenge carries its assertion.',
    responses: ok(r.challengeView),
    errors: [404],
  },
  'POST /v1/challenges/{challengeId}/verify': {
    operationId: 'verifyChallenge',
    tag: 'Challenges',
    summary: 'Check a code, or a passkey’s assertion',
    description:
      'A code is accepted once (R2); five wrong codes lock the challenge (R3). A passkey challenge takes `credential`, the browser’s AuthenticationResponseJSON, instead of `code`. ' +
      'Approval returns a signed ES256 assertion (R4); a passkey’s carries `amr` (RFC 8176) and `acr` (phishing-resistant).',
    responses: ok(r.verifiedChallenge, 'Approved, with the assertion'),
    errors: [404, 409, 410, 422, 423, 429],
  },
  'POST /v1/challenges/{challengeId}/resend': {
    operationId: 'resendChallenge',
    tag: 'Challenges',
    summary: 'Send a new code; the old one is void',
    responses: ok(r.challengeView),
    errors: [404, 409, 410, 423, 429, 503],
  },
  'GET /.well-known/jwks.json': {
    operationId: 'getJwks',
    tag: 'Challenges',
    summary: 'Public keys that check assertions offline (R4)',
    responses: ok(r.jwks),
  },
  'GET /v1/admin/users': { operationId: 'listUsers', tag: 'Users', summary: 'List users, by id prefix and filters', responses: ok(r.userPage), errors: [409] },
  'POST /v1/admin/users:import': {
    operationId: 'importUsers',
    tag: 'Users',
    summary: 'Import users from CSV, with a report per row (R19)',
    responses: ok(r.importReport),
    errors: [409],
  },
  'POST /v1/admin/jobs': {
    operationId: 'createJob',
    tag: 'Users',
    summary: 'Start a bulk job: import users or OATH tokens from a CSV file, or export every user (R19, R22)',
    description:
      'An import answers with an upload URL signed for exactly `bytes` bytes of `text/csv`: PUT the file there, then start the job. ' +
      'Users: up to 1,000,000 rows; tokens: up to 100,000 rows (CSV; PSKC stays on the synchronous import). An export starts at once.',
    responses: { 202: { description: 'The job, waiting for its file (imports) or running (exports)', schema: createdJob } },
    errors: [409],
  },
  'GET /v1/admin/jobs/{jobId}': { operationId: 'getJob', tag: 'Users', summary: 'A bulk job’s state and counts', responses: ok(jobView), errors: [404] },
  'POST /v1/admin/jobs/{jobId}/start': {
    operationId: 'startJob',
    tag: 'Users',
    summary: 'Start an import once its file is uploaded; the file is checked (header, row limit) first',
    responses: { 202: { description: 'The job, running', schema: jobView } },
    errors: [404, 409],
  },
  'POST /v1/admin/jobs/{jobId}/cancel': { operationId: 'cancelJob', tag: 'Users', summary: 'Cancel a job: no batch starts after this', responses: ok(jobView), errors: [404, 409] },
  'GET /v1/admin/jobs/{jobId}/download': {
    operationId: 'downloadJob',
    tag: 'Users',
    summary: 'A short-lived URL of the finished job’s report (JSON lines, one per row) or export (CSV)',
    responses: ok(objectUrl),
    errors: [404, 409],
  },
  'PUT /v1/admin/users/{userId}': {
    operationId: 'putUser',
    tag: 'Users',
    summary: 'Create or replace a user (phones are E.164; VoIP refused, R30)',
    responses: { ...ok(r.userView, 'Replaced'), ...created(r.userView) },
    errors: [403, 409, 422],
  },
  'GET /v1/admin/users/{userId}': { operationId: 'getUser', tag: 'Users', summary: 'Read a user with its throttling state', responses: ok(r.userWithThrottling), errors: userErrors },
  'PATCH /v1/admin/users/{userId}': { operationId: 'patchUser', tag: 'Users', summary: 'Change some of a user’s fields; null removes one', responses: ok(r.userView), errors: [...userErrors, 403, 422] },
  'DELETE /v1/admin/users/{userId}': { operationId: 'deleteUser', tag: 'Users', summary: 'Delete a user', responses: noContent, errors: userErrors },
  'POST /v1/admin/users/{userId}/reset': {
    operationId: 'resetUser',
    tag: 'Users',
    summary: 'Clear every registered method; the user must register again (R19, R20)',
    responses: ok(r.userView),
    errors: userErrors,
  },
  'POST /v1/admin/users/{userId}/block': { operationId: 'blockUser', tag: 'Users', summary: 'Block a user from MFA (R19)', responses: ok(r.userView), errors: userErrors },
  'POST /v1/admin/users/{userId}/unblock': { operationId: 'unblockUser', tag: 'Users', summary: 'Unblock a user', responses: ok(r.userView), errors: userErrors },
  'DELETE /v1/admin/users/{userId}/throttling': {
    operationId: 'clearThrottling',
    tag: 'Users',
    summary: 'Clear a user’s rate limits and fatigue pause (R6–R8)',
    responses: noContent,
    errors: userErrors,
  },
  'POST /v1/admin/users/{userId}/push-activations': {
    operationId: 'createPushActivation',
    tag: 'Push',
    summary: 'A one-time activation code (and QR code) for the user’s phone (R18)',
    responses: created(r.pushActivation),
    errors: userErrors,
  },
  'POST /v1/push/activate': {
    operationId: 'activatePush',
    tag: 'Push',
    summary: 'The phone trades its activation code for a device id and key',
    description: 'Public: the one-time activation code is the credential.',
    responses: created(r.pushActivated),
    errors: [401, 404, 409, 429],
  },
  'POST /v1/push/respond': {
    operationId: 'respondToPush',
    tag: 'Push',
    summary: 'The phone’s signed answer to a push prompt, with the number the user entered (R9)',
    description: 'Public: the HMAC signature with the device key is the credential.',
    responses: ok(r.pushResponded),
    errors: [401, 403, 404, 409, 429],
  },
  'POST /v1/admin/users/{userId}/authenticator': {
    operationId: 'enrollAuthenticator',
    tag: 'Authenticators',
    summary: 'Enrol an authenticator app: the otpauth URI and QR code, shown once (R5)',
    responses: created(r.authenticatorEnrollment),
    errors: userErrors,
  },
  'POST /v1/admin/users/{userId}/authenticator/confirm': {
    operationId: 'confirmAuthenticator',
    tag: 'Authenticators',
    summary: 'Confirm the enrolment with a current code',
    responses: ok(r.userView),
    errors: [...userErrors, 422],
  },
  'DELETE /v1/admin/users/{userId}/authenticator': {
    operationId: 'removeAuthenticator',
    tag: 'Authenticators',
    summary: 'Remove the authenticator app',
    responses: noContent,
    errors: userErrors,
  },
  'POST /v1/admin/users/{userId}/app-passwords': {
    operationId: 'createAppPassword',
    tag: 'App passwords',
    summary: 'Create an app password, shown once (R21)',
    responses: created(r.appPasswordCreated),
    errors: [403, ...userErrors],
  },
  'GET /v1/admin/users/{userId}/app-passwords': { operationId: 'listAppPasswords', tag: 'App passwords', summary: 'List app passwords, without secrets', responses: ok(r.appPasswordList), errors: userErrors },
  'DELETE /v1/admin/users/{userId}/app-passwords': {
    operationId: 'deleteAllAppPasswords',
    tag: 'App passwords',
    summary: 'Delete all of a user’s app passwords (lost phone)',
    responses: ok(r.appPasswordsDeleted),
    errors: userErrors,
  },
  'DELETE /v1/admin/users/{userId}/app-passwords/{passwordId}': {
    operationId: 'deleteAppPassword',
    tag: 'App passwords',
    summary: 'Delete one app password',
    responses: noContent,
    errors: userErrors,
  },
  'POST /v1/app-passwords/verify': {
    operationId: 'verifyAppPassword',
    tag: 'App passwords',
    summary: 'A legacy client’s sign-in with an app password',
    responses: ok(r.appPasswordVerified),
    errors: [403, 404, 409, 422],
  },
  'POST /v1/passkeys/registrations': {
    operationId: 'startPasskeyRegistration',
    tag: 'Passkeys',
    summary: 'Creation options for a new passkey of a user (single use, 5 minutes)',
    description:
      'For `navigator.credentials.create()`. Once the user has any method registered, `challengeId` must name a challenge of that user approved in the last ' +
      '10 minutes that has not authorised a registration before (problem `step-up-required`). Problem `passkeys-not-configured` without a passkey policy, `passkey-limit` at 10 passkeys.',
    responses: created(r.passkeyRegistrationStarted),
    errors: [403, 404, 409],
  },
  'POST /v1/passkeys/registrations/{registrationId}': {
    operationId: 'finishPasskeyRegistration',
    tag: 'Passkeys',
    summary: 'Check the browser’s new passkey and store it',
    description: 'Checks origin, RP id, challenge, user presence and verification, attestation and AAGUID per the policy. The registration is used up, whatever the outcome.',
    responses: created(r.passkeyRegistered),
    errors: [404, 409, 422],
  },
  'POST /v1/admin/users/{userId}/passkeys/registrations': {
    operationId: 'startAdminPasskeyRegistration',
    tag: 'Passkeys',
    summary: 'Creation options for a new passkey of a user, from the console',
    responses: created(r.passkeyRegistrationStarted),
    errors: userErrors,
  },
  'POST /v1/admin/users/{userId}/passkeys/registrations/{registrationId}': {
    operationId: 'finishAdminPasskeyRegistration',
    tag: 'Passkeys',
    summary: 'Check the browser’s new passkey and store it, from the console',
    responses: created(r.passkeyRegistered),
    errors: [404, 409, 422],
  },
  'GET /v1/admin/users/{userId}/passkeys': { operationId: 'listPasskeys', tag: 'Passkeys', summary: 'A user’s passkeys', responses: ok(r.passkeyList), errors: userErrors },
  'PATCH /v1/admin/users/{userId}/passkeys/{passkeyId}': { operationId: 'renamePasskey', tag: 'Passkeys', summary: 'Rename a passkey', responses: ok(r.passkeyView), errors: userErrors },
  'DELETE /v1/admin/users/{userId}/passkeys/{passkeyId}': { operationId: 'deletePasskey', tag: 'Passkeys', summary: 'Delete a passkey', responses: noContent, errors: userErrors },
  'POST /v1/remembered-devices': {
    operationId: 'rememberDevice',
    tag: 'Remembered devices',
    summary: 'Remember the device a user was just challenged on',
    description:
      'Needs `settings.rememberedDevices.enabled` (problem `remembered-devices-disabled`). `challengeId` must name a challenge of this tenant approved in the last 10 minutes ' +
      'that has not remembered a device before, for the user as they are now (problem `device-not-remembered`, with `reason`). The token is bound to the user and to `binding`, ' +
      'a value of the relying app (a hash of its device cookie, say), and is shown once.',
    responses: created(r.rememberedDeviceIssued),
    errors: [403, 404, 409],
  },
  'POST /v1/remembered-devices/check': {
    operationId: 'checkRememberedDevice',
    tag: 'Remembered devices',
    summary: 'Whether a remembered device’s token is still good',
    description:
      '`remembered` with its expiry, or `expired`, `revoked` (an admin revoked it, or the user was reset, deleted, blocked, reported fraud, or is phishing-resistant only) or `unknown` ' +
      '(never issued, another user or tenant, another binding). Every check is an auth-log line; it is not billed.',
    responses: ok(r.rememberedDeviceChecked),
    errors: [409],
  },
  'GET /v1/admin/users/{userId}/remembered-devices': {
    operationId: 'listRememberedDevices',
    tag: 'Remembered devices',
    summary: 'A user’s live remembered devices, without tokens',
    responses: ok(r.rememberedDeviceList),
    errors: userErrors,
  },
  'DELETE /v1/admin/users/{userId}/remembered-devices': {
    operationId: 'revokeRememberedDevices',
    tag: 'Remembered devices',
    summary: 'Revoke all of a user’s remembered devices',
    responses: ok(r.rememberedDevicesRevoked),
    errors: userErrors,
  },
  'POST /v1/recovery-codes': {
    operationId: 'generateRecoveryCodes',
    tag: 'Recovery',
    summary: 'Ten new recovery codes for a user, shown once; the previous set is void',
    description:
      'Once the user has any method registered, `challengeId` must name a challenge of that user approved in the last 10 minutes that has not authorised a change before ' +
      '(problem `step-up-required`; an approved access-pass or recovery-code challenge counts). Codes are stored as scrypt hashes; each is accepted once.',
    responses: created(r.recoveryCodes),
    errors: [403, 404, 409],
  },
  'POST /v1/authenticators': {
    operationId: 'startAuthenticatorRegistration',
    tag: 'Authenticators',
    summary: 'Enrol a user’s authenticator app from a relying app: the otpauth URI and QR code, shown once',
    description:
      'Once the user has any method registered, `challengeId` must name a challenge of that user approved in the last 10 minutes, after their last unblock or reset, ' +
      'that has not authorised a change before (problem `step-up-required`; an approved access-pass or recovery-code challenge counts). Confirm with the app’s first code.',
    responses: created(r.authenticatorEnrollment),
    errors: [403, 404],
  },
  'POST /v1/authenticators/confirm': {
    operationId: 'confirmAuthenticatorRegistration',
    tag: 'Authenticators',
    summary: 'Confirm a relying app’s authenticator enrolment with the app’s first code',
    description: 'The app becomes the user’s `app` method (replacing an earlier one); the code’s time step is used up (R5).',
    responses: ok(r.authenticatorConfirmed),
    errors: [404, 409, 422],
  },
  'PUT /v1/phones': {
    operationId: 'registerPhones',
    tag: 'Users',
    summary: 'Set a user’s primary phone (and backups when given) from a relying app',
    description:
      'Numbers are checked as in the console (E.164, VoIP refused, landlines voice-only, R30). Once the user has any method registered, `challengeId` names a step-up ' +
      'as for `POST /v1/authenticators` (problem `step-up-required`). Answers the numbers masked.',
    responses: ok(r.phonesRegistered),
    errors: [403, 404, 409],
  },
  'POST /v1/admin/users/{userId}/recovery-codes': {
    operationId: 'regenerateRecoveryCodes',
    tag: 'Recovery',
    summary: 'Ten new recovery codes for a user, shown once, from the console; the previous set is void',
    responses: created(r.recoveryCodes),
    errors: [403, 404, 409],
  },
  'GET /v1/admin/users/{userId}/recovery-codes': {
    operationId: 'getRecoveryCodeStatus',
    tag: 'Recovery',
    summary: 'How many of a user’s recovery codes are left (never the codes)',
    responses: ok(r.recoveryCodeStatus),
    errors: userErrors,
  },
  'POST /v1/admin/users/{userId}/access-passes': {
    operationId: 'issueAccessPass',
    tag: 'Recovery',
    summary: 'Issue a Temporary Access Pass for a user, shown once',
    description:
      'Lifetime 10 minutes to 30 days from its start (`startsAt`, at most 30 days ahead; absent: now); one-time or multi-use; at most 5 live passes per user. ' +
      'The user signs in with a challenge of method "tap", posting the pass as `code`; an approved one is the step-up to register a passkey or recovery codes.',
    responses: created(r.accessPassIssued),
    errors: [403, 404, 409],
  },
  'GET /v1/admin/users/{userId}/access-passes': {
    operationId: 'listAccessPasses',
    tag: 'Recovery',
    summary: 'A user’s access passes, without the secret',
    responses: ok(r.accessPassList),
    errors: userErrors,
  },
  'DELETE /v1/admin/users/{userId}/access-passes/{passId}': {
    operationId: 'revokeAccessPass',
    tag: 'Recovery',
    summary: 'Revoke an access pass',
    responses: noContent,
    errors: userErrors,
  },
  'POST /v1/admin/oath-tokens:import': {
    operationId: 'importOathTokens',
    tag: 'OATH tokens',
    summary: 'Import hardware tokens from CSV or PSKC (R22)',
    description: 'CSV columns: serial, Base32 secret, interval (30 or 60). PSKC (RFC 6030) may be encrypted with a pre-shared AES-128 key sent in `Tessera-PSKC-Key`.',
    responses: ok(r.oathImportReport),
    errors: [409],
  },
  'GET /v1/admin/oath-tokens': { operationId: 'listOathTokens', tag: 'OATH tokens', summary: 'List hardware tokens', responses: ok(r.oathTokenPage) },
  'POST /v1/admin/oath-tokens/{serial}/assign': { operationId: 'assignOathToken', tag: 'OATH tokens', summary: 'Assign a token to a user by serial', responses: ok(r.oathTokenView), errors: userErrors },
  'POST /v1/admin/oath-tokens/{serial}/unassign': { operationId: 'unassignOathToken', tag: 'OATH tokens', summary: 'Take a token back from its user', responses: ok(r.oathTokenView), errors: userErrors },
  'POST /v1/admin/oath-tokens/{serial}/resync': {
    operationId: 'resyncOathToken',
    tag: 'OATH tokens',
    summary: 'Measure a token’s drift from two consecutive codes',
    responses: ok(r.oathTokenView),
    errors: [...userErrors, 422],
  },
  'PUT /v1/admin/provider': {
    operationId: 'putProvider',
    tag: 'Tenant',
    summary: 'Create the MFA provider; its billing model cannot change later (R17, R18)',
    responses: { ...ok(r.providerView, 'Unchanged'), ...created(r.providerView) },
    errors: [409],
  },
  'GET /v1/admin/provider': { operationId: 'getProvider', tag: 'Tenant', summary: 'The provider and its billing model', responses: ok(r.providerView), errors: [404] },
  'DELETE /v1/admin/provider': { operationId: 'deleteProvider', tag: 'Tenant', summary: 'Delete the provider', responses: noContent, errors: [404] },
  'GET /v1/admin/settings': { operationId: 'getSettings', tag: 'Tenant', summary: 'Methods policy and settings', responses: ok(r.settingsView) },
  'PUT /v1/admin/settings': { operationId: 'putSettings', tag: 'Tenant', summary: 'Replace the settings', responses: ok(r.settingsView) },
  'PATCH /v1/admin/settings': { operationId: 'patchSettings', tag: 'Tenant', summary: 'Change some settings', responses: ok(r.settingsView) },
  'GET /v1/admin/api-keys': { operationId: 'listApiKeys', tag: 'Tenant', summary: 'List API keys, without secrets', responses: ok(r.apiKeyList) },
  'POST /v1/admin/api-keys': { operationId: 'createApiKey', tag: 'Tenant', summary: 'Create an API key, shown once', responses: created(r.createdApiKey) },
  'DELETE /v1/admin/api-keys/{keyId}': { operationId: 'revokeApiKey', tag: 'Tenant', summary: 'Revoke an API key', responses: noContent, errors: [404] },
  'POST /v1/admin/api-keys/{keyId}/rotate': {
    operationId: 'rotateApiKey',
    tag: 'Tenant',
    summary: 'A new key; the old one works for a grace period',
    responses: created(r.createdApiKey),
    errors: [404],
  },
  'GET /v1/admin/auth-logs': { operationId: 'listAuthLogs', tag: 'Logs and billing', summary: 'Verification attempts, newest first, with filters (R23)', responses: ok(r.authLogPage) },
  'GET /v1/admin/usage': { operationId: 'getUsage', tag: 'Logs and billing', summary: 'Counts per day, method and result for a month (R23)', responses: ok(r.usageReport) },
  'GET /v1/admin/billing': { operationId: 'getBill', tag: 'Logs and billing', summary: 'The bill of a month so far (R24–R26)', responses: ok(r.billView) },
  'GET /v1/admin/notifications': { operationId: 'listNotifications', tag: 'Logs and billing', summary: 'Blocks, unblocks and fraud reports (R14)', responses: ok(r.notificationPage) },
  'POST /v1/operator/tenants': { operationId: 'createTenant', tag: 'Operator', summary: 'Create a tenant with its first admin and auth keys (shown once)', responses: created(r.createdTenant) },
  'PUT /v1/operator/tenants/{tenantId}/limits': {
    operationId: 'setTenantCaps',
    tag: 'Operator',
    summary: 'Set a tenant’s per-second caps (R6)',
    description:
      'The ceilings of `challengesPerSecond` (challenges and resends) and `requestsPerSecond` (every request with the tenant’s keys); ' +
      '`null` or absent restores the default. Only the operator raises them; the tenant may only set a lower `challengesPerSecond` in its settings.',
    responses: ok(r.tenantCaps),
    errors: [404],
  },
  'PUT /v1/operator/tenants/{tenantId}/caller-ids': {
    operationId: 'setTenantCallerIds',
    tag: 'Operator',
    summary: 'Assign a tenant’s caller-ID numbers (R15)',
    description:
      'Replaces the list of E.164 numbers (at most 20, each once) the tenant may pick as the `callerId` of its voice calls. ' +
      'When the tenant’s current `callerId` is not in the new list, it is cleared in the same write (`callerIdCleared: true`): ' +
      'voice challenges then answer `method-unavailable` with reason `caller_id_missing` until an admin sets an assigned number.',
    responses: ok(r.tenantCallerIds),
    errors: [404, 409],
  },
  'POST /v1/operator/signing-keys': { operationId: 'rotateSigningKey', tag: 'Operator', summary: 'Publish the next assertion signing key; it signs once JWKS caches have expired (R4)', responses: created(r.signingKey) },
  'GET /openapi.json': { operationId: 'getOpenApiDocument', tag: 'Service', summary: 'This document (OpenAPI 3.1)', responses: { 200: { description: 'OK', schema: null, mediaType: 'application/json' } } as RouteDoc['responses'] },
  'GET /docs': { operationId: 'getReference', tag: 'Service', summary: 'This document as an HTML page', responses: { 200: { description: 'OK', schema: null, mediaType: 'text/html' } } as RouteDoc['responses'] },
} satisfies Record<RouteKey, RouteDoc>;
