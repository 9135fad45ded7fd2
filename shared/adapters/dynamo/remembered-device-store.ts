import { GetCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Page, RememberedDeviceRecord, RememberedDeviceStore, RememberUse, UserScope } from '../../ports';
import { REMEMBERED_DEVICE_KEPT_AFTER_EXPIRY_SECONDS } from '../../rules';
import { maybeRecordOf, recordOf } from './items';
import { decodeCursor, encodeCursor } from './pages';
import { spendApprovedChallenge } from './challenge-uses';
import { transact } from './transact';

/**
 * Item layout in the tenants table: REMEMBERED#<tenantId>#<space>#<userId> / <sha256(token)>.
 * The tenant, the user space and the user are in the partition key, so a token checked with
 * another tenant's key, or for another user, is simply not found (R27).
 */
export const rememberedKeys = {
  devices: (scope: UserScope, userId: string) => `REMEMBERED#${scope.tenantId}#${scope.space}#${userId}`,
  device: (scope: UserScope, userId: string, tokenHash: string) => ({ pk: rememberedKeys.devices(scope, userId), sk: tokenHash }),
};

/** Kept a while past its expiry so a check can say `expired`; TTL removes it later (correctness never depends on it). */
const ttlOf = (expiresAt: number): number => Math.ceil(expiresAt / 1000) + REMEMBERED_DEVICE_KEPT_AFTER_EXPIRY_SECONDS;

export class DynamoRememberedDeviceStore implements RememberedDeviceStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
    /** Where the approved challenge is marked as having remembered a device (once). */
    private readonly challengesTable: string,
  ) {}

  async remember(record: RememberedDeviceRecord, use: RememberUse): Promise<boolean> {
    const scope = { tenantId: record.tenantId, space: record.space };
    const outcome = await transact(this.db, [
      {
        Put: {
          TableName: this.tableName,
          Item: { ...rememberedKeys.device(scope, record.userId, record.tokenHash), ...record, ttl: ttlOf(record.expiresAt) },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
      spendApprovedChallenge(this.challengesTable, use, 'rememberedAt'),
    ]);
    return outcome.kind === 'done';
  }

  async get(scope: UserScope, userId: string, tokenHash: string): Promise<RememberedDeviceRecord | undefined> {
    const out = await this.db.send(new GetCommand({ TableName: this.tableName, Key: rememberedKeys.device(scope, userId, tokenHash), ConsistentRead: true }));
    return maybeRecordOf<RememberedDeviceRecord>(out.Item);
  }

  async list(scope: UserScope, userId: string, limit: number, cursor?: string): Promise<Page<RememberedDeviceRecord>> {
    const pk = rememberedKeys.devices(scope, userId);
    const start = decodeCursor(cursor, { name: 'pk', value: pk });
    const out = await this.db.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': pk },
        Limit: limit,
        ConsistentRead: true,
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    );
    const next = encodeCursor(out.LastEvaluatedKey);
    return { items: (out.Items ?? []).map((item) => recordOf<RememberedDeviceRecord>(item)), ...(next ? { cursor: next } : {}) };
  }
}
