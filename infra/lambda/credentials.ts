/**
 * Bundled in place of `@aws-sdk/credential-provider-node` in every Lambda bundle (the alias in
 * infra/build.ts, LAMBDA_ALIASES): Lambda hands a function its role's credentials in environment
 * variables, so the SDK's default chain is one link long there. The full chain also carries the
 * SSO, ini-file, process, web-identity and container/instance-metadata providers and the nested
 * STS and SSO clients they use: about 90 KiB of every bundle that a Lambda never runs.
 *
 * Each client's runtime config imports `defaultProvider` from the node chain; this is the same
 * export, answering with the environment credentials (`fromEnv`, the chain's first link) or
 * failing as the chain would when there are none. The local runtime and the tests run the
 * TypeScript sources unbundled, so they keep the SDK's own chain.
 */
import { fromEnv, type FromEnvInit } from '@aws-sdk/credential-provider-env';

export const defaultProvider = (init: FromEnvInit = {}) => fromEnv(init);
