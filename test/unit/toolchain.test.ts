import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * One Node for the project: .nvmrc names it, the `node` devDependency installs it (first on PATH in
 * npm scripts), `engines` says so, and npm itself may run on an older Node (`devEngines`).
 */
const root = join(__dirname, '../..');
const read = (file: string) => readFileSync(join(root, file), 'utf8');
const pkg = JSON.parse(read('package.json')) as {
  engines: { node: string };
  devEngines: { runtime: { name: string; version: string } };
  devDependencies: Record<string, string>;
  scripts: Record<string, string>;
};
const lock = JSON.parse(read('package-lock.json')) as { packages: Record<string, { version?: string; engines?: unknown }> };
const nvmrc = read('.nvmrc').trim();
const major = nvmrc.split('.')[0];

describe('toolchain', () => {
  it('.nvmrc names the Node the project installs and runs on, and engines say the same', () => {
    expect(nvmrc).toMatch(/^\d+\.\d+\.\d+$/);
    expect(lock.packages['node_modules/node']?.version).toBe(nvmrc);
    expect(pkg.devDependencies.node).toBe(`^${nvmrc}`);
    expect(pkg.engines.node).toBe(`>=${major}`);
    expect(lock.packages['']?.engines).toEqual(pkg.engines);
    // npm scripts (npm test, npx jest) put node_modules/.bin, and so this Node, first on PATH.
    expect(process.versions.node).toBe(nvmrc);
  });

  it('the setup and CI install the lockfile with npm ci, run on that Node', () => {
    expect(pkg.scripts.setup).toBe('npx --yes --package=node@$(cat .nvmrc) -- npm ci');
    const ci = read('.ci/run');
    expect(ci).toMatch(/^npx --yes --package="node@\$\(cat \.nvmrc\)" -- npm ci\b/m);
    expect(ci).not.toMatch(/^[^#]*npm install/m);
  });

  it('the README names the same Nodes and the setup command', () => {
    const readme = read('README.md');
    expect(pkg.devEngines.runtime).toEqual({ name: 'node', version: '^20.17.0 || >=22.9.0', onFail: 'error' });
    expect(readme).toContain('Node.js 20.17 or newer');
    expect(readme).toContain(`Node ${nvmrc}`);
    expect(readme).toContain('npm run setup && npm start');
    expect(readme).not.toMatch(/Node(\.js)? 2[02]\+|npm install &&/);
  });
});
