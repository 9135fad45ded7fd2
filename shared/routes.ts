/**
 * The HTTP API, defined once: the CDK API stack creates one Lambda function per entry and one
 * route per line; the local runtime serves the same lines with the same handler modules.
 */

export type Scope = 'auth' | 'admin' | 'operator' | 'public';

export interface RouteDefinition {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** API Gateway path syntax: `{name}` is a path parameter. */
  readonly path: string;
  /** File name (without extension) of the handler in `functions/`. */
  readonly handler: HttpFunctionName;
  /** Who may call it: the scope of the API key it needs. */
  readonly scope: Scope;
  /** R6: a public route that does costly work carries no key, so each source address has a request cap instead. */
  readonly cap?: 'source';
}

/** Handlers behind the HTTP API. */
export const HTTP_FUNCTIONS = [
  'create-challenge',
  'verify-challenge',
  'get-challenge',
  'resend-challenge',
  'jwks',
  'admin-users',
  'admin-users-import',
  'admin-jobs',
  'admin-provider',
  'admin-settings',
  'admin-api-keys',
  'admin-logs',
  'admin-authenticator',
  'admin-oath-tokens',
  'admin-app-passwords',
  'verify-app-password',
  'admin-push-activations',
  'passkey-registrations',
  'admin-passkeys',
  'remembered-devices',
  'admin-remembered-devices',
  'recovery-codes',
  'admin-recovery',
  'method-registrations',
  'push-activate',
  'push-respond',
  'operator-tenants',
  'operator-signing-keys',
  'openapi',
] as const;

export type HttpFunctionName = (typeof HTTP_FUNCTIONS)[number];

/**
 * Handlers of the voice rollover (R10–R15), invoked by the state machine and by Chime's SIP media
 * application rather than by a route.
 */
export const VOICE_FUNCTIONS = ['voice-place-call', 'voice-call-events', 'voice-finish'] as const;

export type VoiceFunctionName = (typeof VOICE_FUNCTIONS)[number];

/** The monthly billing run (R26), invoked by its schedule. */
export const BILLING_FUNCTIONS = ['billing-run'] as const;

/** The push deadline sweep (R7), invoked every minute by its schedule. */
export const SWEEP_FUNCTIONS = ['push-sweep'] as const;

/** Deploy-time handlers: CloudFormation custom resources (R15: the caller IDs' SIP rules). */
export const DEPLOY_FUNCTIONS = ['voice-sip-rules'] as const;

/** The bulk jobs' steps (R19, R22), invoked by the jobs' state machine (locally by its driver). */
export const JOB_FUNCTIONS = ['job-batch', 'job-complete'] as const;

/** R23/R24: the projection of the Challenges table's stream to auth-log lines, usage and the billing meter. */
export const STREAM_FUNCTIONS = ['challenge-projection'] as const;

/** Issue 18: run by an operator by hand, replays the stream ranges the projection's event source gave up on (its failure queue). */
export const OPERATOR_FUNCTIONS = ['projection-replay'] as const;

/** Every Lambda entry point in `functions/`. */
export const FUNCTIONS = [...HTTP_FUNCTIONS, ...VOICE_FUNCTIONS, ...BILLING_FUNCTIONS, ...SWEEP_FUNCTIONS, ...DEPLOY_FUNCTIONS, ...JOB_FUNCTIONS, ...STREAM_FUNCTIONS, ...OPERATOR_FUNCTIONS] as const;

export type FunctionName = (typeof FUNCTIONS)[number];

