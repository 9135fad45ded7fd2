import { once } from '../once';

/**
 * The CSV parser, loaded on the first file read (a user or token import, a job's header or
 * batch), once per container: a Lambda bundle leaves it out and it ships beside the handlers
 * that read CSV (infra/lambda/aliases.ts LAMBDA_DEFERRED), so no cold start loads it. One loader
 * for every module that reads CSV; marked pure, so a handler that reads none does not reach it.
 */
export const csvParser = /* @__PURE__ */ once((): Promise<typeof import('csv-parse/sync')> => import('csv-parse/sync'));
