import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build, type Metafile } from 'esbuild';
import { bundleDeferred, LAMBDA_BUILD_OPTIONS } from '../../infra/build';
import type { WebAuthnAssertions, WebAuthnRegistrations } from '../../shared/ports';
import { attestationCA } from '../support/attestation-certs';
import { SoftwareAuthenticator } from '../support/authenticator';

/**
 * The WebAuthn adapter as a Lambda bundle runs it. Bundles take the packages' ES modules first
 * (infra/lambda/aliases.ts), while the sources under test everywhere else load the CommonJS builds
 * Node picks: so the library's X.509, ASN.1 and dependency-injection code (`@peculiar/*`, asn1js,
 * tsyringe) runs here from the builds a deployed handler carries, through a whole registration
 * with a certificate chain and a sign-in. The library is laid out as a handler has it: out of the
 * adapter's bundle, bundled beside it as node_modules/@simplewebauthn/server(/helpers)/index.js.
 */
const ORIGIN = 'https://login.example.com';
const RP_ID = 'example.com';
const VENDOR = attestationCA('Bundled Vendor');
const STRANGER = attestationCA('Other Vendor');

describe('the WebAuthn adapter, bundled as the Lambda handlers bundle it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-webauthn-bundle-'));
  let metafile: Metafile;
  /** What the library's own bundles beside the adapter's carry. */
  let libraryInputs: string[] = [];
  let besideIt: (readonly string[])[] = [];
  let adapter: { simpleWebAuthnAssertions: WebAuthnAssertions; simpleWebAuthnRegistrations: WebAuthnRegistrations };

  beforeAll(async () => {
    const outfile = join(dir, 'webauthn.js');
    ({ metafile } = await build({
      ...LAMBDA_BUILD_OPTIONS,
      stdin: { contents: "export * from './shared/adapters/webauthn/simplewebauthn';", resolveDir: resolve(__dirname, '../..'), loader: 'ts' },
      outfile,
    }));
    const deferred = await bundleDeferred(outfile);
    besideIt = deferred.map((d) => d.specifiers);
    libraryInputs = deferred.flatMap((d) => Object.keys(d.metafile.inputs));
    adapter = createRequire(__filename)(outfile) as typeof adapter;
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("leaves the library out of the adapter's bundle, and carries the ES module builds of its dependencies beside it, not their CommonJS", () => {
    expect(Object.keys(metafile.inputs).filter((input) => input.includes('node_modules/'))).toEqual([]);
    // The library and its helpers in one bundle, which holds the code they share once.
    expect(besideIt).toEqual([['@simplewebauthn/server', '@simplewebauthn/server/helpers']]);
    // From node_modules/ on: a checkout whose node_modules is a link elsewhere gets the real paths.
    const inputs = [...new Set(libraryInputs.flatMap((input) => /node_modules\/.*/.exec(input) ?? []))];
    // The library's own ES modules, not its CommonJS build (script/).
    expect(inputs.filter((input) => input.startsWith('node_modules/@simplewebauthn/server/esm/')).length).toBeGreaterThan(10);
    expect(inputs.filter((input) => input.startsWith('node_modules/@simplewebauthn/server/script/'))).toEqual([]);
    expect(inputs.filter((input) => input.startsWith('node_modules/@peculiar/x509/'))).toEqual(['node_modules/@peculiar/x509/build/x509.es.js']);
    // Each of these ships a CommonJS `main` beside its ES `module`: asn1js, pvtsutils and pvutils as build/index.js or build/utils.js.
    const commonJs = /^node_modules\/((@peculiar\/[^/]+|tsyringe)\/.*\bcjs\b|(asn1js|pvtsutils)\/build\/index\.js$|pvutils\/build\/utils\.js$)/;
    expect(inputs.filter((input) => commonJs.test(input))).toEqual([]);
    const carried = new Set(inputs.flatMap((input) => /^node_modules\/(asn1js|pvtsutils|pvutils|tsyringe)\//.exec(input)?.[1] ?? []));
    expect([...carried].sort()).toEqual(['asn1js', 'pvtsutils', 'pvutils', 'tsyringe']);
  });

  it('registers a passkey with full attestation, checks its chain against the roots given, and verifies its assertion', async () => {
    const { simpleWebAuthnRegistrations: registrations, simpleWebAuthnAssertions: assertions } = adapter;
    const options = await registrations.registrationOptions({
      rpName: 'Example',
      rpID: RP_ID,
      userName: 'alice',
      userID: new TextEncoder().encode('user-alice'),
      attestationType: 'direct',
      authenticatorSelection: { residentKey: 'preferred', userVerification: 'required' },
      supportedAlgorithmIDs: [-7, -257],
    });
    const authenticator = new SoftwareAuthenticator({ attestation: 'packed', certificate: { der: VENDOR.leafDer, key: VENDOR.leafKey } });
    const response = authenticator.create(options, ORIGIN);
    const registered = await registrations.verifyRegistration({
      response,
      expectedChallenge: options.challenge,
      expectedOrigin: [ORIGIN],
      expectedRPID: RP_ID,
      requireUserVerification: true,
    });
    expect(registered).toMatchObject({ verified: true, registrationInfo: { fmt: 'packed', credential: { id: response.id } } });
    const attestationObject = Buffer.from(response.response.attestationObject, 'base64url');
    expect(await registrations.chainsToRoots(attestationObject, [VENDOR.rootPem])).toBe(true);
    expect(await registrations.chainsToRoots(attestationObject, [STRANGER.rootPem])).toBe(false);

    const challenge = Buffer.from('a sign-in challenge of 32 bytes!').toString('base64url');
    const credential = { id: response.id, publicKey: registered.registrationInfo!.credential.publicKey, counter: 0 };
    const verify = (assertion: ReturnType<SoftwareAuthenticator['get']>) =>
      assertions.verifyAuthentication({ response: assertion, expectedChallenge: challenge, expectedOrigin: [ORIGIN], expectedRPID: RP_ID, credential, requireUserVerification: true });
    const assertion = authenticator.get({ challenge, rpId: RP_ID }, ORIGIN);
    await expect(verify(assertion)).resolves.toMatchObject({ verified: true, authenticationInfo: { credentialID: response.id, newCounter: 1 } });
    // A signature over other data does not verify.
    const forged = { ...assertion, response: { ...assertion.response, signature: authenticator.get({ challenge: 'b3RoZXI', rpId: RP_ID }, ORIGIN).response.signature } };
    await expect(verify(forged)).resolves.toMatchObject({ verified: false });
  });
});
