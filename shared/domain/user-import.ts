import { isDeepStrictEqual } from 'node:util';
import { MAX_IMPORT_ROWS } from '../rules';
import { userBody } from '../schemas';
import { csvParser } from './csv';
import { DomainError, ValidationError } from './errors';
import { importCell } from './jobs/csv';
import type { UserStore } from '../ports';
import type { Principal, User } from './types';
import { userScope, type UserInput, type UserService } from './users';

/** The columns of a user import; only `userId` is required. */
export const IMPORT_COLUMNS = [
  'userId',
  'firstName',
  'lastName',
  'email',
  'phone',
  'backupPhones',
  'officePhone',
  'mfaEnabled',
  'licensed',
  'defaultMethod',
] as const;

export type ImportRowResult =
  | { readonly row: number; readonly userId: string; readonly status: 'created' | 'updated' | 'unchanged' }
  | { readonly row: number; readonly userId?: string; readonly status: 'error'; readonly errors: { pointer?: string; detail: string }[] };

export interface ImportReport {
  readonly summary: Record<'rows' | 'created' | 'updated' | 'unchanged' | 'errors', number>;
  readonly rows: ImportRowResult[];
}

/** User writes of one import (or one batch of a job) in flight at once. */
const IMPORT_WRITE_CONCURRENCY = 16;

const BOOLEAN = /^(true|false|yes|no|1|0)$/i;

function toInput(record: Record<string, string>): unknown {
  const text = (v: string | undefined) => (v === undefined || v.trim() === '' ? undefined : v.trim());
  const flag = (v: string | undefined, fallback: boolean) =>
    text(v) === undefined ? fallback : BOOLEAN.test(v as string) ? /^(true|yes|1)$/i.test(v as string) : v;
  return Object.fromEntries(
    Object.entries({
      firstName: text(record.firstName),
      lastName: text(record.lastName),
      email: text(record.email),
      phones: Object.fromEntries(
        Object.entries({
          primary: text(record.phone),
          backup: text(record.backupPhones)?.split(/[;|]/).map((p) => p.trim()).filter(Boolean),
          office: text(record.officePhone),
        }).filter(([, v]) => v !== undefined),
      ),
      mfaEnabled: flag(record.mfaEnabled, true),
      licensed: flag(record.licensed, false),
      defaultMethod: text(record.defaultMethod),
    }).filter(([, v]) => v !== undefined),
  );
}

const comparable = (u: User) => ({ ...u, createdAt: '', updatedAt: '', version: 0 });

/** A header a user import accepts: a userId column and only known columns. */
export function checkUserImportHeader(header: readonly string[]): void {
  const unknown = header.filter((c) => !(IMPORT_COLUMNS as readonly string[]).includes(c));
  if (!header.includes('userId') || unknown.length) {
    throw new ValidationError('The CSV needs a header row with a userId column and only known columns', [
      { pointer: '/header', detail: `known columns: ${IMPORT_COLUMNS.join(', ')}${unknown.length ? `; unknown: ${unknown.join(', ')}` : ''}` },
    ]);
  }
}

/**
 * R19 bulk import from CSV (header row first). Each row is checked like a PUT of that user;
 * bad rows are reported with the reason and skipped, the others imported. A row equal to the
 * stored user writes nothing, so importing the same file twice changes nothing.
 */
