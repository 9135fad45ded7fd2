/**
 * `npm run bench:cold`: every handler's bundle and module initialisation against its floor → bench-results/cold-start.json.
 * `npm run bench:cold -- get-challenge recovery-codes` measures only the handlers named (and writes only them).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { FUNCTIONS, type FunctionName } from '../../shared/routes';
import { COLD_START_TARGETS, measureColdStarts, printColdStarts } from './cold-start';

/** The handlers named on the command line, checked against the function list; none named is all of them. */
function handlersNamed(args: readonly string[]): readonly FunctionName[] | undefined {
  if (args.length === 0) return undefined;
  const unknown = args.filter((arg) => !(FUNCTIONS as readonly string[]).includes(arg));
  if (unknown.length > 0) throw new Error(`No such handler: ${unknown.join(', ')} (one of: ${FUNCTIONS.join(', ')})`);
  return args as readonly FunctionName[];
}

let only: readonly FunctionName[] | undefined;
try {
  only = handlersNamed(process.argv.slice(2));
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(2);
}

measureColdStarts(only ? { only } : {}).then(
  (results) => {
    printColdStarts(results);
    mkdirSync('bench-results', { recursive: true });
    writeFileSync('bench-results/cold-start.json', `${JSON.stringify({ date: new Date().toISOString(), node: process.version, targets: COLD_START_TARGETS, ...(only ? { only } : {}), results }, null, 2)}\n`);
    console.log('\nWritten to bench-results/cold-start.json');
  },
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
