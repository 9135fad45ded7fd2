/**
 * Bundled in place of `semver` in every Lambda bundle (the alias in infra/build.ts,
 * LAMBDA_ALIASES). Its only importer there is the X-Ray SDK's AWS SDK v2 patcher
 * (`captureAWS`, which checks the v2 SDK's version); Tessera uses SDK v3, traced through
 * `captureAWSv3Client`, so semver's 29 KiB and its start-up regular expressions never serve a
 * request. A test checks that nothing else in a bundle imports it.
 */
export function gte(): never {
  throw new Error('semver is not bundled in Tessera handlers: X-Ray capture of the AWS SDK v2 (captureAWS) is not used');
}
