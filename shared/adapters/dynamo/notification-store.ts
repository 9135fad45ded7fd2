import { PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Notification } from '../../domain/types';
import type { NotificationStore, Page } from '../../ports';
import { logKeys, retentionTtl } from './audit';
import { recordOf } from './items';
import { decodeCursor, encodeCursor } from './pages';

/**
 * The admins' notifications (R14): a partition per tenant in the Logs table, newest first, kept as
 * long as the auth log. Apart from the auth log's store (./log-store.ts), whose writes commit
 * audit lines with their usage and throttle counters and count them as metrics. What can notify
 * the admins without writing an auth-log line (the user service, whose block and unblock notify
 * them, built by a user import's batches too) then builds none of that.
 */
export class DynamoNotificationStore implements NotificationStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly logsTable: string,
  ) {}

  async add(notification: Notification): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.logsTable,
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
        TableName: this.logsTable,
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
}
