import { QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { BillingStore, BillingTenant, MonthlyMeter, ProviderPeriod } from '../../ports';
import type { Provider } from '../../domain/types';

/**
 * Billing items (R24–R26), all read by Query, one tenant at a time:
 * - tenant index     (tenants table, gsi1)  TENANTS / <tenantId>                 on the tenant item
 * - enabled set      (tenants table)        BILLSET#<tenantId> / <space>#<userId>  enabledSince
 *   a user is in it while enabled for MFA and not licensed; leaving it marks every month since
 * - monthly users    (tenants table)        BILLUSER#<tenantId>#<YYYY-MM> / <space>#<userId>
 * - monthly auths    (usage table)          BILL#<tenantId>#<YYYY-MM> / AUTH#<providerId>#<shard>
 *   written in the transaction of the challenge change, beside the usage counter it mirrors
 */
export const billingKeys = {
  tenantIndex: 'TENANTS',
  enabledSet: (tenantId: string) => `BILLSET#${tenantId}`,
  monthlyUsers: (tenantId: string, month: string) => `BILLUSER#${tenantId}#${month}`,
  user: (space: string, userId: string) => `${space}#${userId}`,
  monthlyAuths: (tenantId: string, month: string) => `BILL#${tenantId}#${month}`,
  auths: (providerId: string, shard: number) => `AUTH#${providerId}#${shard}`,
};

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
          ProjectionExpression: 'tenantId, #name',
          ExpressionAttributeNames: { '#name': 'name' },
          ExclusiveStartKey: start,
        }),
      );
      yield (out.Items ?? []).map((i) => ({ tenantId: String(i.tenantId), name: String(i.name) }));
      start = out.LastEvaluatedKey;
    } while (start);
  }

  async providerHistory(tenantId: string): Promise<ProviderPeriod[]> {
    const items = await this.queryAll({
      TableName: this.tables.tenantsTable,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': `TENANT#${tenantId}`, ':prefix': 'PROVIDER#' },
    });
    return items.map((i) => {
      const { pk: _pk, sk: _sk, deletedAt, ...provider } = i;
      return { provider: provider as unknown as Provider, ...(typeof deletedAt === 'string' ? { deletedAt } : {}) };
    });
  }

  async meter(tenantId: string, month: string, end: string): Promise<MonthlyMeter> {
    const [auths, marked, enabled] = await Promise.all([
      this.queryAll({
        TableName: this.tables.usageTable,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': billingKeys.monthlyAuths(tenantId, month) },
      }),
      this.queryAll({
        TableName: this.tables.tenantsTable,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': billingKeys.monthlyUsers(tenantId, month) },
      }),
      // Still in the set, and in it since before the month ended: enabled at its end (or now).
      this.queryAll({
        TableName: this.tables.tenantsTable,
        KeyConditionExpression: 'pk = :pk',
        FilterExpression: 'enabledSince < :end',
        ExpressionAttributeValues: { ':pk': billingKeys.enabledSet(tenantId), ':end': end },
      }),
    ]);
    const authentications: Record<string, number> = {};
    for (const i of auths) authentications[String(i.providerId)] = (authentications[String(i.providerId)] ?? 0) + Number(i.count);
    const seen = new Set<string>();
    const users: Record<string, number> = {};
    for (const i of [...marked, ...enabled]) {
      if (seen.has(String(i.sk))) continue;
      seen.add(String(i.sk));
      users[String(i.space)] = (users[String(i.space)] ?? 0) + 1;
    }
    return { authentications, users };
  }

  private async queryAll(input: ConstructorParameters<typeof QueryCommand>[0]): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.db.send(new QueryCommand({ ...input, ExclusiveStartKey: start }));
      items.push(...(out.Items ?? []));
      start = out.LastEvaluatedKey;
    } while (start);
    return items;
  }
}
