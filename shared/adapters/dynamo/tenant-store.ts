import type { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  type BatchGetCommandOutput,
  BatchWriteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { randomInt } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { isDeepStrictEqual } from 'node:util';
import type { ApiKeyRecord, Provider, Tenant, TenantCaps, TenantSettings, User } from '../../domain/types';
import { monthOf, monthRange, monthsBetween } from '../../domain/billing';
import type { Clock, Page, SeedOutcome, TenantStore, UserBatchReader, UserCounterSeeder, UserQuery, UserScope, UserStore, UserWrite } from '../../ports';
import { billingKeys, USER_COUNTER_SHARDS } from './billing-store';
import { isConditionFailure } from './errors';
import { maybeRecordOf, recordOf } from './items';
import { decodeCursor, encodeCursor, queryAll } from './pages';
import { transact, type TransactItem } from './transact';

/**
 * Item layout of the tenants table (pk/sk; gsi1 lists a tenant's keys):
 * - tenant            TENANT#<tenantId>        / TENANT       gsi1: TENANTS / <tenantId> (the tenant index)
 * - provider history  TENANT#<tenantId>        / PROVIDER#<createdAt>#<providerId>  (deletedAt once deleted)
 * - API key           KEY#<tenantId>#<keyId>   / KEY          gsi1: KEYS#<tenantId> / <createdAt>#<keyId>
 * - user              USERS#<tenantId>#<space> / <userId>     (R18: a provider's user space)
 * - user counters     TENANT#<tenantId>        / BILLCOUNT#<YYYY-MM>#<shard>  (see `billing-store.ts`)
 * Keys and users are found by one GetItem; a key and its tenant by one BatchGetItem. A user write
 * that makes the user billable or not keeps the billing records in the same transaction.
 */
export const tenantKeys = {
  tenant: (tenantId: string) => ({ pk: `TENANT#${tenantId}`, sk: 'TENANT' }),
  providerHistory: (tenantId: string, p: Provider) => ({ pk: `TENANT#${tenantId}`, sk: `PROVIDER#${p.createdAt}#${p.providerId}` }),
  apiKey: (tenantId: string, keyId: string) => ({ pk: `KEY#${tenantId}#${keyId}`, sk: 'KEY' }),
  apiKeyList: (tenantId: string) => `KEYS#${tenantId}`,
  users: (scope: UserScope) => `USERS#${scope.tenantId}#${scope.space}`,
};

/**
 * Optimistic locking of the user item: the condition that it is still at the version read
 * (`undefined`: it must not exist; 0: stored before versions existed).
 */
export function userVersionCondition(expected: number | undefined): { ConditionExpression: string; ExpressionAttributeValues?: Record<string, unknown> } {
  if (expected === undefined) return { ConditionExpression: 'attribute_not_exists(pk)' };
  if (expected === 0) return { ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(version)' };
  return { ConditionExpression: 'version = :expectedVersion', ExpressionAttributeValues: { ':expectedVersion': expected } };
}

/** The condition that the user item exists under this credential epoch (absent: a user from before epochs). */
export function userEpochCondition(epoch: string | undefined): { expression: string; values: Record<string, unknown> } {
  return epoch === undefined
    ? { expression: 'attribute_exists(pk) AND attribute_not_exists(credentialEpoch)', values: {} }
    : { expression: 'credentialEpoch = :credentialEpoch', values: { ':credentialEpoch': epoch } };
}

/**
 * For updates of single attributes of the user item (a credential's marker): they bump the
 * version too, so a whole-item write based on an earlier read cannot erase them.
 */
export const BUMP_USER_VERSION = {
  expression: 'version = if_not_exists(version, :versionZero) + :versionOne',
  values: { ':versionZero': 0, ':versionOne': 1 },
} as const;

/** R25: billed per user while enabled for MFA and not licensed. */
const isBillable = (u: User | undefined): boolean => u !== undefined && u.mfaEnabled && !u.licensed;

/** The condition that the stored user is (or is not) billable, as `isBillable` reads it. */
function billableCondition(billable: boolean): { expression: string; values: Record<string, unknown> } {
  const expression = 'mfaEnabled = :billingTrue AND (attribute_not_exists(licensed) OR licensed = :billingFalse)';
  return { expression: billable ? `(${expression})` : `NOT (${expression})`, values: { ':billingTrue': true, ':billingFalse': false } };
}

/** The tenant an item stores, without the billing run's own marks on it (`usersCounted`, `usersCountedFrom`). */
function tenantOf(item: Record<string, unknown> | undefined): Tenant | undefined {
  if (!item) return undefined;
  const { usersCounted: _counted, usersCountedFrom: _from, ...rest } = item;
  return maybeRecordOf<Tenant>(rest);
}

/** Tenants, their provider, settings and API keys, and their users, in the tenants table. */
/** Counts of a tenant's users tried by one seed before it says `busy` (users changed during every count). */
const SEED_ATTEMPTS = 6;

export class DynamoTenantStore implements TenantStore, UserStore, UserBatchReader, UserCounterSeeder {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
    /** Dates a user's deletion for billing (R25); other writes carry their own time. */
    private readonly clock: Clock = { now: () => Date.now() },
    /** Told after every write of a tenant's item or API keys: this container's cached reads of them are stale. */
    private readonly onTenantChanged?: (tenantId: string) => void,
  ) {}

  /** A write of the tenant's item or keys, then `onTenantChanged` (whether or not it succeeded). */
  private async write(tenantId: string, command: TransactWriteCommand | UpdateCommand | PutCommand): Promise<void> {
    try {
      // One of the document client's overloads per command class; the output is not used.
      await (this.db.send as (c: typeof command) => Promise<unknown>).call(this.db, command);
    } finally {
      this.onTenantChanged?.(tenantId);
    }
  }

  async createTenant(tenant: Tenant, apiKeys: readonly ApiKeyRecord[]): Promise<void> {
    const put = (item: Record<string, unknown>) => ({
      Put: { TableName: this.tableName, Item: item, ConditionExpression: 'attribute_not_exists(pk)' },
    });
    await this.write(tenant.tenantId, 
      new TransactWriteCommand({
        TransactItems: [
          // The tenant index: the billing run lists tenants with one Query, never a Scan (R26).
          // `usersCounted`: the per-user billing counters hold all of this tenant's users (R25).
          put({ ...tenantKeys.tenant(tenant.tenantId), gsi1pk: billingKeys.tenantIndex, gsi1sk: tenant.tenantId, usersCounted: true, ...tenant }),
          ...(tenant.provider ? [put({ ...tenantKeys.providerHistory(tenant.tenantId, tenant.provider), ...tenant.provider })] : []),
          ...apiKeys.map((k) => put(this.keyItem(k))),
        ],
      }),
    );
  }

  async getTenant(tenantId: string): Promise<Tenant | undefined> {
    return tenantOf(await this.getItem(tenantKeys.tenant(tenantId)));
  }

  async getKeyAndTenant(tenantId: string, keyId: string): Promise<{ key?: ApiKeyRecord; tenant?: Tenant }> {
    const keyKey = tenantKeys.apiKey(tenantId, keyId);
    const tenantKey = tenantKeys.tenant(tenantId);
    const out = await this.db.send(
      new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys: [keyKey, tenantKey], ConsistentRead: true } } }),
    );
    let items = out.Responses?.[this.tableName] ?? [];
    // BatchGetItem may return keys unprocessed under load; read those one by one.
    for (const key of (out.UnprocessedKeys?.[this.tableName]?.Keys ?? []) as { pk: string; sk: string }[]) {
      const item = await this.getItem(key);
      if (item) items = [...items, item];
    }
    const key = maybeRecordOf<ApiKeyRecord>(items.find((i) => i.pk === keyKey.pk));
    const tenant = tenantOf(items.find((i) => i.pk === tenantKey.pk && i.sk === tenantKey.sk));
    return { ...(key ? { key } : {}), ...(tenant ? { tenant } : {}) };
  }

  async setProvider(
    tenantId: string,
    provider: Provider | undefined,
    expectedGeneration: number,
    removed?: { readonly provider: Provider; readonly at: string },
  ): Promise<boolean> {
    const update = {
      TableName: this.tableName,
      Key: tenantKeys.tenant(tenantId),
      ConditionExpression: 'attribute_exists(pk) AND providerGeneration = :expected',
      ...(provider
        ? {
            UpdateExpression: 'SET provider = :provider, providerGeneration = :generation',
            ExpressionAttributeValues: { ':expected': expectedGeneration, ':provider': provider, ':generation': provider.generation },
          }
        : { UpdateExpression: 'REMOVE provider', ExpressionAttributeValues: { ':expected': expectedGeneration } }),
    };
    try {
      await this.write(tenantId, 
        new TransactWriteCommand({
          TransactItems: [
            { Update: update },
            // The history of providers is what a month's bill is made from (R17, R26).
            ...(provider ? [{ Put: { TableName: this.tableName, Item: { ...tenantKeys.providerHistory(tenantId, provider), ...provider } } }] : []),
            // A deletion closes the provider's period: the months after it no longer bill it.
            ...(removed
              ? [
                  {
                    Update: {
                      TableName: this.tableName,
                      Key: tenantKeys.providerHistory(tenantId, removed.provider),
                      UpdateExpression: 'SET deletedAt = :at',
                      ExpressionAttributeValues: { ':at': removed.at },
                    },
                  },
                ]
              : []),
          ],
        }),
      );
      return true;
    } catch (error) {
      if ((error as { name?: string }).name === 'TransactionCanceledException') return false;
      throw error;
    }
  }

  async setSettings(tenantId: string, settings: TenantSettings, encryptedWebhookSecret?: string | null): Promise<void> {
    const secret =
      encryptedWebhookSecret === undefined
        ? { expression: '', values: {} }
        : encryptedWebhookSecret === null
          ? { expression: ' REMOVE encryptedWebhookSecret', values: {} }
          : { expression: ', encryptedWebhookSecret = :secret', values: { ':secret': encryptedWebhookSecret } };
    await this.write(tenantId, 
      new UpdateCommand({
        TableName: this.tableName,
        Key: tenantKeys.tenant(tenantId),
        ConditionExpression: 'attribute_exists(pk)',
        UpdateExpression: `SET settings = :settings${secret.expression}`,
        ExpressionAttributeValues: { ':settings': settings, ...secret.values },
      }),
    );
  }

  async setCaps(tenantId: string, caps: TenantCaps): Promise<boolean> {
    try {
      await this.write(tenantId, 
        new UpdateCommand({
          TableName: this.tableName,
          Key: tenantKeys.tenant(tenantId),
          ConditionExpression: 'attribute_exists(pk)',
          UpdateExpression: 'SET caps = :caps',
          ExpressionAttributeValues: { ':caps': caps },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async setCallerIds(tenantId: string, callerIds: readonly string[], expectedCallerId: string | undefined, clearCallerId: boolean): Promise<boolean> {
    // Only the callerId inside the settings is touched, and only if it is still the one read: a
    // settings write racing this one is neither lost nor left with a number just taken away.
    try {
      await this.write(tenantId, 
        new UpdateCommand({
          TableName: this.tableName,
          Key: tenantKeys.tenant(tenantId),
          ConditionExpression:
            expectedCallerId === undefined
              ? 'attribute_exists(pk) AND attribute_not_exists(settings.callerId)'
              : 'attribute_exists(pk) AND settings.callerId = :expectedCallerId',
          UpdateExpression: `SET callerIds = :callerIds${clearCallerId ? ' REMOVE settings.callerId' : ''}`,
          ExpressionAttributeValues: {
            ':callerIds': [...callerIds],
            ...(expectedCallerId === undefined ? {} : { ':expectedCallerId': expectedCallerId }),
          },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async putApiKey(key: ApiKeyRecord): Promise<void> {
    await this.write(key.tenantId, 
      new PutCommand({ TableName: this.tableName, Item: this.keyItem(key), ConditionExpression: 'attribute_not_exists(pk)' }),
    );
  }

  async updateApiKey(tenantId: string, keyId: string, change: { revokedAt?: string; expiresAt?: string }): Promise<boolean> {
    const fields = Object.entries(change).filter(([, v]) => v !== undefined);
    try {
      await this.write(tenantId, 
        new UpdateCommand({
          TableName: this.tableName,
          Key: tenantKeys.apiKey(tenantId, keyId),
          ConditionExpression: 'attribute_exists(pk) AND tenantId = :tenantId',
          UpdateExpression: `SET ${fields.map(([k]) => `${k} = :${k}`).join(', ')}`,
          ExpressionAttributeValues: { ':tenantId': tenantId, ...Object.fromEntries(fields.map(([k, v]) => [`:${k}`, v])) },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async listApiKeys(tenantId: string): Promise<ApiKeyRecord[]> {
    const items: ApiKeyRecord[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.db.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: 'gsi1',
          KeyConditionExpression: 'gsi1pk = :pk',
          ExpressionAttributeValues: { ':pk': tenantKeys.apiKeyList(tenantId) },
          ExclusiveStartKey: start,
        }),
      );
      items.push(...(out.Items ?? []).map((i) => recordOf<ApiKeyRecord>(i)));
      start = out.LastEvaluatedKey;
    } while (start);
    return items;
  }

  async putUser(scope: UserScope, user: User, expectedVersion?: number): Promise<UserWrite> {
    const version = (expectedVersion ?? 0) + 1;
    const at = user.updatedAt || new Date(this.clock.now()).toISOString();
    const item = { pk: tenantKeys.users(scope), sk: user.userId, ...user, version };
    const current = userVersionCondition(expectedVersion);
    const written = { Put: { TableName: this.tableName, Item: item, ...current } };
    if (expectedVersion === undefined && isBillable(user)) return this.writeWithBilling(scope, [written], undefined, user, at, version);
    // Most writes leave the user as billable as it was: one Put, conditional on that too.
    const same = expectedVersion === undefined ? undefined : billableCondition(isBillable(user));
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: item,
          ConditionExpression: same ? `(${current.ConditionExpression}) AND ${same.expression}` : current.ConditionExpression,
          ...(current.ExpressionAttributeValues || same ? { ExpressionAttributeValues: { ...current.ExpressionAttributeValues, ...same?.values } } : {}),
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { kind: 'written', version };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      const stored = (error as ConditionalCheckFailedException).Item;
      const before = stored ? unmarshall(stored) : undefined;
      if (!before || expectedVersion === undefined || (before.version ?? 0) !== expectedVersion) return { kind: 'changed' };
      // At the version expected, but on the other side of billable: the counters change with it.
      return this.writeWithBilling(scope, [written], recordOf<User>(before), user, at, version);
    }
  }

  /**
   * The user's writes and its billing records (`billingWrites`) in one transaction. When the
   * month's mark appears between the read and the write (a racing write saw the user billable
   * this month), the records are planned again; a change of the user itself answers `changed`.
   */
  private async writeWithBilling(scope: UserScope, writes: TransactItem[], before: User | undefined, after: User, at: string, version: number): Promise<UserWrite> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const outcome = await transact(this.db, [...writes, ...(await this.billingWrites(scope, before, after, at))]);
      if (outcome.kind === 'done') return { kind: 'written', version };
      if (outcome.index < writes.length) return { kind: 'changed' };
    }
    return { kind: 'changed' };
  }

  async getUser(scope: UserScope, userId: string): Promise<User | undefined> {
    return maybeRecordOf<User>(await this.getItem({ pk: tenantKeys.users(scope), sk: userId }));
  }

  /** BatchGetItem, 100 keys a request (strongly consistent, as getUser), retrying what DynamoDB leaves unprocessed. */
  async getUsers(scope: UserScope, userIds: readonly string[]): Promise<Map<string, User>> {
    const found = new Map<string, User>();
    const pk = tenantKeys.users(scope);
    for (let i = 0; i < userIds.length; i += 100) {
      let keys: Record<string, unknown>[] | undefined = [...new Set(userIds.slice(i, i + 100))].map((sk) => ({ pk, sk }));
      for (let attempt = 0; keys?.length; attempt++) {
        if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 20 * 2 ** attempt)));
        const out: BatchGetCommandOutput = await this.db.send(new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys: keys, ConsistentRead: true } } }));
        for (const item of out.Responses?.[this.tableName] ?? []) {
          const user = recordOf<User>(item);
          found.set(user.userId, user);
        }
        keys = out.UnprocessedKeys?.[this.tableName]?.Keys;
      }
    }
    return found;
  }

  /**
   * R25: what changes beside a user item whose user becomes billable (enabled for MFA and not
   * licensed) or stops being billable at `at`: the writes to put in the user item's own
   * transaction, conditional on the version the change was planned from, so each change is
   * counted once however many admins or jobs race on the user. Nothing when billability stays.
   * - becoming billable: the month's counter +1 (`d`), and +1 new user of the month (`n`) unless
   *   the user was billable earlier in it (it then left, and leaving marked the month: the
   *   mark is checked in the transaction); the user joins the enabled set.
   * - stopping: the month's counter −1; the user leaves the set. Every month since it joined is
   *   marked first: a mark only states that the user was billable in that month, true whether
   *   or not the transaction then succeeds.
   * A month without changes needs nothing: its users are those billable at its start.
   * Called by every user write (putUser, the credential store's delete and reset).
   */
  async billingWrites(scope: UserScope, before: User | undefined, after: User | undefined, at: string): Promise<TransactItem[]> {
    const joins = isBillable(after);
    const userId = (after ?? before)?.userId;
    if (joins === isBillable(before) || userId === undefined) return [];
    const month = monthOf(Date.parse(at));
    const sk = billingKeys.user(scope.space, userId);
    const member = { pk: billingKeys.enabledSet(scope.tenantId), sk };
    const mark = { pk: billingKeys.monthlyUsers(scope.tenantId, month), sk };
    const counter = (delta: number, fresh: boolean): TransactItem => ({
      Update: {
        TableName: this.tableName,
        Key: billingKeys.userCounter(scope.tenantId, month, randomInt(USER_COUNTER_SHARDS)),
        // `changes` ticks on every write: the seed (`seedUserCounters`) tells by it that no user changed while it counted.
        UpdateExpression: fresh ? 'ADD #delta :delta, #fresh :one, changes :tick' : 'ADD #delta :delta, changes :tick',
        ExpressionAttributeNames: { '#delta': billingKeys.userDelta(scope.space), ...(fresh ? { '#fresh': billingKeys.userNew(scope.space) } : {}) },
        ExpressionAttributeValues: { ':delta': delta, ':tick': 1, ...(fresh ? { ':one': 1 } : {}) },
      },
    });
    if (joins) {
      const join: TransactItem = { Put: { TableName: this.tableName, Item: { ...member, space: scope.space, userId, enabledSince: at } } };
      // Marks are never removed: one seen now needs no check.
      if (await this.getItem(mark)) return [join, counter(1, false)];
      return [join, { ConditionCheck: { TableName: this.tableName, Key: mark, ConditionExpression: 'attribute_not_exists(pk)' } }, counter(1, true)];
    }
    const stored = await this.getItem(member);
    const since = typeof stored?.enabledSince === 'string' && stored.enabledSince < at ? stored.enabledSince : at;
    const months = monthsBetween(monthOf(Date.parse(since)), month);
    for (let i = 0; i < months.length; i += 25) {
      let requests: Record<string, unknown>[] = months.slice(i, i + 25).map((m) => ({
        PutRequest: { Item: { pk: billingKeys.monthlyUsers(scope.tenantId, m), sk, space: scope.space, userId } },
      }));
      while (requests.length > 0) {
        const out = await this.db.send(new BatchWriteCommand({ RequestItems: { [this.tableName]: requests } }));
        requests = (out.UnprocessedItems?.[this.tableName] ?? []) as Record<string, unknown>[];
      }
    }
    return [{ Delete: { TableName: this.tableName, Key: member } }, counter(-1, false)];
  }

  /**
   * R25: seeds the counters of a tenant from before them (no `usersCounted` mark), once. Every
   * user write since the counters exist added its ±1 to `d` in the same transaction that changed
   * the enabled set, so (users in the set) − (sum of every `d`) is the same at every instant: the
   * users billable before the counters, which they never saw. That base is measured at one
   * instant: the counters are read, the set is counted (consistent Query), the counters are read
   * again; only if no counter item changed in between (each write ticks `changes`; read-committed
   * reads are enough, since a set change is visible only with its counter's) did no user change
   * while the set was counted. Then one transaction adds the base to this month's `d` and sets the
   * mark, conditional on the mark being absent, so a seed run twice or twice at once adds it once.
   * The counters bill from next month: this month's `n` missed the users who became billable in it
   * before the counters existed, so this month is still billed from the recount.
   */
  async seedUserCounters(tenantId: string, month: string): Promise<SeedOutcome> {
    const tenant = await this.getItem(tenantKeys.tenant(tenantId));
    if (!tenant || tenant.usersCounted === true) return { kind: 'already' };
    const from = monthOf(Date.parse(monthRange(month).end));
    for (let attempt = 0; attempt < SEED_ATTEMPTS; attempt++) {
      if (attempt > 0) await sleep(Math.min(2000, 50 * 2 ** attempt));
      const before = await this.counterItems(tenantId);
      const members = await queryAll(this.db, {
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': billingKeys.enabledSet(tenantId) },
        ProjectionExpression: '#space',
        ExpressionAttributeNames: { '#space': 'space' },
        ConsistentRead: true,
      });
      const after = await this.counterItems(tenantId);
      if (!isDeepStrictEqual(before, after)) continue;
      const base: Record<string, number> = {};
      for (const m of members) base[String(m.space)] = (base[String(m.space)] ?? 0) + 1;
      for (const item of after) {
        for (const [name, value] of Object.entries(item)) if (name.startsWith('d:')) base[name.slice(2)] = (base[name.slice(2)] ?? 0) - Number(value);
      }
      const spaces = Object.entries(base).filter(([, n]) => n !== 0);
      const outcome = await transact(this.db, [
        {
          Update: {
            TableName: this.tableName,
            Key: tenantKeys.tenant(tenantId),
            UpdateExpression: 'SET usersCounted = :counted, usersCountedFrom = :from',
            ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(usersCounted)',
            ExpressionAttributeValues: { ':counted': true, ':from': from },
          },
        },
        ...(spaces.length
          ? [
              {
                Update: {
                  TableName: this.tableName,
                  Key: billingKeys.userCounter(tenantId, month, 0),
                  UpdateExpression: `ADD ${spaces.map((_, i) => `#d${i} :d${i}`).join(', ')}`,
                  ExpressionAttributeNames: Object.fromEntries(spaces.map(([space], i) => [`#d${i}`, billingKeys.userDelta(space)])),
                  ExpressionAttributeValues: Object.fromEntries(spaces.map(([, n], i) => [`:d${i}`, n])),
                },
              },
            ]
          : []),
      ]);
      if (outcome.kind !== 'done') return { kind: 'already' };
      return { kind: 'seeded', from, base: Object.fromEntries(spaces) };
    }
    return { kind: 'busy' };
  }

  /** Every per-user counter item of the tenant, every month (a few hundred bytes each). */
  private async counterItems(tenantId: string): Promise<Record<string, unknown>[]> {
    return queryAll(this.db, {
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': billingKeys.userCounter(tenantId, '', 0).pk, ':prefix': billingKeys.userCounterPrefix },
      ConsistentRead: true,
    });
  }

  /** One page of users, in user-id order; filters apply within the page, so a page may be short. */
  async listUsers(scope: UserScope, query: UserQuery): Promise<Page<User>> {
    const pk = tenantKeys.users(scope);
    const filters: string[] = [];
    const values: Record<string, unknown> = { ':pk': pk };
    if (query.mfaEnabled !== undefined) {
      filters.push('mfaEnabled = :mfa');
      values[':mfa'] = query.mfaEnabled;
    }
    if (query.blocked !== undefined) filters.push(query.blocked ? 'attribute_exists(blocked)' : 'attribute_not_exists(blocked)');
    if (query.prefix) values[':prefix'] = query.prefix;
    const out = await this.db.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: query.prefix ? 'pk = :pk AND begins_with(sk, :prefix)' : 'pk = :pk',
        ...(filters.length ? { FilterExpression: filters.join(' AND ') } : {}),
        ExpressionAttributeValues: values,
        Limit: query.limit,
        ExclusiveStartKey: decodeCursor(query.cursor, { name: 'pk', value: pk }),
      }),
    );
    const cursor = encodeCursor(out.LastEvaluatedKey);
    return { items: (out.Items ?? []).map((i) => recordOf<User>(i)), ...(cursor ? { cursor } : {}) };
  }

  private keyItem(k: ApiKeyRecord): Record<string, unknown> {
    return { ...tenantKeys.apiKey(k.tenantId, k.keyId), gsi1pk: tenantKeys.apiKeyList(k.tenantId), gsi1sk: `${k.createdAt}#${k.keyId}`, ...k };
  }

  private async getItem(key: { pk: string; sk: string }): Promise<Record<string, unknown> | undefined> {
    const out = await this.db.send(new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true }));
    return out.Item;
  }
}
