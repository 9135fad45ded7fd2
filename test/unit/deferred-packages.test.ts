import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { bundleDeferred, deferredImports, LAMBDA_BUILD_OPTIONS, type DeferredBundle } from '../../infra/build';
import { probe } from '../support/deferred-probe';

const fixture = (...path: string[]) => readFileSync(join(__dirname, '..', 'fixtures', ...path), 'utf8');

/**
 * The packages a handler loads only on the paths that need them (infra/lambda/aliases.ts
 * LAMBDA_DEFERRED) as a deployed handler has them: left out of its bundle, bundled on their own
 * beside it as node_modules/<package>/index.js. Code that uses each of them is bundled as the
 * handlers are, laid out so in a directory outside the repository (no node_modules to fall back
 * on), and run in a Node process of its own: it must answer as the sources do, and load each
 * package on first use, not when the bundle loads.
 */
describe('packages loaded on first use, bundled beside the code as a Lambda handler has them', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-deferred-'));
  let deferred: DeferredBundle[] = [];
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  beforeAll(async () => {
    await build({
      ...LAMBDA_BUILD_OPTIONS,
      stdin: { contents: "export { probe } from './test/support/deferred-probe';", resolveDir: resolve(__dirname, '../..'), loader: 'ts' },
      outfile: join(dir, 'index.js'),
      logLevel: 'error',
    });
    deferred = await bundleDeferred(join(dir, 'index.js'));
  }, 120_000);

  it('bundles each package it imports beside it, where require() finds it', () => {
    expect(deferred.map(({ specifiers, file }) => [specifiers.join(), file])).toEqual(
      ['csv-parse/sync', 'fast-xml-parser', 'libphonenumber-js/max', 'qrcode'].map((specifier) => [specifier, join(dir, 'node_modules', ...specifier.split('/'), 'index.js')]),
    );
    // Each from its package's ES modules, as the handlers are bundled: the phone-number library's
    // with its full metadata, which R30's number types need.
    const inputs = (specifier: string) => Object.keys(deferred.find((d) => d.specifiers.includes(specifier))?.metafile.inputs ?? {});
    expect(inputs('libphonenumber-js/max').filter((input) => /node_modules\/libphonenumber-js\/(max\/index\.js|metadata\.max\.json\.js)$/.test(input))).toHaveLength(2);
    expect(inputs('csv-parse/sync').filter((input) => /node_modules\/csv-parse\/dist\/cjs\//.test(input))).toEqual([]);
    expect(inputs('fast-xml-parser').filter((input) => /node_modules\/fast-xml-parser\/lib\//.test(input))).toEqual([]);
    // Each is whole: it requires no other deferred package, so nothing more needs to lie beside it
    // (were the options it is built with to leave something out, this would say so).
    for (const { specifiers, file } of deferred) expect({ specifiers, imports: deferredImports(readFileSync(file, 'utf8')) }).toEqual({ specifiers, imports: [] });
  });

  it('answers as the sources do, loading each package on the first call that needs it and not before', async () => {
    const files = { csv: fixture('oath', 'tokens.csv'), pskc: fixture('pskc', 'totp-tokens.xml') };
    const script = [
      'const loaded = () => Object.keys(require.cache).filter((file) => file.includes("node_modules")).map((file) => file.slice(file.indexOf("node_modules"))).sort();',
      'const { probe } = require(process.argv[1]);',
      'const before = loaded();',
      'probe(JSON.parse(process.argv[2])).then((answer) => process.stdout.write(JSON.stringify({ before, after: loaded(), answer })));',
    ].join('\n');
    const run = spawnSync(process.execPath, ['-e', script, join(dir, 'index.js'), JSON.stringify(files)], { cwd: dir, encoding: 'utf8' });
    expect(run.stderr).toBe('');
    const { before, after, answer } = JSON.parse(run.stdout) as { before: string[]; after: string[]; answer: unknown };
    expect(before).toEqual([]);
    expect(after).toEqual(['node_modules/csv-parse/sync/index.js', 'node_modules/fast-xml-parser/index.js', 'node_modules/libphonenumber-js/max/index.js', 'node_modules/qrcode/index.js']);
    const expected = (await probe(files)) as { phone: unknown; refused: unknown; qr: string; csv: unknown[]; pskc: unknown[] };
    // The sources' own answer is a real one: a mobile number, a refusal with its pointer, a drawn code, tokens read.
    expect(expected).toMatchObject({ phone: { e164: '+14155552671', country: 'US' }, refused: [{ pointer: '/phone' }], qr: expect.stringContaining('<svg') });
    expect(expected.csv.length).toBeGreaterThan(1);
    expect(expected.pskc.length).toBeGreaterThan(1);
    expect(answer).toEqual(expected);
  });
});
