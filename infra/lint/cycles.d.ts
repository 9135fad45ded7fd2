import type { Linter } from 'eslint';

/** The flat-config entry that forbids import cycles (see cycles.js). */
declare const cycles: Linter.Config;
export = cycles;
