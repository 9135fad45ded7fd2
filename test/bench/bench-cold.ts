/** `npm run bench:cold`: every handler's bundle and module initialisation against its floor → bench-results/cold-start.json. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { COLD_START_TARGETS, measureColdStarts, printColdStarts } from './cold-start';

measureColdStarts().then(
  (results) => {
    printColdStarts(results);
    mkdirSync('bench-results', { recursive: true });
    writeFileSync('bench-results/cold-start.json', `${JSON.stringify({ date: new Date().toISOString(), node: process.version, targets: COLD_START_TARGETS, results }, null, 2)}\n`);
    console.log('\nWritten to bench-results/cold-start.json');
  },
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
