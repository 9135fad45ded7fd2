import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { LAMBDA_BUILD_OPTIONS } from '../../infra/build';
import { FACTORS } from '../../shared/domain/types';

/**
 * Lambda code validates with zod/mini, which installs no messages of its own: shared/zod.ts installs
 * classic zod's English ones. Here a request schema bundled as the handlers are bundled runs in a
 * Node process of its own (no classic zod loaded, no test set-up), and must answer in those words:
 * were the installer left out of the bundle, every problem would read "Invalid input".
 */
describe('a request schema, bundled as the Lambda handlers bundle it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-zod-bundle-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("answers bad input in zod's English messages, and its own where a schema gives one", async () => {
    const outfile = join(dir, 'schema.js');
    await build({
      ...LAMBDA_BUILD_OPTIONS,
      stdin: {
        contents: "export { createChallengeBody } from './shared/schemas/challenges';",
        resolveDir: resolve(__dirname, '../..'),
        loader: 'ts',
      },
      outfile,
    });
    const probe = [
      'const { createChallengeBody } = require(process.argv[1]);',
      'const inputs = [{ userId: 5 }, { userId: "x".repeat(129) }, { userId: "a b" }, { userId: "alice", method: "fax" }, { userId: "alice", extra: 1 }];',
      'console.log(JSON.stringify(inputs.map((input) => createChallengeBody.safeParse(input).error.issues.map((issue) => issue.message))));',
    ].join('\n');
    const run = spawnSync(process.execPath, ['-e', probe, outfile], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout)).toEqual([
      ['Invalid input: expected string, received number'],
      ['Too big: expected string to have <=128 characters'],
      ['may contain letters, digits and . _ @ + - only'],
      [`Invalid option: expected one of ${FACTORS.map((factor) => `"${factor}"`).join('|')}`],
      ['Unrecognized key: "extra"'],
    ]);
  });
});