/** `as const`: a handler's route keys and scope are read off this table by the type checker (shared/http/routes.ts). */
export const ROUTES = [
  { method: 'POST', path: '/v1/challenges', handler: 'create-challenge', scope: 'auth' },
  { method: 'GET', path: '/v1/challenges/{challengeId}', handler: 'get-challenge', scope: 'auth' },
  { method: 'POST', path: '/v1/challenges/{challengeId}/verify', handler: 'verify-challenge', scope: 'auth' },
  { method: 'POST', path: '/v1/challenges/{challengeId}/resend', handler: 'resend-challenge', scope: 'auth' },
  { method: 'GET', path: '/.well-known/jwks.json', handler: 'jwks', scope: 'public' },
  { method: 'GET', path: '/v1/admin/users', handler: 'admin-users', scope: 'admin' },
  { method: 'POST', path: '/v1/admin/users:import', handler: 'admin-users-import', scope: 'admin' },
  { method: 'POST', path: '/v1/admin/jobs', handler: 'admin-jobs', scope: 'admin' },
  { method: 'GET', path: '/v1/admin/jobs/{jobId}', handler: 'admin-jobs', scope: 'admin' },
  { method: 'POST', path: '/v1/admin/jobs/{jobId}/start', handler: 'admin-jobs', scope: 'admin' },
  { method: 'POST', path: '/v1/admin/jobs/{jobId}/cancel', handler: 'admin-jobs', scope: 'admin' },
  { method: 'GET', path: '/v1/admin/jobs/{jobId}/download', handler: 'admin-jobs', scope: 'admin' },
  { method: 'PUT', path: '/v1/admin/users/{userId}', handler: 'admin-users', scope: 'admin' },
  { method: 'GET', path: '/v1/admin/users/{userId}', handler: 'admin-users', scope: 'admin' },
  { method: 'PATCH', path: '/v1/admin/users/{userId}', handler: 'admin-users', scope: 'admin' },
  { method: 'DELETE', path: '/v1/admin/users/{userId}', handler: 'admin-users', scope: 'admin' },
  { method: 'POST', path: '/v1/admin/users/{userId}/reset', handler: 'admin-users', scope: 'admin' },
  { method: 'POST', path: '/v1/admin/users/{userId}/block', handler: 'admin-users', scope: 'admin' },
  { method: 'POST', path: '/v1/admin/users/{userId}/unblock', handler: 'admin-users', scope: 'admin' },
  { method: 'DELETE', path: '/v1/admin/users/{userId}/throttling', handler: 'admin-users', scope: 'admin' },
  { method: 'POST', path: '/v1/admin/users/{userId}/push-activations', handler: 'admin-push-activations', scope: 'admin' },
  { method: 'POST', path: '/v1/push/activate', handler: 'push-activate', scope: 'public', cap: 'source' },
  { method: 'POST', path: '/v1/push/respond', handler: 'push-respond', scope: 'public', cap: 'source' },
  { method: 'POST', path: '/v1/admin/users/{userId}/authenticator', handler: 'admin-authenticator', scope: 'admin' },
  { method: 'POST', path: '/v1/admin/users/{userId}/authenticator/confirm', handler: 'admin-authenticator', scope: 'admin' },
  { method: 'DELETE', path: '/v1/admin/users/{userId}/authenticator', handler: 'admin-authenticator', scope: 'admin' },
  { method: 'POST', path: '/v1/admin/users/{userId}/app-passwords', handler: 'admin-app-passwords', scope: 'admin' },
  { method: 'GET', path: '/v1/admin/users/{userId}/app-passwords', handler: 'admin-app-passwords', scope: 'admin' },
  { method: 'DELETE', path: '/v1/admin/users/{userId}/app-passwords', handler: 'admin-app-passwords', scope: 'admin' },
  { method: 'DELETE', path: '/v1/admin/users/{userId}/app-passwords/{passwordId}', handler: 'admin-app-passwords', scope: 'admin' },
  { method: 'POST', path: '/v1/app-passwords/verify', handler: 'verify-app-password', scope: 'auth' },
  { method: 'POST', path: '/v1/passkeys/registrations', handler: 'passkey-registrations', scope: 'auth' },
  { method: 'POST', path: '/v1/passkeys/registrations/{registrationId}', handler: 'passkey-registrations', scope: 'auth' },
  { method: 'POST', path: '/v1/admin/users/{userId}/passkeys/registrations', handler: 'admin-passkeys', scope: 'admin' },
  { method: 'POST', path: '/v1/admin/users/{userId}/passkeys/registrations/{registrationId}', handler: 'admin-passkeys', scope: 'admin' },
  { method: 'GET', path: '/v1/admin/users/{userId}/passkeys', handler: 'admin-passkeys', scope: 'admin' },
  { method: 'PATCH', path: '/v1/admin/users/{userId}/passkeys/{passkeyId}', handler: 'admin-passkeys', scope: 'admin' },
  { method: 'DELETE', path: '/v1/admin/users/{userId}/passkeys/{passkeyId}', handler: 'admin-passkeys', scope: 'admin' },
  { method: 'POST', path: '/v1/remembered-devices', handler: 'remembered-devices', scope: 'auth' },
  { method: 'POST', path: '/v1/remembered-devices/check', handler: 'remembered-devices', scope: 'auth' },
  { method: 'GET', path: '/v1/admin/users/{userId}/remembered-devices', handler: 'admin-remembered-devices', scope: 'admin' },
  { method: 'DELETE', path: '/v1/admin/users/{userId}/remembered-devices', handler: 'admin-remembered-devices', scope: 'admin' },
  { method: 'POST', path: '/v1/recovery-codes', handler: 'recovery-codes', scope: 'auth' },
  { method: 'POST', path: '/v1/authenticators', handler: 'method-registrations', scope: 'auth' },
  { method: 'POST', path: '/v1/authenticators/confirm', handler: 'method-registrations', scope: 'auth' },
  { method: 'PUT', path: '/v1/phones', handler: 'method-registrations', scope: 'auth' },
  { method: 'POST', path: '/v1/admin/users/{userId}/recovery-codes', handler: 'admin-recovery', scope: 'admin' },
  { method: 'GET', path: '/v1/admin/users/{userId}/recovery-codes', handler: 'admin-recovery', scope: 'admin' },
  { method: 'POST', path: '/v1/admin/users/{userId}/access-passes', handler: 'admin-recovery', scope: 'admin' },
  { method: 'GET', path: '/v1/admin/users/{userId}/access-passes', handler: 'admin-recovery', scope: 'admin' },
  { method: 'DELETE', path: '/v1/admin/users/{userId}/access-passes/{passId}', handler: 'admin-recovery', scope: 'admin' },
  { method: 'POST', path: '/v1/admin/oath-tokens:import', handler: 'admin-oath-tokens', scope: 'admin' },
  { method: 'GET', path: '/v1/admin/oath-tokens', handler: 'admin-oath-tokens', scope: 'admin' },
  { method: 'POST', path: '/v1/admin/oath-tokens/{serial}/assign', handler: 'admin-oath-tokens', scope: 'admin' },
  { method: 'POST', path: '/v1/admin/oath-tokens/{serial}/unassign', handler: 'admin-oath-tokens', scope: 'admin' },
  { method: 'POST', path: '/v1/admin/oath-tokens/{serial}/resync', handler: 'admin-oath-tokens', scope: 'admin' },
  { method: 'PUT', path: '/v1/admin/provider', handler: 'admin-provider', scope: 'admin' },
  { method: 'GET', path: '/v1/admin/provider', handler: 'admin-provider', scope: 'admin' },
  { method: 'DELETE', path: '/v1/admin/provider', handler: 'admin-provider', scope: 'admin' },
  { method: 'GET', path: '/v1/admin/settings', handler: 'admin-settings', scope: 'admin' },
  { method: 'PUT', path: '/v1/admin/settings', handler: 'admin-settings', scope: 'admin' },
  { method: 'PATCH', path: '/v1/admin/settings', handler: 'admin-settings', scope: 'admin' },
  { method: 'GET', path: '/v1/admin/api-keys', handler: 'admin-api-keys', scope: 'admin' },
  { method: 'POST', path: '/v1/admin/api-keys', handler: 'admin-api-keys', scope: 'admin' },
  { method: 'DELETE', path: '/v1/admin/api-keys/{keyId}', handler: 'admin-api-keys', scope: 'admin' },
  { method: 'POST', path: '/v1/admin/api-keys/{keyId}/rotate', handler: 'admin-api-keys', scope: 'admin' },
  { method: 'GET', path: '/v1/admin/auth-logs', handler: 'admin-logs', scope: 'admin' },
  { method: 'GET', path: '/v1/admin/usage', handler: 'admin-logs', scope: 'admin' },
  { method: 'GET', path: '/v1/admin/billing', handler: 'admin-logs', scope: 'admin' },
  { method: 'GET', path: '/v1/admin/notifications', handler: 'admin-logs', scope: 'admin' },
  { method: 'POST', path: '/v1/operator/tenants', handler: 'operator-tenants', scope: 'operator' },
  { method: 'PUT', path: '/v1/operator/tenants/{tenantId}/limits', handler: 'operator-tenants', scope: 'operator' },
  { method: 'PUT', path: '/v1/operator/tenants/{tenantId}/caller-ids', handler: 'operator-tenants', scope: 'operator' },
  { method: 'POST', path: '/v1/operator/signing-keys', handler: 'operator-signing-keys', scope: 'operator' },
  { method: 'GET', path: '/openapi.json', handler: 'openapi', scope: 'public' },
  { method: 'GET', path: '/docs', handler: 'openapi', scope: 'public' },
] as const satisfies readonly RouteDefinition[];

