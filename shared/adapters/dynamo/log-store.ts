import { PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AuthLogEntry, Factor, LogResult, Notification } from '../../domain/types';
import type { Audit, AuthLogQuery, AuthLogStore, NotificationStore, Page, UsageRow, UsageStore } from '../../ports';
import { auditItems, logKeys, retentionTtl, type AuditTables } from './audit';
import { recordOf } from './items';
import { decodeCursor, encodeCursor } from './pages';
import { transact } from './transact';

/** Auth logs, notifications and usage counters (see `audit.ts` for the key layout). Queries only, never a Scan. */
export class DynamoLogStore implements AuthLogStore, NotificationStore, UsageStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tables: AuditTables,
  ) {}

  async append(audit: Audit): Promise<void> {
    const outcome = await transact(this.db, (await auditItems(this.tables, audit)).items);
    if (outcome.kind === 'done') this.tables.onCommitted?.([audit]);
  }

  /** Newest first within [from, to]; by user through gsi1; method and result filter within a page. */
  async list(tenantId: string, query: AuthLogQuery): Promise<Page<AuthLogEntry>> {
    const byUser = query.userId !== undefined;
    const [pkName, skName] = byUser ? ['gsi1pk', 'gsi1sk'] : ['pk', 'sk'];
    const pk = byUser ? logKeys.user(tenantId, query.userId as string) : logKeys.tenant(tenantId);
    const filters: string[] = [];
    const values: Record<string, unknown> = { ':pk': pk, ':from': query.from, ':to': `${query.to}\uffff` };
    if (query.method) {
      filters.push('#method = :method');
      values[':method'] = query.method;
    }
    if (query.result) {
      filters.push('#result = :result');
      values[':result'] = query.result;
    }
    const names: Record<string, string> = { '#pk': pkName, '#sk': skName };
    if (query.method) names['#method'] = 'method';
    if (query.result) names['#result'] = 'result';
    const out = await this.db.send(
      new QueryCommand({
        TableName: this.tables.logsTable,
        ...(byUser ? { IndexName: 'gsi1' } : {}),
        KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :from AND :to',
        ...(filters.length ? { FilterExpression: filters.join(' AND ') } : {}),
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        ScanIndexForward: false,
        Limit: query.limit,
        ExclusiveStartKey: decodeCursor(query.cursor, { name: pkName, value: pk }),
      }),
    );
    const cursor = encodeCursor(out.LastEvaluatedKey);
    return { items: (out.Items ?? []).map((i) => recordOf<AuthLogEntry>(i)), ...(cursor ? { cursor } : {}) };
  }

  async add(notification: Notification): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.tables.logsTable,
        Item: {
          pk: logKeys.notifications(notification.tenantId),
          sk: `${notification.time}#${notification.notificationId}`,
          ttl: retentionTtl(notification.time),
          ...notification,
        },
      }),
    );
  }

  async listNotifications(tenantId: string, query: { limit: number; cursor?: string }): Promise<Page<Notification>> {
    const pk = logKeys.notifications(tenantId);
    const out = await this.db.send(
      new QueryCommand({
        TableName: this.tables.logsTable,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': pk },
        ScanIndexForward: false,
        Limit: query.limit,
        ExclusiveStartKey: decodeCursor(query.cursor, { name: 'pk', value: pk }),
      }),
    );
    const cursor = encodeCursor(out.LastEvaluatedKey);
    return { items: (out.Items ?? []).map((i) => recordOf<Notification>(i)), ...(cursor ? { cursor } : {}) };
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
