/**
 * `npm run bench:cold`: every handler's bundle and module initialisation against its floor → bench-results/cold-start.json.
 * `npm run bench:cold -- get-challenge recovery-codes` measures only the handlers named (and writes only them);
 * `-- --runs 31` loads each bundle and its floor 31 times instead of 7 (a steadier median for init).
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

/** `--runs N` (N from 1 to 1001), taken out of the arguments; 7 when not given. */
function runsOf(args: string[]): number {
  const at = args.indexOf('--runs');
  if (at < 0) return 7;
  const runs = Number(args[at + 1]);
  if (!Number.isInteger(runs) || runs < 1 || runs > 1001) throw new Error(`--runs takes a whole number from 1 to 1001, not ${args[at + 1] ?? 'nothing'}`);
  args.splice(at, 2);
  return runs;
}

let only: readonly FunctionName[] | undefined;
let runs = 7;
try {
  const args = process.argv.slice(2);
  runs = runsOf(args);
  only = handlersNamed(args);
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(2);
}

measureColdStarts({ runs, ...(only ? { only } : {}) }).then(
  (results) => {
    printColdStarts(results);
    mkdirSync('bench-results', { recursive: true });
    writeFileSync('bench-results/cold-start.json', `${JSON.stringify({ date: new Date().toISOString(), node: process.version, targets: COLD_START_TARGETS, runs, ...(only ? { only } : {}), results }, null, 2)}\n`);
    console.log('\nWritten to bench-results/cold-start.json');
  },
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