export type RoutesOf<F extends HttpFunctionName> = Extract<(typeof ROUTES)[number], { readonly handler: F }>;

/** The route keys (`METHOD path`) the route table gives function F, e.g. `RouteKeyOf<'admin-provider'>`. */
export type RouteKeyOf<F extends HttpFunctionName> = RoutesOf<F> extends infer R
  ? R extends { readonly method: infer M extends string; readonly path: infer P extends string }
    ? `${M} ${P}`
    : never
  : never;

/** What a function's lines of ROUTES say about who may call it: their one scope, and R6's cap if they have it. */
type AccessOf<F extends HttpFunctionName> = { readonly scope: RoutesOf<F>['scope'] } & ([Extract<RoutesOf<F>, { readonly cap: 'source' }>] extends [never]
  ? { readonly cap?: never }
  : { readonly cap: 'source' });

/**
 * Each HTTP function's scope and per-source cap, as its lines of ROUTES give them (the type checker
 * proves that each agrees with its function's lines, test/unit/typed-routes.test.ts that every line
 * agrees): what the route wrapper reads at cold start, so that a handler's bundle need not carry the
 * whole route table.
 */
export const FUNCTION_ACCESS = {
  'create-challenge': { scope: 'auth' },
  'verify-challenge': { scope: 'auth' },
  'get-challenge': { scope: 'auth' },
  'resend-challenge': { scope: 'auth' },
  'jwks': { scope: 'public' },
  'admin-users': { scope: 'admin' },
  'admin-users-import': { scope: 'admin' },
  'admin-jobs': { scope: 'admin' },
  'admin-provider': { scope: 'admin' },
  'admin-settings': { scope: 'admin' },
  'admin-api-keys': { scope: 'admin' },
  'admin-logs': { scope: 'admin' },
  'admin-authenticator': { scope: 'admin' },
  'admin-oath-tokens': { scope: 'admin' },
  'admin-app-passwords': { scope: 'admin' },
  'verify-app-password': { scope: 'auth' },
  'admin-push-activations': { scope: 'admin' },
  'passkey-registrations': { scope: 'auth' },
  'admin-passkeys': { scope: 'admin' },
  'remembered-devices': { scope: 'auth' },
  'admin-remembered-devices': { scope: 'admin' },
  'recovery-codes': { scope: 'auth' },
  'admin-recovery': { scope: 'admin' },
  'method-registrations': { scope: 'auth' },
  'push-activate': { scope: 'public', cap: 'source' },
  'push-respond': { scope: 'public', cap: 'source' },
  'operator-tenants': { scope: 'operator' },
  'operator-signing-keys': { scope: 'operator' },
  'openapi': { scope: 'public' },
} as const satisfies { readonly [F in HttpFunctionName]: AccessOf<F> };
