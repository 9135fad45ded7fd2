import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { PushActivationRecord, PushDeviceRecord } from '../../domain/push-records';
import type { User } from '../../domain/types';
import type { PushDeviceStore, UserScope } from '../../ports';
import { maybeRecordOf } from './items';
import { BUMP_USER_VERSION, tenantKeys, userEpochCondition } from './tenant-store';
import { transact } from './transact';

/**
 * Item layout in the tenants table for push (R9, R18):
 * - activation code   PUSHACT#<sha256 of the code>   / ACTIVATION   (ttl; the code itself is never stored)
 * - device            PUSHDEV#<deviceId>             / DEVICE       (its HMAC key sealed by the SecretBox)
 * Both are found by one GetItem from what the phone sends, before any tenant is known; the
 * records carry their tenant. The user item carries the `push` marker registration reads.
 */
export const pushKeys = {
  activation: (codeHash: string) => ({ pk: `PUSHACT#${codeHash}`, sk: 'ACTIVATION' }),
  device: (deviceId: string) => ({ pk: `PUSHDEV#${deviceId}`, sk: 'DEVICE' }),
};

export class DynamoPushDeviceStore implements PushDeviceStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async putActivation(activation: PushActivationRecord): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...pushKeys.activation(activation.codeHash), ...activation, ttl: Math.ceil(activation.expiresAt / 1000) },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }

  async findActivation(codeHash: string, now: number): Promise<PushActivationRecord | undefined> {
    const out = await this.db.send(new GetCommand({ TableName: this.tableName, Key: pushKeys.activation(codeHash), ConsistentRead: true }));
    const activation = maybeRecordOf<PushActivationRecord>(out.Item);
    // Expiry is checked here, not left to TTL deletion (R1's rule, applied to codes of every kind).
    return activation && activation.expiresAt > now ? activation : undefined;
  }

  async activateDevice(
    activation: { codeHash: string; now: number },
    scope: UserScope,
    device: PushDeviceRecord,
    marker: NonNullable<User['push']>,
  ): Promise<'done' | 'code_spent' | 'no_user'> {
    const outcome = await transact(this.db, [
      {
        Delete: {
          TableName: this.tableName,
          Key: pushKeys.activation(activation.codeHash),
          ConditionExpression: 'attribute_exists(pk) AND expiresAt > :now',
          ExpressionAttributeValues: { ':now': activation.now },
        },
      },
      { Put: { TableName: this.tableName, Item: { ...pushKeys.device(device.deviceId), ...device }, ConditionExpression: 'attribute_not_exists(pk)' } },
      {
        Update: {
          TableName: this.tableName,
          Key: { pk: tenantKeys.users(scope), sk: device.userId },
          UpdateExpression: `SET #push = :marker, ${BUMP_USER_VERSION.expression}`,
          // A code issued before the user was deleted or reset activates nothing (R19).
          ConditionExpression: userEpochCondition(device.epoch).expression,
          ExpressionAttributeNames: { '#push': 'push' },
          ExpressionAttributeValues: { ':marker': marker, ...BUMP_USER_VERSION.values, ...userEpochCondition(device.epoch).values },
        },
      },
    ]);
    if (outcome.kind === 'done') return 'done';
    if (outcome.index === 0) return 'code_spent';
    if (outcome.index === 2) return 'no_user';
    throw new Error('A push device with this id exists already');
  }

  async getDevice(deviceId: string): Promise<PushDeviceRecord | undefined> {
    const out = await this.db.send(new GetCommand({ TableName: this.tableName, Key: pushKeys.device(deviceId), ConsistentRead: true }));
    return maybeRecordOf<PushDeviceRecord>(out.Item);
  }
}
