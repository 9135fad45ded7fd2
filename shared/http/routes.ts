import type { ApiKeyAuthenticator } from '../domain/api-keys';
import { NotFoundError } from '../domain/errors';
import type { RequestCaps } from '../domain/request-caps';
import type { Principal } from '../domain/types';
import { FUNCTION_ACCESS, type HttpFunctionName, type RouteKeyOf, type RoutesOf, type Scope } from '../routes';
import type { ROUTE_INPUTS, RouteKey } from '../schemas/routes';
import type { LambdaHandler } from '../observability';
import { anyone, capPerSource, httpHandler, operatorKey, tenantKey, type HandlerLogger, type HttpEvent, type HttpResult, type Reply, type Request } from './handler';

export type { RouteKeyOf } from '../routes';

/** A line of ROUTES without its ROUTE_INPUTS entry does not compile: this names the missing keys. */
type WithoutInputs = Exclude<RouteKeyOf<HttpFunctionName>, RouteKey>;
const _everyRouteHasInputs: [WithoutInputs] extends [never] ? true : WithoutInputs = true;

/** Who calls a route of that scope, as its API key (or none) tells. */
export type PrincipalOf<S extends Scope> = S extends 'auth' | 'admin' ? Principal : S extends 'operator' ? { operator: true } : undefined;

/** What one route does: its request, already authenticated for the route's scope, and its inputs from ROUTE_INPUTS. */
export type RouteFn<F extends HttpFunctionName, K extends string> = (
  req: Request<PrincipalOf<RoutesOf<F>['scope']>>,
  inputs: K extends RouteKey ? (typeof ROUTE_INPUTS)[K] : never,
) => Promise<Reply>;

/**
 * One entry per route of function F, no more: the type checker proves that a handler serves
 * every route the table gives it and names none it does not.
 */
export type RouteMap<F extends HttpFunctionName> = { readonly [K in RouteKeyOf<F>]: RouteFn<F, K> };

/**
 * Function F's own table of shared/schemas/routes.ts (e.g. `adminProviderInputs`): the ROUTE_INPUTS
 * entry of each of its routes. A handler passes it, rather than the wrapper reading ROUTE_INPUTS,
 * so that its bundle holds and builds only its own routes' schemas.
 */
export type FunctionInputs<F extends HttpFunctionName> = { readonly [K in RouteKeyOf<F>]: K extends RouteKey ? (typeof ROUTE_INPUTS)[K] : never };

/** The one scope of a function's routes (its API key, or none), as FUNCTION_ACCESS gives it from ROUTES. */
export function scopeOf(name: HttpFunctionName): Scope {
  return FUNCTION_ACCESS[name].scope;
}

/** R6: whether the function's routes are capped per source address (as FUNCTION_ACCESS gives it from ROUTES, like the scope). */
export function cappedPerSource(name: HttpFunctionName): boolean {
  const access = FUNCTION_ACCESS[name];
  return 'cap' in access && access.cap === 'source';
}

/** The route's entry, or the 404 problem an unknown route key has always had. */
export function routeOf<T>(routes: Readonly<Record<string, T>>, key: string): T {
  if (!Object.hasOwn(routes, key)) throw new NotFoundError('No such route');
  return routes[key] as T;
}

/** What the composition root hands the route handlers: who checks each scope's keys, and the logger; each taken only when needed. */
export interface RouteAuthentication {
  readonly authenticator: () => ApiKeyAuthenticator;
  readonly operatorKeySha256: () => string;
  readonly requestCaps: () => RequestCaps;
  readonly log: () => HandlerLogger;
}

export type RouteHandler = <F extends HttpFunctionName>(
  name: F,
  inputs: NoInfer<FunctionInputs<F>>,
  routes: NoInfer<RouteMap<F>>,
) => LambdaHandler<HttpEvent, HttpResult>;

/**
 * Route handlers authenticated from `auth` (taken when a handler is made, at cold start):
 * a handler for function `name` checks the key of the scope its routes have in ROUTES (R27;
 * public routes that do costly work are capped per source address instead, R6), then runs the
 * entry of `routes` for the matched route key with that route's entry of `inputs`.
 */
export function routeHandlers(auth: RouteAuthentication): RouteHandler {
  return (name, inputs, routes) => {
    const scope = scopeOf(name);
    const authenticate =
      scope === 'auth' || scope === 'admin'
        ? tenantKey(auth.authenticator(), scope)
        : scope === 'operator'
          ? operatorKey(auth.operatorKeySha256())
          : cappedPerSource(name)
            ? capPerSource(auth.requestCaps())
            : anyone;
    const table = routes as Readonly<Record<string, (req: Request<unknown>, inputs: unknown) => Promise<Reply>>>;
    const inputsOf = inputs as Readonly<Record<string, unknown>>;
    return httpHandler<unknown>({ authenticate, log: auth.log() }, async (req) => routeOf(table, req.route)(req, inputsOf[req.route]));
  };
}
