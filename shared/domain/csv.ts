import { once } from '../once';

/**
 * The CSV parser, loaded on the first file read (a user or token import, a job's header or
 * batch): a handler that carries it does not evaluate it at cold start, and the paths that read
 * CSV load it once per container. One loader for every module that reads CSV; marked pure, so a
 * bundle that reads none leaves the parser out.
 */
export const csvParser = /* @__PURE__ */ once((): Promise<typeof import('csv-parse/sync')> => import('csv-parse/sync'));
