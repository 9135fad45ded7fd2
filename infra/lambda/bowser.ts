/**
 * Bundled in place of `bowser` in every Lambda bundle (the alias in infra/lambda/aliases.ts).
 * The AWS SDK's shared client code (`@aws-sdk/core/client`) exports the browser's user-agent
 * provider next to Node's, and that provider imports bowser, a browser-name parser, when it runs
 * in a browser: it parses `window.navigator.userAgent`, which a Lambda function does not have.
 * Node clients build their user agent from the Node provider, so the parser's 33 KiB never run
 * there. A test checks that the browser provider is bowser's only importer in a bundle.
 */
export function parse(): never {
  throw new Error('bowser is not bundled in Tessera handlers: Lambda functions have no browser user agent to parse');
}
