/**
 * Package substitutions in every Lambda bundle, explicit and in one place: esbuild's `alias`
 * in `npm run build` (infra/build.ts) and the same flags in CDK's bundling (infra/function.ts),
 * so what the benchmark measures is what deploys. Only bundles see them: the local runtime and
 * the tests run the TypeScript sources, with the packages themselves. Paths are relative to the
 * repository root, where both builds run. test/unit/lambda-bundles.test.ts checks what each
 * substitution leaves out and that nothing else relied on it.
 */
export const LAMBDA_ALIASES: Readonly<Record<string, string>> = {
  /** The SDK's default credential chain → the environment credentials Lambda provides (./credentials.ts). */
  '@aws-sdk/credential-provider-node': './infra/lambda/credentials.ts',
  /** The X-Ray SDK → the parts of it Powertools Tracer uses, without sampling pollers, plugins and the SDK v2 patcher (./xray.ts). */
  'aws-xray-sdk-core': './infra/lambda/xray.ts',
  /** The browser's user-agent parser, imported only by the SDK's browser user-agent provider (./bowser.ts). */
  bowser: './infra/lambda/bowser.ts',
  /** otplib's pure-JavaScript HMAC plugin (@noble/hashes) → the same plugin over node:crypto (./otp-crypto.ts). */
  '@otplib/plugin-crypto-noble': './infra/lambda/otp-crypto.ts',
};

/**
 * Packages' ES modules before their CommonJS, in both builds: the AWS SDK ships both, and only
 * the ES modules let esbuild drop what a handler never calls (the commands and serialisers it does
 * not use), which takes about a third off every bundle and its load time.
 */
export const LAMBDA_MAIN_FIELDS: readonly string[] = ['module', 'main'];

/** The same substitutions as esbuild command-line flags, for CDK's NodejsFunction `esbuildArgs`. */
export function esbuildAliasArgs(): Record<string, string> {
  return Object.fromEntries(Object.entries(LAMBDA_ALIASES).map(([from, to]) => [`--alias:${from}`, to]));
}
