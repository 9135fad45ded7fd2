/** `npm run bench:radius`: the RADIUS stage of the bench alone → bench-results/radius.json. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { measureRadiusLoad, printRadiusLoad } from './radius-load';

measureRadiusLoad().then(
  (result) => {
    printRadiusLoad(result);
    mkdirSync('bench-results', { recursive: true });
    writeFileSync('bench-results/radius.json', `${JSON.stringify({ date: new Date().toISOString(), node: process.version, radius: result }, null, 2)}\n`);
    console.log('\nWritten to bench-results/radius.json');
  },
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
