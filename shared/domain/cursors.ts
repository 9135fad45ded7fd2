import { createHmac, timingSafeEqual } from 'node:crypto';
import { ValidationError } from './errors';
import type { Page } from '../ports';

/**
 * What a cursor is valid for: one tenant, one list, and the query (filters, not the page size)
 * of the page it came from. A cursor presented with anything else is refused.
 */
export interface CursorBinding {
  readonly tenantId: string;
  readonly list: 'users' | 'auth-logs' | 'oath-tokens' | 'notifications';
  readonly query: Readonly<Record<string, string | number | boolean | undefined>>;
}

/** What a cursor carries: the store's position, and for time-ranged lists the range of the first page. */
export interface CursorState {
  readonly position: string;
  readonly window?: { readonly from: string; readonly to: string };
}

const MAC_CHARS = 43; // HMAC-SHA256, base64url without padding
const BASE64URL = /^[A-Za-z0-9_-]+$/;

/**
 * R29: list cursors are opaque and tamper-proof. A cursor is the store's position, base64url
 * JSON, and an HMAC (a service secret) over it, the tenant, the list and the query. Anything
 * altered, truncated, made up, or presented by another tenant or with another query is a 400
 * before the store sees it, so no hand-made key can reach a query and fail it.
 */
export class PageCursors {
  constructor(private readonly key: { get(): Promise<Uint8Array> }) {}

  /** The page with its store cursor replaced by a signed one. */
  async seal<T>(binding: CursorBinding, page: Page<T>, window?: CursorState['window']): Promise<Page<T>> {
    if (!page.cursor) return { items: page.items };
    const payload = Buffer.from(JSON.stringify({ position: page.cursor, ...(window ? { window } : {}) })).toString('base64url');
    return { items: page.items, cursor: `${payload}.${(await this.mac(binding, payload)).toString('base64url')}` };
  }

  /** The state of a cursor this service issued for this binding; ValidationError for anything else. */
  async open(cursor: string | undefined, binding: CursorBinding): Promise<CursorState | undefined> {
    if (cursor === undefined) return undefined;
    const invalid = new ValidationError('The cursor is not valid', [{ pointer: '/cursor', detail: 'use the cursor of the previous page of the same query' }]);
    const [payload, mac, ...rest] = cursor.split('.');
    if (rest.length || !payload || !mac || !BASE64URL.test(payload) || mac.length !== MAC_CHARS || !BASE64URL.test(mac)) throw invalid;
    const given = Buffer.from(mac, 'base64url');
    // Only the canonical spelling: the spare bits of the last character must not make a second cursor.
    if (given.toString('base64url') !== mac) throw invalid;
    const expected = await this.mac(binding, payload);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw invalid;
    const state = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as CursorState;
    if (typeof state.position !== 'string' || !state.position) throw invalid;
    return state;
  }

  private async mac(binding: CursorBinding, payload: string): Promise<Buffer> {
    const query = Object.entries(binding.query)
      .filter(([, value]) => value !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const signed = JSON.stringify(['tessera-cursor/1', binding.tenantId, binding.list, query, payload]);
    return createHmac('sha256', await this.key.get()).update(signed).digest();
  }
}
