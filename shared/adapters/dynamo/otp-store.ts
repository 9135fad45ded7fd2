import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import type { AppAuthenticatorRecord, AppEnrollmentRecord, AppPasswordRecord, OathTokenRecord, OtpStepUse } from '../../domain/otp/records';
import type { AppPasswordStore, OtpCredentialStore, Page, UserScope } from '../../ports';
import { isConditionFailure } from './errors';
import { maybeRecordOf, recordOf } from './items';
import { decodeCursor, encodeCursor } from './pages';
import { BUMP_USER_VERSION, tenantKeys, userEpochCondition } from './tenant-store';
import { transact, type TransactItem } from './transact';


/**
 * Item layout in the tenants table for the code factors and app passwords:
 * - authenticator app   OTP#<tenantId>#<space>#<userId>   / APP
 * - its enrolment       OTP#<tenantId>#<space>#<userId>   / APP_ENROLLMENT   (ttl)
 * - hardware token      OATH#<tenantId>                   / <serial>         (listed by one Query)
 * - app password        APPPW#<tenantId>#<space>#<userId> / <passwordId>
 * The user item (tenant-store.ts) carries the markers `authenticator` and `oathToken` that
 * registration reads; they change in the same transaction as the credential.
 */
export const otpKeys = {
  app: (scope: UserScope, userId: string) => ({ pk: `OTP#${scope.tenantId}#${scope.space}#${userId}`, sk: 'APP' }),
  enrollment: (scope: UserScope, userId: string) => ({ pk: `OTP#${scope.tenantId}#${scope.space}#${userId}`, sk: 'APP_ENROLLMENT' }),
  oathTokens: (tenantId: string) => `OATH#${tenantId}`,
  oathToken: (tenantId: string, serial: string) => ({ pk: `OATH#${tenantId}`, sk: serial }),
  appPasswords: (scope: UserScope, userId: string) => `APPPW#${scope.tenantId}#${scope.space}#${userId}`,
  user: (scope: UserScope, userId: string) => ({ pk: tenantKeys.users(scope), sk: userId }),
};

/**
 * R5: the compare-and-set of a token's last used time step (and a hardware token's drift), as a
 * transaction item, so the challenge store can write it together with the approval.
 */
export function stepUseItem(tableName: string, use: OtpStepUse): TransactItem {
  const fresh = '(attribute_not_exists(lastUsedStep) OR lastUsedStep < :step)';
  if (use.kind === 'app') {
    return {
      Update: {
        TableName: tableName,
        Key: otpKeys.app({ tenantId: use.tenantId, space: use.space }, use.userId),
        UpdateExpression: 'SET lastUsedStep = :step',
        ConditionExpression: `attribute_exists(pk) AND ${fresh}`,
        ExpressionAttributeValues: { ':step': use.step },
      },
    };
  }
  return {
    Update: {
      TableName: tableName,
      Key: otpKeys.oathToken(use.tenantId, use.serial),
      UpdateExpression: 'SET lastUsedStep = :step, driftSteps = :drift',
      ConditionExpression: `attribute_exists(pk) AND ${fresh}${use.userId ? ' AND assignee.userId = :userId' : ''}`,
      ExpressionAttributeValues: { ':step': use.step, ':drift': use.driftSteps, ...(use.userId ? { ':userId': use.userId } : {}) },
    },
  };
}

const ttlOf = (epochMs: number): number => Math.ceil(epochMs / 1000);

