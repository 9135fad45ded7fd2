/**
 * Remembered devices in a map, for unit tests of RememberedDeviceService. Like the DynamoDB
 * adapter: the token and the mark on its challenge are written together, and only when the
 * challenge is an approved one of that tenant and user, approved after `approvedAfter`, unused.
 */
import type { ChallengeStore, Page, RememberedDeviceRecord, RememberedDeviceStore, RememberUse, UserScope } from '../../shared/ports';

const copy = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;
const partition = (scope: UserScope, userId: string): string => [scope.tenantId, scope.space, userId].join('\u0000');

export class InMemoryRememberedDeviceStore implements RememberedDeviceStore {
  /** Every stored record, by partition and token hash. */
  readonly records = new Map<string, Map<string, RememberedDeviceRecord>>();
  private readonly used = new Set<string>();

  constructor(private readonly challenges: Pick<ChallengeStore, 'get'>) {}

  async remember(record: RememberedDeviceRecord, use: RememberUse): Promise<boolean> {
    const c = await this.challenges.get(use.challengeId);
    const fresh = c && c.tenantId === use.tenantId && c.userId === use.userId && c.status === 'approved' && (c.approvedAt ?? 0) > use.approvedAfter;
    if (!fresh || this.used.has(use.challengeId)) return false;
    const key = partition({ tenantId: record.tenantId, space: record.space }, record.userId);
    const devices = this.records.get(key) ?? new Map<string, RememberedDeviceRecord>();
    if (devices.has(record.tokenHash)) return false;
    this.used.add(use.challengeId);
    devices.set(record.tokenHash, copy(record));
    this.records.set(key, devices);
    return true;
  }

  async get(scope: UserScope, userId: string, tokenHash: string): Promise<RememberedDeviceRecord | undefined> {
    const found = this.records.get(partition(scope, userId))?.get(tokenHash);
    return found && copy(found);
  }

  /** Pages in insertion order, as DynamoDB pages a partition: `limit` at a time, the cursor an offset. */
  async list(scope: UserScope, userId: string, limit: number, cursor?: string): Promise<Page<RememberedDeviceRecord>> {
    const all = [...(this.records.get(partition(scope, userId))?.values() ?? [])];
    const from = cursor === undefined ? 0 : Number(cursor);
    const items = all.slice(from, from + limit).map(copy);
    return { items, ...(from + limit < all.length ? { cursor: String(from + limit) } : {}) };
  }
}
