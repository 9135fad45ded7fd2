import type { Clock, OtpCredentialStore, Page, SecretBox, UserStore } from '../../ports';
import type { PageCursors } from '../cursors';
import { ConflictError, NotFoundError, WrongCodeError } from '../errors';
import type { Principal } from '../types';
import { userScope } from '../users';
import { parseOathCsv, parsePskc, type OathImportErrorReason, type OathImportRow } from './oath-import';
import { oathSecretContext, type OathTokenRecord } from './records';
import { resyncDrift } from './totp';

/** What an admin sees of a token: never its secret (R28). */
export type OathTokenView = Omit<OathTokenRecord, 'tenantId' | 'sealedSecret' | 'lastUsedStep' | 'assignee'> & {
  readonly assignee?: { readonly userId: string; readonly assignedAt: string };
};

export type ImportResult =
  | { readonly row: number; readonly serial: string; readonly status: 'imported' }
  | { readonly row: number; readonly serial?: string; readonly status: 'error'; readonly reason: OathImportErrorReason; readonly detail: string };

/** One token of a job's batch: as a request's import, or `exists` (its serial was stored already; nothing written). */
export type TokenRowResult = ImportResult | { readonly row: number; readonly serial: string; readonly status: 'exists' };

export function tokenView(token: OathTokenRecord): OathTokenView {
  const { tenantId: _t, sealedSecret: _s, lastUsedStep: _l, assignee, ...rest } = token;
  return { ...rest, ...(assignee ? { assignee: { userId: assignee.userId, assignedAt: assignee.assignedAt } } : {}) };
}

/** Verify takes 6- or 8-digit codes (shared/schemas): a 7-digit token could never sign in. */
const VERIFIABLE_DIGITS = [6, 8];

/** R22: hardware TOTP tokens — bulk import, assignment by serial, and drift resynchronisation (R5). */
export class OathTokenService {
  constructor(private readonly deps: { store: OtpCredentialStore; users: UserStore; box: SecretBox; clock: Clock; cursors: PageCursors }) {}

  /**
   * Parses and checks the whole file and seals every good token before storing any (R29): bad
   * input, or a fault while checking or sealing, leaves nothing half-imported. Then stores each
   * good token; one result per token, in file order.
   */
  async import(principal: Principal, file: { format: 'csv' } | { format: 'pskc'; preSharedKey?: Uint8Array }, body: string) {
    const rows: OathImportRow[] = file.format === 'csv' ? await parseOathCsv(body) : await parsePskc(body, file.preSharedKey ? { preSharedKey: file.preSharedKey } : {});
    const results: ImportResult[] = (await this.importRows(principal, rows)).map((r) =>
      r.status === 'exists' ? { row: r.row, serial: r.serial, status: 'error', reason: 'duplicate_serial', detail: 'A token with this serial was already imported' } : r,
    );
    return { imported: results.filter((r) => r.status === 'imported').length, failed: results.filter((r) => r.status === 'error').length, results };
  }

  /**
   * Imports parsed tokens (a request's file or one batch of a job): checks each, seals the good
   * ones together (one data key, `SecretBox.sealMany`: one KMS call, not one per token), then
   * stores each unless its serial is stored already (`exists`: nothing is written, so importing
   * the same file again changes nothing).
   */
  async importRows(principal: Principal, rows: readonly OathImportRow[]): Promise<TokenRowResult[]> {
    const importedAt = new Date(this.deps.clock.now()).toISOString();
    const checked: ({ readonly row: number; readonly token: Extract<OathImportRow, { kind: 'ok' }>['token'] & { type: 'totp' } } | ImportResult)[] = [];
    const good: { row: number; record: OathTokenRecord }[] = [];
    try {
      for (const row of rows) {
        if (row.kind === 'error') {
          checked.push({ row: row.row, ...(row.serial ? { serial: row.serial } : {}), status: 'error', reason: row.reason, detail: row.detail });
          continue;
        }
        const { token } = row;
        const refuse = (reason: OathImportErrorReason, detail: string) => checked.push({ row: row.row, serial: row.serial, status: 'error', reason, detail });
        if (token.type !== 'totp') {
          refuse('unsupported_algorithm', 'Only TOTP (time-based) tokens are supported; this is an HOTP (counter) token');
          continue;
        }
        if (!VERIFIABLE_DIGITS.includes(token.digits)) {
          refuse('bad_digits', 'Tokens must show 6 or 8 digits');
          continue;
        }
        checked.push({ row: row.row, token });
      }
      const toSeal = checked.filter((c): c is Extract<(typeof checked)[number], { token: unknown }> => 'token' in c);
      const sealed = await this.deps.box.sealMany(toSeal.map(({ token }) => ({ plaintext: token.secret, context: oathSecretContext(principal.tenantId, token.serial) })));
      toSeal.forEach(({ row, token }, i) =>
        good.push({
          row,
          record: {
            tenantId: principal.tenantId,
            serial: token.serial,
            sealedSecret: sealed[i] as string,
            algorithm: token.algorithm,
            digits: token.digits,
            step: token.step,
            driftSteps: token.driftSteps,
            ...(token.manufacturer ? { manufacturer: token.manufacturer } : {}),
            ...(token.model ? { model: token.model } : {}),
            importedAt,
          },
        }),
      );
    } finally {
      for (const row of rows) if (row.kind === 'ok') row.token.secret.fill(0);
    }
    const stored = new Map<number, TokenRowResult>();
    for (const { row, record } of good) {
      stored.set(row, (await this.deps.store.putOathToken(record)) ? { row, serial: record.serial, status: 'imported' } : { row, serial: record.serial, status: 'exists' });
    }
    return checked.map((c) => ('token' in c ? (stored.get(c.row) as TokenRowResult) : c));
  }