/** Authenticator apps, hardware tokens and app passwords in the tenants table (R5, R21, R22). */
export class DynamoOtpStore implements OtpCredentialStore, AppPasswordStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async putAppEnrollment(e: AppEnrollmentRecord): Promise<void> {
    const scope = { tenantId: e.tenantId, space: e.space };
    await this.db.send(new PutCommand({ TableName: this.tableName, Item: { ...otpKeys.enrollment(scope, e.userId), ...e, ttl: ttlOf(e.expiresAt) } }));
  }

  async getAppEnrollment(scope: UserScope, userId: string): Promise<AppEnrollmentRecord | undefined> {
    return maybeRecordOf<AppEnrollmentRecord>(await this.get(otpKeys.enrollment(scope, userId)));
  }

  async confirmAppEnrollment(scope: UserScope, enrollmentId: string, a: AppAuthenticatorRecord): Promise<boolean> {
    const outcome = await transact(this.db, [
      { Put: { TableName: this.tableName, Item: { ...otpKeys.app(scope, a.userId), ...a } } },
      {
        Delete: {
          TableName: this.tableName,
          Key: otpKeys.enrollment(scope, a.userId),
          ConditionExpression: 'enrollmentId = :id',
          ExpressionAttributeValues: { ':id': enrollmentId },
        },
      },
      {
        Update: {
          TableName: this.tableName,
          Key: otpKeys.user(scope, a.userId),
          UpdateExpression: `SET authenticator = :marker, ${BUMP_USER_VERSION.expression}`,
          // An enrolment started before the user was deleted or reset confirms nothing (R19).
          ConditionExpression: userEpochCondition(a.epoch).expression,
          ExpressionAttributeValues: { ':marker': { enrolledAt: a.enrolledAt }, ...BUMP_USER_VERSION.values, ...userEpochCondition(a.epoch).values },
        },
      },
    ]);
    return outcome.kind === 'done';
  }

  async getAppAuthenticator(scope: UserScope, userId: string): Promise<AppAuthenticatorRecord | undefined> {
    return maybeRecordOf<AppAuthenticatorRecord>(await this.get(otpKeys.app(scope, userId)));
  }

  async deleteAppAuthenticator(scope: UserScope, userId: string): Promise<boolean> {
    const out = await this.db.send(new DeleteCommand({ TableName: this.tableName, Key: otpKeys.app(scope, userId), ReturnValues: 'ALL_OLD' }));
    await this.removeMarker(scope, userId, 'authenticator');
    return out.Attributes !== undefined;
  }

  async putOathToken(token: OathTokenRecord): Promise<boolean> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...otpKeys.oathToken(token.tenantId, token.serial), ...token },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async getOathToken(tenantId: string, serial: string): Promise<OathTokenRecord | undefined> {
    return maybeRecordOf<OathTokenRecord>(await this.get(otpKeys.oathToken(tenantId, serial)));
  }

  async listOathTokens(tenantId: string, query: { limit: number; cursor?: string }): Promise<Page<OathTokenRecord>> {
    const pk = otpKeys.oathTokens(tenantId);
    const out = await this.db.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': pk },
        Limit: query.limit,
        ExclusiveStartKey: decodeCursor(query.cursor, { name: 'pk', value: pk }),
      }),
    );
    const cursor = encodeCursor(out.LastEvaluatedKey);
    return { items: (out.Items ?? []).map((i) => recordOf<OathTokenRecord>(i)), ...(cursor ? { cursor } : {}) };
  }

  async assignOathToken(tenantId: string, serial: string, scope: UserScope, userId: string, at: string) {
    const outcome = await transact(this.db, [
      {
        Update: {
          TableName: this.tableName,
          Key: otpKeys.oathToken(tenantId, serial),
          UpdateExpression: 'SET assignee = :assignee',
          ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(assignee)',
          ExpressionAttributeValues: { ':assignee': { userId, space: scope.space, assignedAt: at } },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        },
      },
      {
        Update: {
          TableName: this.tableName,
          Key: otpKeys.user(scope, userId),
          UpdateExpression: `SET oathToken = :marker, ${BUMP_USER_VERSION.expression}`,
          ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(oathToken)',
          ExpressionAttributeValues: { ':marker': { serial }, ...BUMP_USER_VERSION.values },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        },
      },
    ]);
    if (outcome.kind === 'done') return 'done' as const;
    if (outcome.index === 0) return outcome.item ? ('token_assigned' as const) : ('no_token' as const);
    return outcome.item ? ('user_has_token' as const) : ('no_user' as const);
  }

  async unassignOathToken(tenantId: string, serial: string): Promise<boolean> {
    try {
      const out = await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: otpKeys.oathToken(tenantId, serial),
          UpdateExpression: 'REMOVE assignee',
          ConditionExpression: 'attribute_exists(assignee)',
          ReturnValues: 'ALL_OLD',
        }),
      );
      const before = out.Attributes?.assignee as OathTokenRecord['assignee'];
      if (before) await this.removeMarker({ tenantId, space: before.space }, before.userId, 'oathToken', serial);
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async useStep(use: OtpStepUse): Promise<boolean> {
    const update = stepUseItem(this.tableName, use).Update as NonNullable<TransactItem['Update']>;
    try {
      await this.db.send(new UpdateCommand(update));
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async addAppPassword(record: AppPasswordRecord, max: number): Promise<boolean> {
    const scope = { tenantId: record.tenantId, space: record.space };
    // A count then a put: two racing creations may overshoot the cap by one, which verify
    // tolerates, since it reads at most `max` hashes (the bound on its scrypt cost).
    if ((await this.listAppPasswords(scope, record.userId, max)).length >= max) return false;
    await this.db.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { pk: otpKeys.appPasswords(scope, record.userId), sk: record.passwordId, ...record },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
    return true;
  }

  async listAppPasswords(scope: UserScope, userId: string, max: number): Promise<AppPasswordRecord[]> {
    const out = await this.db.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': otpKeys.appPasswords(scope, userId) },
        Limit: max,
        ConsistentRead: true,
      }),
    );
    return (out.Items ?? []).map((i) => recordOf<AppPasswordRecord>(i));
  }

  async deleteAppPassword(scope: UserScope, userId: string, passwordId: string): Promise<boolean> {
    const out = await this.db.send(
      new DeleteCommand({ TableName: this.tableName, Key: { pk: otpKeys.appPasswords(scope, userId), sk: passwordId }, ReturnValues: 'ALL_OLD' }),
    );
    return out.Attributes !== undefined;
  }

  async deleteAllAppPasswords(scope: UserScope, userId: string): Promise<number> {
    const pk = otpKeys.appPasswords(scope, userId);
    let count = 0;
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.db.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': pk },
          ProjectionExpression: 'pk, sk',
          ExclusiveStartKey: start,
        }),
      );
      for (const item of out.Items ?? []) {
        await this.db.send(new DeleteCommand({ TableName: this.tableName, Key: { pk: item.pk, sk: item.sk } }));
        count++;
      }
      start = out.LastEvaluatedKey;
    } while (start);
    return count;
  }

  /** Removes the user's marker, if the user still exists and has it (and still names this serial). */
  private async removeMarker(scope: UserScope, userId: string, marker: 'authenticator' | 'oathToken', serial?: string): Promise<void> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: otpKeys.user(scope, userId),
          UpdateExpression: `SET ${BUMP_USER_VERSION.expression} REMOVE ${marker}`,
          // Only when the marker is there: a removal of nothing must not bump the user's version (R29).
          ConditionExpression: serial ? 'oathToken.serial = :serial' : `attribute_exists(${marker})`,
          ExpressionAttributeValues: { ...BUMP_USER_VERSION.values, ...(serial ? { ':serial': serial } : {}) },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
  }

  private async get(key: { pk: string; sk: string }): Promise<Record<string, unknown> | undefined> {
    return (await this.db.send(new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true }))).Item;
  }
}
