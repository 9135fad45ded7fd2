import type { HttpFunctionName } from '../../shared/routes';
import type { HttpEvent, HttpResult } from '../../shared/http/handler';
import type { LambdaHandler } from '../../shared/observability';

type Loader = () => Promise<{ handler: LambdaHandler<HttpEvent, HttpResult> }>;

/**
 * Every Lambda entry point, loaded only after the runtime has set the environment (handlers
 * read their configuration at module scope, as on a cold start). Typed by HttpFunctionName, so a
 * function added to the route table without a module here does not compile.
 */
export const HANDLERS: Record<HttpFunctionName, Loader> = {
  'create-challenge': () => import('../../functions/create-challenge'),
  'verify-challenge': () => import('../../functions/verify-challenge'),
  'get-challenge': () => import('../../functions/get-challenge'),
  'resend-challenge': () => import('../../functions/resend-challenge'),
  jwks: () => import('../../functions/jwks'),
  'admin-users': () => import('../../functions/admin-users'),
  'admin-users-import': () => import('../../functions/admin-users-import'),
  'admin-jobs': () => import('../../functions/admin-jobs'),
  'admin-provider': () => import('../../functions/admin-provider'),
  'admin-settings': () => import('../../functions/admin-settings'),
  'admin-api-keys': () => import('../../functions/admin-api-keys'),
  'admin-logs': () => import('../../functions/admin-logs'),
  'admin-authenticator': () => import('../../functions/admin-authenticator'),
  'admin-oath-tokens': () => import('../../functions/admin-oath-tokens'),
  'admin-app-passwords': () => import('../../functions/admin-app-passwords'),
  'verify-app-password': () => import('../../functions/verify-app-password'),
  'admin-push-activations': () => import('../../functions/admin-push-activations'),
  'passkey-registrations': () => import('../../functions/passkey-registrations'),
  'admin-passkeys': () => import('../../functions/admin-passkeys'),
  'remembered-devices': () => import('../../functions/remembered-devices'),
  'admin-remembered-devices': () => import('../../functions/admin-remembered-devices'),
  'recovery-codes': () => import('../../functions/recovery-codes'),
  'admin-recovery': () => import('../../functions/admin-recovery'),
  'method-registrations': () => import('../../functions/method-registrations'),
  'push-activate': () => import('../../functions/push-activate'),
  'push-respond': () => import('../../functions/push-respond'),
  'operator-tenants': () => import('../../functions/operator-tenants'),
  'operator-signing-keys': () => import('../../functions/operator-signing-keys'),
  openapi: () => import('../../functions/openapi'),
};
