import { QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { BillingStore, BillingTenant, ProviderPeriod, TenantMonth } from '../../ports';
import { monthRange } from '../../domain/billing';
import type { Provider } from '../../domain/types';
import { queryAll } from './pages';

/**
 * Billing items (R24–R26):
 * - tenant index     (tenants table, gsi1)  TENANTS / <tenantId>                 on the tenant item
 * - user counters    (tenants table)        TENANT#<tenantId> / BILLCOUNT#<YYYY-MM>#<shard>
 *   per user space `d:<space>` (users who became billable minus users who stopped, that month)
 *   and `n:<space>` (users who became billable that month and had not been billable earlier in
 *   it); a month's users are the sum of `d` over the months before it plus its own `n`
 * - enabled set      (tenants table)        BILLSET#<tenantId> / <space>#<userId>  enabledSince
 *   a user is in it while enabled for MFA and not licensed; leaving it marks every month since
 * - monthly users    (tenants table)        BILLUSER#<tenantId>#<YYYY-MM> / <space>#<userId>
 * - monthly auths    (usage table)          BILL#<tenantId>#<YYYY-MM> / AUTH#<providerId>#<shard>
 *   written in the transaction of the challenge change, beside the usage counter it mirrors
 * The counters sit in the tenant's own partition beside its provider history, so one Query
 * reads both. The set and the marks are the per-user record the counters are checked against
 * (`recountUsers`); the run itself never reads them.
 */
export const billingKeys = {
  /** Beginning of every user counter's sort key (`BILLCOUNT#<YYYY-MM>#<shard>`). */
  userCounterPrefix: 'BILLCOUNT#',
  tenantIndex: 'TENANTS',
  enabledSet: (tenantId: string) => `BILLSET#${tenantId}`,
  monthlyUsers: (tenantId: string, month: string) => `BILLUSER#${tenantId}#${month}`,
  user: (space: string, userId: string) => `${space}#${userId}`,
  monthlyAuths: (tenantId: string, month: string) => `BILL#${tenantId}#${month}`,
  auths: (providerId: string, shard: number) => `AUTH#${providerId}#${shard}`,
  /** R24: changes of the month the challenge projection could not read (usage table; sort key the stream sequence number). */
  skippedChanges: (month: string) => `SKIPPED#${month}`,
  userCounter: (tenantId: string, month: string, shard: number) => ({ pk: `TENANT#${tenantId}`, sk: `${COUNTER_PREFIX}${month}#${shard}` }),
  /** Counter attributes of a user space: net change (`d`) and newly billable users (`n`). */
  userDelta: (space: string) => `d:${space}`,
  userNew: (space: string) => `n:${space}`,
};

const COUNTER_PREFIX = 'BILLCOUNT#';
const PROVIDER_PREFIX = 'PROVIDER#';

/**
 * Items each month's user counter is spread over: bulk imports add to it from many writers at
 * once, and transactions touching one item at the same time conflict. The run reads them all.
 */
export const USER_COUNTER_SHARDS = 8;

/** The billing run's reads, from the tenants and usage tables. */
export class DynamoBillingStore implements BillingStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tables: { readonly tenantsTable: string; readonly usageTable: string },
  ) {}

  async *tenantPages(): AsyncIterable<BillingTenant[]> {
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.db.send(
        new QueryCommand({
          TableName: this.tables.tenantsTable,
          IndexName: 'gsi1',
          KeyConditionExpression: 'gsi1pk = :pk',
          ExpressionAttributeValues: { ':pk': billingKeys.tenantIndex },
          ProjectionExpression: 'tenantId, #name, usersCounted, usersCountedFrom',
          ExpressionAttributeNames: { '#name': 'name' },
          ExclusiveStartKey: start,
        }),
      );
      yield (out.Items ?? []).map((i) => ({
        tenantId: String(i.tenantId),
        name: String(i.name),
        ...(i.usersCounted === true ? { usersCounted: true } : {}),
        ...(typeof i.usersCountedFrom === 'string' ? { usersCountedFrom: i.usersCountedFrom } : {}),
      }));
      start = out.LastEvaluatedKey;
    } while (start);
  }

  /**
   * One Query of the tenant's partition, from its counters (`BILLCOUNT#…`) to its provider
   * history (`PROVIDER#…`). The items read grow with the months of history (a few hundred bytes
   * each, and a filter cannot name the sort key: the months after `month` are read and skipped),
   * never with users.
   */
  async tenantMonth(tenantId: string, month: string): Promise<TenantMonth> {
    const items = await queryAll(this.db, {
      TableName: this.tables.tenantsTable,
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
      ExpressionAttributeValues: { ':pk': `TENANT#${tenantId}`, ':from': COUNTER_PREFIX, ':to': `${PROVIDER_PREFIX}\uffff` },
    });
    // Every shard of `month` sorts before this, every later month after it.
    const after = `${COUNTER_PREFIX}${month}#~`;
    const periods: ProviderPeriod[] = [];
    const users: Record<string, number> = {};
    for (const item of items) {
      const sk = String(item.sk);
      if (sk.startsWith(PROVIDER_PREFIX)) {
        const { pk: _pk, sk: _sk, deletedAt, ...provider } = item;
        periods.push({ provider: provider as unknown as Provider, ...(typeof deletedAt === 'string' ? { deletedAt } : {}) });
        continue;
      }
      if (!sk.startsWith(COUNTER_PREFIX) || sk > after) continue;
      // A month's users: billable at its start (every change before it) plus those it added.
      const current = sk.startsWith(`${COUNTER_PREFIX}${month}#`);
      for (const [name, value] of Object.entries(item)) {
        const space = name.startsWith('d:') && !current ? name.slice(2) : name.startsWith('n:') && current ? name.slice(2) : undefined;
        if (space !== undefined) users[space] = (users[space] ?? 0) + Number(value);
      }
    }
    return { periods, users };
  }

  async authentications(tenantId: string, month: string): Promise<Record<string, number>> {
    const auths = await queryAll(this.db, {
      TableName: this.tables.usageTable,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': billingKeys.monthlyAuths(tenantId, month) },
    });
    const authentications: Record<string, number> = {};
    for (const i of auths) authentications[String(i.providerId)] = (authentications[String(i.providerId)] ?? 0) + Number(i.count);
    return authentications;
  }

  async skippedChanges(month: string): Promise<string[]> {
    const out = await this.db.send(
      new QueryCommand({
        TableName: this.tables.usageTable,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': billingKeys.skippedChanges(month) },
        ProjectionExpression: 'sk',
        Limit: 10,
        ConsistentRead: true,
      }),
    );
    return (out.Items ?? []).map((i) => String(i.sk));
  }

  /** The month's marks plus the set's members that joined before the month ended; O(users). */
  async recountUsers(tenantId: string, month: string): Promise<Record<string, number>> {
    const { end } = monthRange(month);
    const [marked, enabled] = await Promise.all([
      queryAll(this.db, {
        TableName: this.tables.tenantsTable,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': billingKeys.monthlyUsers(tenantId, month) },
      }),
      // Still in the set, and in it since before the month ended: enabled at its end (or now).
      queryAll(this.db, {
        TableName: this.tables.tenantsTable,
        KeyConditionExpression: 'pk = :pk',
        FilterExpression: 'enabledSince < :end',
        ExpressionAttributeValues: { ':pk': billingKeys.enabledSet(tenantId), ':end': end },
      }),
    ]);
    const seen = new Set<string>();
    const users: Record<string, number> = {};
    for (const i of [...marked, ...enabled]) {
      if (seen.has(String(i.sk))) continue;
      seen.add(String(i.sk));
      users[String(i.space)] = (users[String(i.space)] ?? 0) + 1;
    }
    return users;
  }
}
