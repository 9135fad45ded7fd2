import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ESLint, type Linter } from 'eslint';
import { parser } from 'typescript-eslint';
import cycles from '../../infra/lint/cycles';

/**
 * No import cycle anywhere (issue 14): `npm run lint` fails on a cycle, type-only imports
 * included, because the cycle the ports closed through the domain was made of types.
 */
const CYCLE_RULES = ['tessera/no-import-cycle'];
const root = join(__dirname, '../..');

function lintWith(cwd: string): ESLint {
  const config: Linter.Config[] = [{ files: ['**/*.ts'], languageOptions: { parser } }, cycles];
  return new ESLint({ cwd, overrideConfigFile: true, overrideConfig: config });
}

/** The cycle messages of each file of a fixture tree, by rule. */
async function cyclesIn(files: Record<string, string>): Promise<Record<string, string[]>> {
  const dir = mkdtempSync(join(tmpdir(), 'cycles-'));
  try {
    for (const [file, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, file)), { recursive: true });
      writeFileSync(join(dir, file), text);
    }
    const results = await lintWith(dir).lintFiles(Object.keys(files));
    return Object.fromEntries(
      results.map((result) => [
        result.filePath.slice(dir.length + 1),
        result.messages.map((message) => message.ruleId ?? `fatal: ${message.message}`).sort(),
      ]),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('import cycles fail the lint', () => {
  it('a cycle of value imports is reported', async () => {
    const found = await cyclesIn({
      'a.ts': "import { b } from './b';\nexport const a = () => b;\n",
      'b.ts': "import { a } from './a';\nexport const b = () => a;\n",
    });
    expect(found).toEqual({ 'a.ts': CYCLE_RULES, 'b.ts': CYCLE_RULES });
  });

  it('a cycle of type-only imports is reported too', async () => {
    const found = await cyclesIn({
      'a.ts': "import type { B } from './b';\nexport interface A { b?: B }\n",
      'b.ts': "import type { A } from './a';\nexport interface B { a?: A }\n",
    });
    expect(found).toEqual({ 'a.ts': CYCLE_RULES, 'b.ts': CYCLE_RULES });
  });

  it('a port that imports a record back from the domain service using it, through the barrel, is a cycle', async () => {
    const found = await cyclesIn({
      'domain/service.ts': "import type { Store } from '../ports';\nexport interface View { id: string }\nexport const make = (store: Store) => store;\n",
      'ports/index.ts': "export * from './store';\n",
      'ports/store.ts': "import type { View } from '../domain/service';\nexport interface Store { get(): View }\n",
    });
    expect(found).toEqual({
      'domain/service.ts': ['tessera/no-import-cycle'],
      'ports/index.ts': ['tessera/no-import-cycle'],
      'ports/store.ts': ['tessera/no-import-cycle'],
    });
  });

  it('the same with the record in a leaf module of the domain is no cycle', async () => {
    const found = await cyclesIn({
      'domain/service.ts': "import type { Store } from '../ports';\nimport type { View } from './records';\nexport const make = (store: Store): View => store.get();\n",
      'domain/records.ts': 'export interface View { id: string }\n',
      'ports/index.ts': "export * from './store';\n",
      'ports/store.ts': "import type { View } from '../domain/records';\nexport interface Store { get(): View }\n",
    });
    expect(found).toEqual({ 'domain/service.ts': [], 'domain/records.ts': [], 'ports/index.ts': [], 'ports/store.ts': [] });
  });

  it('the ports and the domain modules they reach are free of cycles', async () => {
    const ports = readdirSync(join(root, 'shared/ports')).map((file) => `shared/ports/${file}`);
    const results = await lintWith(root).lintFiles([...ports, 'shared/domain/challenges.ts', 'shared/domain/challenge-verifier.ts', 'shared/domain/push-devices.ts']);
    expect(results.length).toBeGreaterThan(10);
    const messages = results.flatMap((result) => result.messages.map((message) => `${result.filePath}: ${message.ruleId} ${message.message}`));
    expect(messages).toEqual([]);
  });
});
