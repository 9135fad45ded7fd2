import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { sha256Hex } from '../../domain/crypto';
import type { AddPasskeyOutcome, PasskeyRecord, PasskeyRegistrationRecord, PasskeyStore, PasskeyUse, StepUpUse, UserScope } from '../../ports';
import { isConditionFailure } from './errors';
import { maybeRecordOf, recordOf } from './items';
import { BUMP_USER_VERSION, tenantKeys, userEpochCondition } from './tenant-store';
import { spendApprovedChallenge } from './challenge-uses';
import { transact, type TransactItem } from './transact';


/**
 * Item layout in the tenants table for passkeys. A credential id may be up to 1364 characters,
 * longer than a sort key may be, so keys carry its SHA-256:
 * - passkey       PASSKEY#<tenantId>#<space>#<userId>       / <sha256(credential id)>
 * - its claim     PASSKEYID#<tenantId>#<sha256(credential id)> / CLAIM   (one credential, one user per tenant)
 * - registration  PASSKEYREG#<tenantId>#<registrationId>     / REG     (ttl; expiry checked on read)
 * The user item (tenant-store.ts) carries `passkeyCount`, changed in the same transaction.
 */
export const passkeyKeys = {
  passkeys: (scope: UserScope, userId: string) => `PASSKEY#${scope.tenantId}#${scope.space}#${userId}`,
  passkey: (scope: UserScope, userId: string, passkeyId: string) => ({ pk: passkeyKeys.passkeys(scope, userId), sk: sha256Hex(passkeyId) }),
  claim: (tenantId: string, passkeyId: string) => ({ pk: `PASSKEYID#${tenantId}#${sha256Hex(passkeyId)}`, sk: 'CLAIM' }),
  registration: (tenantId: string, registrationId: string) => ({ pk: `PASSKEYREG#${tenantId}#${registrationId}`, sk: 'REG' }),
  user: (scope: UserScope, userId: string) => ({ pk: tenantKeys.users(scope), sk: userId }),
};

/** The most passkeys a user deletion or reset removes in its transaction: PASSKEYS_PER_USER, and a margin. */
export const MAX_PASSKEYS_RETIRED = 12;

const ttlOf = (epochMs: number): number => Math.ceil(epochMs / 1000);

/**
 * The compare-and-set of a passkey's sign counter, as a transaction item, so the challenge store
 * writes it together with the approval: two assertions counted from the same value cannot both
 * approve, and a passkey deleted meanwhile approves nothing.
 */
export function passkeyUseItem(tableName: string, use: PasskeyUse): TransactItem {
  return {
    Update: {
      TableName: tableName,
      Key: passkeyKeys.passkey({ tenantId: use.tenantId, space: use.space }, use.userId, use.passkeyId),
      UpdateExpression: 'SET #counter = :after, lastUsedAt = :usedAt, backedUp = :backedUp',
      ConditionExpression: 'attribute_exists(pk) AND #counter = :before',
      ExpressionAttributeNames: { '#counter': 'counter' },
      ExpressionAttributeValues: { ':after': use.counterAfter, ':before': use.counterBefore, ':usedAt': use.usedAt, ':backedUp': use.backedUp },
    },
  };
}