export async function importUsers(deps: { users: UserService; store: UserStore }, principal: Principal, csv: string): Promise<ImportReport> {
  const { parse } = await csvParser();
  let records: Record<string, string>[];
  try {
    records = parse(csv, { columns: true, skip_empty_lines: true, trim: true, bom: true, relax_column_count: false });
  } catch (error) {
    throw new ValidationError(`The CSV cannot be read: ${(error as Error).message}`);
  }
  if (records.length === 0) checkUserImportHeader([]);
  checkUserImportHeader(Object.keys(records[0] ?? {}));
  if (records.length > MAX_IMPORT_ROWS) throw new ValidationError(`At most ${MAX_IMPORT_ROWS} rows per import`);
  const scope = userScope(principal);
  const rows = await importUserRecords(
    deps,
    principal,
    records.map((record, i) => ({ row: i + 2, record })), // 1-based, after the header
    (userId) => deps.store.getUser(scope, userId),
  );
  const count = (s: ImportRowResult['status']) => rows.filter((r) => r.status === s).length;
  return {
    summary: { rows: rows.length, created: count('created'), updated: count('updated'), unchanged: count('unchanged'), errors: count('error') },
    rows,
  };
}

/**
 * Imports parsed rows (one request's file, or one batch of a job): every row is checked (numbers
 * classified, existing users read through `existing`) before any is written (R29), so a fault on
 * a later row leaves nothing of these rows half-imported; then only the changed users are stored,
 * each through the UserStore (which keeps the billing bookkeeping), conditional on the version read.
 */
export async function importUserRecords(
  deps: { users: UserService; store: UserStore },
  principal: Principal,
  records: readonly { readonly row: number; readonly record: Record<string, string> }[],
  existing: (userId: string) => Promise<User | undefined>,
): Promise<ImportRowResult[]> {
  const scope = userScope(principal);
  const seen = new Set<string>();
  // `version`: the stored user's, when the row replaces one; its write is conditional on it (a row never erases a change made meanwhile, like a block).
  const checked: (ImportRowResult | { readonly row: number; readonly user: User; readonly version?: number })[] = [];
  for (const { row, record: cells } of records) {
    // An export's defused cells (`'=…`, `'+1…`) read back as what was exported.
    const record = Object.fromEntries(Object.entries(cells).map(([column, cell]) => [column, importCell(cell)]));
    const userId = record.userId ?? '';
    try {
      if (!/^[A-Za-z0-9._@+-]{1,128}$/.test(userId)) throw new ValidationError('bad user id', [{ pointer: '/userId', detail: 'is not a valid user id' }]);
      if (seen.has(userId)) throw new ValidationError('duplicate', [{ pointer: '/userId', detail: 'appears more than once in this file' }]);
      seen.add(userId);
      const parsed = userBody.safeParse(toInput(record));
      if (!parsed.success) {
        throw new ValidationError('invalid row', parsed.error.issues.map((issue) => ({ pointer: `/${issue.path.join('/')}`, detail: issue.message })));
      }
      const stored = await existing(userId);
      const user = await deps.users.build(principal, userId, parsed.data as UserInput, stored);
      checked.push(stored && isDeepStrictEqual(comparable(stored), comparable(user)) ? { row, userId, status: 'unchanged' } : { row, user, ...(stored ? { version: stored.version ?? 0 } : {}) });
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      const errors = error instanceof ValidationError && error.errors.length ? error.errors : [{ detail: error.message }];
      checked.push({ row, ...(userId ? { userId } : {}), status: 'error', errors });
    }
  }
  // The writes are independent (one user each, each conditional on its own version): a few at a
  // time, the results kept in row order.
  const rows: ImportRowResult[] = new Array<ImportRowResult>(checked.length);
  let next = 0;
  const writer = async () => {
    for (let i = next++; i < checked.length; i = next++) {
      const entry = checked[i] as (typeof checked)[number];
      if (!('user' in entry)) {
        rows[i] = entry;
        continue;
      }
      if ((await deps.store.putUser(scope, entry.user, entry.version)).kind === 'changed') {
        rows[i] = { row: entry.row, userId: entry.user.userId, status: 'error', errors: [{ detail: 'The user changed while the file was imported; import this row again' }] };
        continue;
      }
      rows[i] = { row: entry.row, userId: entry.user.userId, status: entry.version === undefined ? 'created' : 'updated' };
    }
  };
  await Promise.all(Array.from({ length: IMPORT_WRITE_CONCURRENCY }, writer));
  return rows;
}
