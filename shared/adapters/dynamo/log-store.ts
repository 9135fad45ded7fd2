import { QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AuthLogEntry, Factor, LogResult } from '../../domain/types';
import type { Audit, AuthLogQuery, AuthLogStore, Page, UsageRow, UsageStore } from '../../ports';
import { auditItems, LOG_SHARDS, logKeys, type AuditTables } from './audit';
import { recordOf } from './items';
import { decodeLogCursor, encodeCursor } from './pages';
import { transact } from './transact';

/** Query rounds per auth-log page: the first reads every partition, later ones only those behind. */
export const LOG_QUERY_ROUNDS = 3;

interface LineAt {
  readonly sk: string;
  readonly item: Record<string, unknown>;
}

/** One partition's part of a page: what it returned, where to go on, and the sort key it was read down to ('' once read to its end). */
interface PartitionRead {
  readonly pk: string;
  readonly items: LineAt[];
  next?: Record<string, unknown>;
  readTo?: string;
}

const newestFirst = (a: LineAt, b: LineAt) => (a.sk < b.sk ? 1 : a.sk > b.sk ? -1 : 0);

/**
 * Auth logs and usage counters (see `audit.ts` for the key layout). Queries only, never a Scan.
 * The admins' notifications, in the same table, are ./notification-store.ts's.
 */
export class DynamoLogStore implements AuthLogStore, UsageStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tables: AuditTables,
  ) {}

  async append(audit: Audit): Promise<void> {
    const outcome = await transact(this.db, (await auditItems(this.tables, audit)).items);
    if (outcome.kind === 'done') this.tables.onCommitted?.([audit]);
  }

  /**
   * Newest first within [from, to]; by user through gsi1; method and result filter within a page.
   * A tenant's lines sit in LOG_SHARDS partitions (and one of lines from before sharding): each
   * round queries the partitions that may still hold lines of this page, newest first, and merges
   * them by sort key; a line is returned only once every partition has been read down to it. Sort
   * keys (time#logId) are unique across partitions, so the last sort key returned is the position
   * in every partition at once: the cursor is that one key, not one per shard. At most
   * LOG_QUERY_ROUNDS rounds: a page the rounds could not fill (a sparse filter) comes back short,
   * with a cursor where the reading stopped.
   */
  async list(tenantId: string, query: AuthLogQuery): Promise<Page<AuthLogEntry>> {
    const byUser = query.userId !== undefined;
    const [pkName, skName] = byUser ? ['gsi1pk', 'gsi1sk'] : ['pk', 'sk'];
    const userId = query.userId as string;
    const partitions = byUser ? logKeys.userPartitions(tenantId, userId) : logKeys.tenantPartitions(tenantId);
    const family = byUser ? logKeys.legacyUser(tenantId, userId) : logKeys.legacyTenant(tenantId);
    const upper = `${query.to}\uffff`;
    const before = decodeLogCursor(query.cursor, family, query.from, upper);
    const filters: string[] = [];
    const values: Record<string, unknown> = { ':from': query.from, ':to': before ?? upper };
    const names: Record<string, string> = { '#pk': pkName, '#sk': skName };
    if (query.method) {
      filters.push('#method = :method');
      values[':method'] = query.method;
      names['#method'] = 'method';
    }
    if (query.result) {
      filters.push('#result = :result');
      values[':result'] = query.result;
      names['#result'] = 'result';
    }
    const reads: PartitionRead[] = partitions.map((pk) => ({ pk, items: [] }));
    const readFrom = async (read: PartitionRead, limit: number): Promise<void> => {
      const out = await this.db.send(
        new QueryCommand({
          TableName: this.tables.logsTable,
          ...(byUser ? { IndexName: 'gsi1' } : {}),
          // The cursor's own line is the upper bound (BETWEEN is inclusive) and is dropped below.
          KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :from AND :to',
          ...(filters.length ? { FilterExpression: filters.join(' AND ') } : {}),
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: { ...values, ':pk': read.pk },
          ScanIndexForward: false,
          Limit: limit,
          ExclusiveStartKey: read.next,
        }),
      );
      for (const item of out.Items ?? []) if (before === undefined || String(item[skName]) < before) read.items.push({ sk: String(item[skName]), item });
      read.next = out.LastEvaluatedKey;
      read.readTo = out.LastEvaluatedKey ? String(out.LastEvaluatedKey[skName]) : '';
    };
    const firstLimit = Math.ceil((2 * query.limit) / LOG_SHARDS);
    let page: LineAt[] = [];
    let frontier = '';
    for (let round = 0; round < LOG_QUERY_ROUNDS; round++) {
      const buffered = reads.flatMap((r) => r.items).sort(newestFirst);
      // Only a partition read to above the page's last line so far can still add to this page.
      const cutoff = buffered.length >= query.limit ? (buffered[query.limit - 1] as LineAt).sk : '';
      const due = round === 0 ? reads : reads.filter((r) => r.readTo !== '' && (r.readTo as string) > cutoff);
      const limit = round === 0 ? firstLimit : Math.min(query.limit, Math.max(firstLimit, Math.ceil((2 * query.limit) / due.length)));
      await Promise.all(due.map((r) => readFrom(r, limit)));
      // Every line at or above the frontier is known: each partition was read down to it or to its end.
      frontier = reads.reduce((top, r) => ((r.readTo as string) > top ? (r.readTo as string) : top), '');
      page = reads
        .flatMap((r) => r.items)
        .filter((l) => l.sk >= frontier)
        .sort(newestFirst)
        .slice(0, query.limit);
      if (page.length === query.limit || frontier === '') break;
    }
    // A full page goes on after its last line; a short one where the reading stopped.
    const full = page.length === query.limit;
    const position = full ? (page.at(-1) as LineAt).sk : frontier;
    const more = frontier !== '' || (full && reads.some((r) => r.items.some((l) => l.sk < position)));
    const cursor = more ? encodeCursor({ pk: family, sk: position }) : undefined;
    return { items: page.map((l) => recordOf<AuthLogEntry>(l.item)), ...(cursor ? { cursor } : {}) };
  }

  async month(tenantId: string, month: string): Promise<UsageRow[]> {
    const rows = new Map<string, UsageRow>();
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.db.send(
        new QueryCommand({
          TableName: this.tables.usageTable,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': logKeys.usage(tenantId, month) },
          ExclusiveStartKey: start,
        }),
      );
      for (const item of out.Items ?? []) {
        const key = `${String(item.day)}#${String(item.method)}#${String(item.result)}`;
        const count = (rows.get(key)?.count ?? 0) + Number(item.count);
        rows.set(key, { day: String(item.day), method: item.method as Factor, result: item.result as LogResult, count });
      }
      start = out.LastEvaluatedKey;
    } while (start);
    return [...rows.values()].filter((r) => r.count !== 0);
  }
}