  async list(principal: Principal, query: { limit: number; cursor?: string | undefined }): Promise<Page<OathTokenView>> {
    const binding = { tenantId: principal.tenantId, list: 'oath-tokens', query: {} } as const;
    const state = await this.deps.cursors.open(query.cursor, binding);
    const page = await this.deps.store.listOathTokens(principal.tenantId, { limit: query.limit, ...(state ? { cursor: state.position } : {}) });
    return this.deps.cursors.seal(binding, { items: page.items.map(tokenView), ...(page.cursor ? { cursor: page.cursor } : {}) });
  }

  async assign(principal: Principal, serial: string, userId: string): Promise<OathTokenView> {
    const scope = userScope(principal);
    const at = new Date(this.deps.clock.now()).toISOString();
    const outcome = await this.deps.store.assignOathToken(principal.tenantId, serial, scope, userId, at);
    switch (outcome) {
      case 'no_token':
        throw new NotFoundError('No such token');
      case 'no_user':
        throw new NotFoundError('No such user');
      case 'token_assigned':
        throw new ConflictError('The token is assigned to a user already; unassign it first');
      case 'user_has_token':
        throw new ConflictError('The user has a token already; unassign it first');
      case 'done':
        return this.view(principal, serial);
    }
  }

  async unassign(principal: Principal, serial: string): Promise<OathTokenView> {
    if (!(await this.deps.store.unassignOathToken(principal.tenantId, serial))) {
      await this.view(principal, serial);
      throw new ConflictError('The token is not assigned');
    }
    return this.view(principal, serial);
  }

  /** R5: measures the drift of a token too far off for the ±1 window, from two consecutive codes. */
  async resync(principal: Principal, serial: string, codes: { firstCode: string; secondCode: string }): Promise<OathTokenView> {
    const token = await this.deps.store.getOathToken(principal.tenantId, serial);
    if (!token) throw new NotFoundError('No such token');
    const secret = await this.deps.box.decrypt(token.sealedSecret, oathSecretContext(principal.tenantId, serial));
    const result = resyncDrift({
      secret,
      ...codes,
      nowMs: this.deps.clock.now(),
      step: token.step,
      digits: token.digits,
      algorithm: token.algorithm,
      ...(token.lastUsedStep === undefined ? {} : { lastUsedStep: token.lastUsedStep }),
    });
    secret.fill(0);
    if (result.kind === 'failed') {
      throw new WrongCodeError('The two codes are not consecutive codes of this token near the current time', { reason: result.reason });
    }
    const use = { kind: 'oath', tenantId: principal.tenantId, serial, step: result.step, driftSteps: result.driftSteps } as const;
    if (!(await this.deps.store.useStep(use))) throw new ConflictError('The token was used meanwhile; read two new codes');
    return this.view(principal, serial);
  }

  private async view(principal: Principal, serial: string): Promise<OathTokenView> {
    const token = await this.deps.store.getOathToken(principal.tenantId, serial);
    if (!token) throw new NotFoundError('No such token');
    return tokenView(token);
  }
}
