/**
 * No import cycle anywhere, type-only imports included.
 *
 * `import-x/no-cycle` (eslint-plugin-import-x) skips `import type` by design, and the cycle that
 * mattered (ports importing records back from the domain services that import the ports) was
 * made of types. So `tessera/no-import-cycle` follows every import,
 * export-from, `import()` and `import('…')` type of the project's own files, with TypeScript's
 * own module resolution, and reports an import from which the importing file can be reached
 * again.
 */
const fs = require('node:fs');
const path = require('node:path');
const ts = require('typescript');

const compilerOptions = {
  module: ts.ModuleKind.Preserve,
  moduleResolution: ts.ModuleResolutionKind.Bundler,
  allowJs: true,
  resolveJsonModule: true,
};
const resolutionCache = ts.createModuleResolutionCache(process.cwd(), (name) => name, compilerOptions);
/** file → { mtimeMs, targets }: each file is read once per lint run (again only if it changed). */
const graph = new Map();

/** The project file a relative specifier names, or undefined (packages cannot import us back). */
function resolve(specifier, fromFile) {
  if (!specifier.startsWith('.')) return undefined;
  const { resolvedModule } = ts.resolveModuleName(specifier, fromFile, compilerOptions, ts.sys, resolutionCache);
  if (!resolvedModule || resolvedModule.isExternalLibraryImport) return undefined;
  return path.resolve(resolvedModule.resolvedFileName);
}

function importsOf(file) {
  let stat;
  try {
    stat = fs.statSync(file);
  } catch {
    return [];
  }
  const known = graph.get(file);
  if (known && known.mtimeMs === stat.mtimeMs) return known.targets;
  const { importedFiles } = ts.preProcessFile(fs.readFileSync(file, 'utf8'), true, true);
  const targets = [...new Set(importedFiles.map((imported) => resolve(imported.fileName, file)).filter(Boolean))];
  graph.set(file, { mtimeMs: stat.mtimeMs, targets });
  return targets;
}

/** The shortest chain of imports from `start` back to `goal`, or undefined. */
function chainBack(start, goal) {
  const cameFrom = new Map([[start, undefined]]);
  const queue = [start];
  while (queue.length > 0) {
    const file = queue.shift();
    for (const next of importsOf(file)) {
      if (next === goal) {
        const chain = [goal];
        for (let at = file; at !== undefined; at = cameFrom.get(at)) chain.unshift(at);
        return chain;
      }
      if (!cameFrom.has(next)) {
        cameFrom.set(next, file);
        queue.push(next);
      }
    }
  }
  return undefined;
}

const noImportCycle = {
  meta: {
    type: 'problem',
    docs: { description: 'Forbid an import (type-only ones too) from which the importing file is reached again.' },
    schema: [],
    messages: { cycle: 'Import cycle: {{chain}}' },
  },
  create(context) {
    const file = path.resolve(context.physicalFilename);
    const root = context.cwd;
    function check(node) {
      if (node?.type !== 'Literal' || typeof node.value !== 'string') return;
      const target = resolve(node.value, file);
      if (target === undefined || target === file) return;
      const chain = chainBack(target, file);
      if (chain) context.report({ node, messageId: 'cycle', data: { chain: [file, ...chain].map((f) => path.relative(root, f)).join(' → ') } });
    }
    return {
      ImportDeclaration: (node) => check(node.source),
      ExportNamedDeclaration: (node) => check(node.source),
      ExportAllDeclaration: (node) => check(node.source),
      ImportExpression: (node) => check(node.source),
      TSImportType: (node) => check(node.argument?.literal),
      TSExternalModuleReference: (node) => check(node.expression),
    };
  },
};

/** The flat-config entry that forbids cycles in the project's TypeScript and JavaScript files. */
module.exports = {
  files: ['**/*.ts', '**/*.js', '**/*.mjs'],
  plugins: { tessera: { rules: { 'no-import-cycle': noImportCycle } } },
  rules: { 'tessera/no-import-cycle': 'error' },
};