/** Passkeys and their registration ceremonies in the tenants table. */
export class DynamoPasskeyStore implements PasskeyStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
    /** Where a relying app's step-up challenge is marked used (once). */
    private readonly challengesTable: string,
  ) {}

  async putRegistration(registration: PasskeyRegistrationRecord, stepUp?: StepUpUse): Promise<boolean> {
    const item = { ...passkeyKeys.registration(registration.tenantId, registration.registrationId), ...registration, ttl: ttlOf(registration.expiresAt) };
    if (!stepUp) {
      await this.db.send(new PutCommand({ TableName: this.tableName, Item: item }));
      return true;
    }
    const outcome = await transact(this.db, [
      { Put: { TableName: this.tableName, Item: item, ConditionExpression: 'attribute_not_exists(pk)' } },
      spendApprovedChallenge(this.challengesTable, stepUp, 'stepUpUsedAt'),
    ]);
    return outcome.kind === 'done';
  }

  async getRegistration(tenantId: string, registrationId: string): Promise<PasskeyRegistrationRecord | undefined> {
    const out = await this.db.send(new GetCommand({ TableName: this.tableName, Key: passkeyKeys.registration(tenantId, registrationId), ConsistentRead: true }));
    return maybeRecordOf<PasskeyRegistrationRecord>(out.Item);
  }

  async deleteRegistration(tenantId: string, registrationId: string): Promise<void> {
    await this.db.send(new DeleteCommand({ TableName: this.tableName, Key: passkeyKeys.registration(tenantId, registrationId) }));
  }

  async addPasskey(registration: PasskeyRegistrationRecord, passkey: PasskeyRecord, max: number, now: number): Promise<AddPasskeyOutcome> {
    const scope = { tenantId: passkey.tenantId, space: passkey.space };
    const epoch = userEpochCondition(registration.epoch);
    const outcome = await transact(this.db, [
      {
        // Single use, and R1's rule: an expired ceremony is gone whatever TTL has done.
        Delete: {
          TableName: this.tableName,
          Key: passkeyKeys.registration(registration.tenantId, registration.registrationId),
          ConditionExpression: 'attribute_exists(pk) AND expiresAt > :now',
          ExpressionAttributeValues: { ':now': now },
        },
      },
      { Put: { TableName: this.tableName, Item: { ...passkeyKeys.passkey(scope, passkey.userId, passkey.passkeyId), ...passkey }, ConditionExpression: 'attribute_not_exists(pk)' } },
      {
        Put: {
          TableName: this.tableName,
          Item: { ...passkeyKeys.claim(passkey.tenantId, passkey.passkeyId), tenantId: passkey.tenantId, space: passkey.space, userId: passkey.userId },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
      {
        Update: {
          TableName: this.tableName,
          Key: passkeyKeys.user(scope, passkey.userId),
          UpdateExpression: `SET passkeyCount = if_not_exists(passkeyCount, :zero) + :one, ${BUMP_USER_VERSION.expression}`,
          ConditionExpression: `${epoch.expression} AND (attribute_not_exists(passkeyCount) OR passkeyCount < :max)`,
          ExpressionAttributeValues: { ...epoch.values, ...BUMP_USER_VERSION.values, ':zero': 0, ':one': 1, ':max': max },
        },
      },
    ]);
    if (outcome.kind === 'done') return { kind: 'added' };
    if (outcome.index === 0) return { kind: 'registration_gone' };
    if (outcome.index === 1 || outcome.index === 2) return { kind: 'credential_taken' };
    return { kind: 'refused_by_user' };
  }

  async listPasskeys(scope: UserScope, userId: string): Promise<PasskeyRecord[]> {
    const out = await this.db.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': passkeyKeys.passkeys(scope, userId) },
        ConsistentRead: true,
      }),
    );
    return (out.Items ?? [])
      .map((item) => recordOf<PasskeyRecord>(item))
      .sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0));
  }

  async getPasskey(scope: UserScope, userId: string, passkeyId: string): Promise<PasskeyRecord | undefined> {
    const out = await this.db.send(new GetCommand({ TableName: this.tableName, Key: passkeyKeys.passkey(scope, userId, passkeyId), ConsistentRead: true }));
    const found = maybeRecordOf<PasskeyRecord>(out.Item);
    // The key is a hash: make sure it is this credential.
    return found?.passkeyId === passkeyId ? found : undefined;
  }

  async renamePasskey(scope: UserScope, userId: string, passkeyId: string, name: string): Promise<PasskeyRecord | undefined> {
    try {
      const out = await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: passkeyKeys.passkey(scope, userId, passkeyId),
          UpdateExpression: 'SET #name = :name',
          ConditionExpression: 'attribute_exists(pk) AND passkeyId = :id',
          ExpressionAttributeNames: { '#name': 'name' },
          ExpressionAttributeValues: { ':name': name, ':id': passkeyId },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return out.Attributes ? recordOf<PasskeyRecord>(out.Attributes) : undefined;
    } catch (error) {
      if (isConditionFailure(error)) return undefined;
      throw error;
    }
  }

  async deletePasskey(scope: UserScope, userId: string, passkeyId: string, epoch: string | undefined): Promise<boolean> {
    const sameEpoch = userEpochCondition(epoch);
    const remove: TransactItem[] = [
      { Delete: { TableName: this.tableName, Key: passkeyKeys.passkey(scope, userId, passkeyId), ConditionExpression: 'attribute_exists(pk) AND passkeyId = :id', ExpressionAttributeValues: { ':id': passkeyId } } },
      { Delete: { TableName: this.tableName, Key: passkeyKeys.claim(scope.tenantId, passkeyId) } },
    ];
    const outcome = await transact(this.db, [
      ...remove,
      {
        Update: {
          TableName: this.tableName,
          Key: passkeyKeys.user(scope, userId),
          UpdateExpression: `SET passkeyCount = passkeyCount - :one, ${BUMP_USER_VERSION.expression}`,
          ConditionExpression: `passkeyCount > :zero AND ${sameEpoch.expression}`,
          ExpressionAttributeValues: { ...BUMP_USER_VERSION.values, ...sameEpoch.values, ':zero': 0, ':one': 1 },
        },
      },
    ]);
    if (outcome.kind === 'done') return true;
    if (outcome.index === 0) return false;
    // A passkey the user's count does not know of (of an earlier epoch, or left by a race with a reset): removed alone.
    return (await transact(this.db, remove)).kind === 'done';
  }
}
