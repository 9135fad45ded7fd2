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

/**
 * Packages a handler loads only on the path that needs them, through a dynamic `import()` at the
 * point of use: the WebAuthn library (a passkey verified or registered), the phone-number library
 * and its ~190 KiB of metadata (a number parsed), the QR and PNG encoders (an enrolment drawn), the
 * CSV and XML parsers (a file imported). A bundle leaves them out (esbuild `external`), and each is
 * bundled on its own beside the handler, as `node_modules/<package>/index.js`, where Node's
 * `require` finds it on first use (infra/build.ts `bundleDeferred`, run by `npm run build` and by
 * CDK's bundling after esbuild). A cold start then loads none of them: the verify handler of an SMS
 * code does not parse the WebAuthn library, the console's user list not the phone metadata.
 * test/unit/lambda-bundles.test.ts checks that no bundle carries them and that they are imported
 * only dynamically; test/unit/deferred-packages.test.ts runs them from that layout.
 */
export const LAMBDA_DEFERRED: readonly string[] = ['@simplewebauthn/server', '@simplewebauthn/server/helpers', 'libphonenumber-js/max', 'qrcode', 'csv-parse/sync', 'fast-xml-parser'];

/**
 * What the bundles are told about Node beyond their target: that it has no `import()`, so that
 * esbuild writes the dynamic import of a deferred package as `require()`. Node's own `import()`
 * would resolve it as an ES module: that takes a package.json with `exports` beside each one, and
 * finds a CommonJS file's named exports only as far as its static analysis of the file goes.
 * `require` finds node_modules/<package>/index.js as it is and gives its exports as they are,
 * which esbuild's interop hands the code as the sources get them.
 */
export const LAMBDA_SUPPORTED: Readonly<Record<string, boolean>> = { 'dynamic-import': false };

/** The same substitutions and the same `supported` as esbuild command-line flags, for CDK's NodejsFunction `esbuildArgs`. */
export function lambdaEsbuildArgs(): Record<string, string> {
  return {
    ...Object.fromEntries(Object.entries(LAMBDA_ALIASES).map(([from, to]) => [`--alias:${from}`, to])),
    ...Object.fromEntries(Object.entries(LAMBDA_SUPPORTED).map(([feature, on]) => [`--supported:${feature}`, String(on)])),
  };
}
