import { GetCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { OathTokenRecord } from '../../domain/otp/records';
import type { User } from '../../domain/types';
import type { Clock, UserCredentialStore, UserScope, UserWrite } from '../../ports';
import { otpKeys } from './otp-store';
import { MAX_PASSKEYS_RETIRED, passkeyKeys } from './passkey-store';
import { pushKeys } from './push-store';
import { userVersionCondition, type DynamoTenantStore } from './tenant-store';
import { transact, type TransactItem } from './transact';


/**
 * App passwords deleted in the transaction, at most: with the user item, the authenticator, its
 * enrolment, the token, the device, the passkeys with their claims and the two billing records
 * (R25) it stays under DynamoDB's 100 items. A user has at most APP_PASSWORDS_PER_USER (a race may add one); any beyond are dead
 * by the credential epoch.
 */
const MAX_APP_PASSWORDS_RETIRED = 68;

/**
 * R19/R21/R22: deletes or resets a user together with everything it authenticates with, in one
 * TransactWriteItems with the user item's conditional write (optimistic locking): app
 * passwords, the authenticator app and its enrolment, the OATH token's assignment (the token
 * goes back to the pool), the push device and the passkeys (with their claims on their credential
 * ids, so the same authenticator can be registered again). Either all of it happens or none of it, and a
 * user changed meanwhile (a token assigned, a device activated) refuses it, so the caller reads
 * again and nothing added in between is left behind.
 */
export class DynamoUserCredentialStore implements UserCredentialStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
    /** Plans the user's billing records (R25), written in the same transaction as the user item. */
    private readonly tenants: DynamoTenantStore,
    private readonly clock: Clock,
  ) {}

  async deleteUser(scope: UserScope, user: User): Promise<UserWrite> {
    const billing = await this.tenants.billingWrites(scope, user, undefined, new Date(this.clock.now()).toISOString());
    return this.retire(
      scope,
      user,
      { Delete: { TableName: this.tableName, Key: otpKeys.user(scope, user.userId), ...userVersionCondition(user.version ?? 0) } },
      billing,
    );
  }

  async resetUser(scope: UserScope, before: User, after: User): Promise<UserWrite> {
    const version = (before.version ?? 0) + 1;
    return this.retire(
      scope,
      before,
      { Put: { TableName: this.tableName, Item: { ...otpKeys.user(scope, after.userId), ...after, version }, ...userVersionCondition(before.version ?? 0) } },
      await this.tenants.billingWrites(scope, before, after, after.updatedAt),
      version,
    );
  }

  private async retire(scope: UserScope, user: User, userItem: TransactItem, billing: TransactItem[], version = 0): Promise<UserWrite> {
    const { userId } = user;
    const passwords = await this.db.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': otpKeys.appPasswords(scope, userId) },
        ProjectionExpression: 'pk, sk',
        Limit: MAX_APP_PASSWORDS_RETIRED,
        ConsistentRead: true,
      }),
    );
    const passkeys = await this.db.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': passkeyKeys.passkeys(scope, userId) },
        ProjectionExpression: 'pk, sk, passkeyId',
        Limit: MAX_PASSKEYS_RETIRED,
        ConsistentRead: true,
      }),
    );
    const token = user.oathToken ? await this.assignedToken(scope, userId, user.oathToken.serial) : undefined;
    const del = (key: Record<string, unknown>): TransactItem => ({ Delete: { TableName: this.tableName, Key: key } });
    const outcome = await transact(this.db, [
      userItem,
      del(otpKeys.app(scope, userId)),
      del(otpKeys.enrollment(scope, userId)),
      ...(token
        ? [
            {
              Update: {
                TableName: this.tableName,
                Key: otpKeys.oathToken(scope.tenantId, token.serial),
                // The token goes back to the pool: assignable again, listed without an assignee (R22).
                UpdateExpression: 'REMOVE assignee',
                ConditionExpression: 'assignee.userId = :userId AND assignee.#space = :space',
                ExpressionAttributeNames: { '#space': 'space' },
                ExpressionAttributeValues: { ':userId': userId, ':space': scope.space },
              },
            },
          ]
        : []),
      ...(user.push ? [del(pushKeys.device(user.push.deviceId))] : []),
      ...(passwords.Items ?? []).map((item) => del({ pk: item.pk, sk: item.sk })),
      ...(passkeys.Items ?? []).flatMap((item) => [del({ pk: item.pk, sk: item.sk }), del(passkeyKeys.claim(scope.tenantId, String(item.passkeyId)))]),
      ...billing,
    ]);
    return outcome.kind === 'done' ? { kind: 'written', version } : { kind: 'changed' };
  }

  /** The user's token, if it is still assigned to this user (a token unassigned and given to another is not theirs to free). */
  private async assignedToken(scope: UserScope, userId: string, serial: string): Promise<OathTokenRecord | undefined> {
    const out = await this.db.send(new GetCommand({ TableName: this.tableName, Key: otpKeys.oathToken(scope.tenantId, serial), ConsistentRead: true }));
    const token = out.Item as OathTokenRecord | undefined;
    return token?.assignee?.userId === userId && token.assignee.space === scope.space ? token : undefined;
  }
}
