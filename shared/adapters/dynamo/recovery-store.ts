import { DeleteCommand, GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AccessPassRecord, AccessPassStore, AccessPassUse, RecoveryCodeSet, RecoveryCodeStore, RecoveryCodeUse, StepUpUse, UserScope } from '../../ports';
import { maybeRecordOf, recordOf } from './items';
import { spendApprovedChallenge } from './challenge-uses';
import { isConditionFailure } from './errors';
import { transact, type TransactItem } from './transact';
import { queryAll } from './pages';


/**
 * Item layout in the tenants table for the ways back (issue 16); no code or pass is stored, only hashes:
 * - recovery codes  RECOVERY#<tenantId>#<space>#<userId> / SET       (one set per user, replaced whole)
 * - access pass     TAP#<tenantId>#<space>#<userId>      / <passId>  (ttl: the pass's expiry; checked on read)
 * - passes issued   TAP#<tenantId>#<space>#<userId>      / #ISSUED   (a counter: each issue is conditional on it)
 */
export const recoveryKeys = {
  set: (scope: UserScope, userId: string) => ({ pk: `RECOVERY#${scope.tenantId}#${scope.space}#${userId}`, sk: 'SET' }),
  passes: (scope: UserScope, userId: string) => `TAP#${scope.tenantId}#${scope.space}#${userId}`,
  pass: (scope: UserScope, userId: string, passId: string) => ({ pk: recoveryKeys.passes(scope, userId), sk: passId }),
  issued: (scope: UserScope, userId: string) => ({ pk: recoveryKeys.passes(scope, userId), sk: '#ISSUED' }),
};

const ttlOf = (epochMs: number): number => Math.ceil(epochMs / 1000);

/**
 * A recovery code spent with a challenge's approval, as a transaction item: its slot is removed
 * only if that very set still holds it, so two approvals with one code cannot both commit and a
 * regenerated set voids the code.
 */
export function recoveryCodeUseItem(tableName: string, use: RecoveryCodeUse): TransactItem {
  return {
    Update: {
      TableName: tableName,
      Key: recoveryKeys.set({ tenantId: use.tenantId, space: use.space }, use.userId),
      UpdateExpression: 'REMOVE hashes.#slot',
      ConditionExpression: 'setId = :setId AND attribute_exists(hashes.#slot)',
      ExpressionAttributeNames: { '#slot': use.slot },
      ExpressionAttributeValues: { ':setId': use.setId },
    },
  };
}

/**
 * An access pass used with a challenge's approval, as a transaction item: only if it still exists
 * (not revoked), is inside its window, and, when one-time, has not been used.
 */
export function accessPassUseItem(tableName: string, use: AccessPassUse): TransactItem {
  return {
    Update: {
      TableName: tableName,
      Key: recoveryKeys.pass({ tenantId: use.tenantId, space: use.space }, use.userId, use.passId),
      UpdateExpression: 'SET uses = uses + :one, lastUsedAt = :usedAt',
      ConditionExpression: `attribute_exists(pk) AND startsAt <= :now AND expiresAt > :now${use.oneTime ? ' AND uses = :zero' : ''}`,
      ExpressionAttributeValues: { ':one': 1, ':now': use.now, ':usedAt': new Date(use.now).toISOString(), ...(use.oneTime ? { ':zero': 0 } : {}) },
    },
  };
}

/** Recovery code sets and access passes in the tenants table. */
export class DynamoRecoveryStore implements RecoveryCodeStore, AccessPassStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
    /** Where a relying app's step-up challenge is marked used (once). */
    private readonly challengesTable: string,
  ) {}

  async putSet(set: RecoveryCodeSet, replaces: string | undefined, stepUp?: StepUpUse): Promise<'stored' | 'set_changed' | 'step_up_used'> {
    const put = {
      TableName: this.tableName,
      Item: { ...recoveryKeys.set(set, set.userId), ...set },
      // Over the set read, and only that one: a racing regeneration or a use leaves exactly one valid set.
      ...(replaces === undefined
        ? { ConditionExpression: 'attribute_not_exists(pk)' }
        : { ConditionExpression: 'setId = :replaces', ExpressionAttributeValues: { ':replaces': replaces } }),
    };
    if (!stepUp) {
      try {
        await this.db.send(new PutCommand(put));
        return 'stored';
      } catch (error) {
        if (isConditionFailure(error)) return 'set_changed';
        throw error;
      }
    }
    const outcome = await transact(this.db, [{ Put: put }, spendApprovedChallenge(this.challengesTable, stepUp, 'stepUpUsedAt')]);
    if (outcome.kind === 'done') return 'stored';
    return outcome.index === 0 ? 'set_changed' : 'step_up_used';
  }

  async getSet(scope: UserScope, userId: string): Promise<RecoveryCodeSet | undefined> {
    const out = await this.db.send(new GetCommand({ TableName: this.tableName, Key: recoveryKeys.set(scope, userId), ConsistentRead: true }));
    return maybeRecordOf<RecoveryCodeSet>(out.Item);
  }

  async putPass(pass: AccessPassRecord, issued: number): Promise<boolean> {
    const outcome = await transact(this.db, [
      {
        Put: {
          TableName: this.tableName,
          Item: { ...recoveryKeys.pass(pass, pass.userId, pass.passId), ...pass, ttl: ttlOf(pass.expiresAt) },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
      {
        Update: {
          TableName: this.tableName,
          Key: recoveryKeys.issued(pass, pass.userId),
          UpdateExpression: 'SET issued = :next',
          ConditionExpression: issued === 0 ? 'attribute_not_exists(pk)' : 'issued = :seen',
          ExpressionAttributeValues: { ':next': issued + 1, ...(issued === 0 ? {} : { ':seen': issued }) },
        },
      },
    ]);
    return outcome.kind === 'done';
  }

  async listPasses(scope: UserScope, userId: string): Promise<AccessPassRecord[]> {
    return (await this.issueState(scope, userId)).passes;
  }

  async issueState(scope: UserScope, userId: string): Promise<{ passes: AccessPassRecord[]; issued: number }> {
    const passes: AccessPassRecord[] = [];
    let issued = 0;
    // Every page: expired passes stay until TTL or revocation, so the live ones may be on any page.
    const items = await queryAll(this.db, {
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': recoveryKeys.passes(scope, userId) },
      ConsistentRead: true,
    });
    for (const item of items) {
      if (item.sk === recoveryKeys.issued(scope, userId).sk) issued = Number(item.issued ?? 0);
      else passes.push(recordOf<AccessPassRecord>(item));
    }
    return { passes, issued };
  }

  async deletePass(scope: UserScope, userId: string, passId: string): Promise<boolean> {
    const out = await this.db.send(new DeleteCommand({ TableName: this.tableName, Key: recoveryKeys.pass(scope, userId, passId), ReturnValues: 'ALL_OLD' }));
    return out.Attributes !== undefined;
  }
}
