import { LOG_RETENTION_DAYS } from '../../rules';
import { createHash, randomInt } from 'node:crypto';
import type { AuthLogEntry } from '../../domain/types';
import type { Audit, CounterName, UsageIncrement } from '../../ports';
import { billingKeys } from './billing-store';
import type { TransactItem } from './transact';
import { throttleItems, type SubjectKey } from './throttle-store';


export interface AuditTables {
  readonly logsTable: string;
  readonly usageTable: string;
  readonly throttleTable: string;
  /** Keys the throttle counters of phone numbers (R28). */
  readonly throttleKey?: SubjectKey;
  /** Told of the audits of every change once its transaction commits (metrics count what the log holds). */
  readonly onCommitted?: (audits: readonly Audit[]) => void;
}

/**
 * Auth-log lines of one tenant are spread over this many partitions (R23 at scale). A DynamoDB
 * partition takes about 1,000 write units a second, and a time-ordered sort key sends every new
 * line to the end of its partition, so adaptive capacity cannot split that load: one key caps a
 * tenant at ~1,000 lines/s, or ~500 while each line is written inside a transaction (2 write units
 * per item up to 1 KB). 32 shards × 1,000 = 32,000 write units/s: 16,000 transactional lines/s or
 * 32,000 plain puts, ≥ 10,000 lines/s (the largest per-second cap the operator can give a tenant,
 * MAX_TENANT_CAP_PER_SECOND) with room for lines over 1 KB and for an uneven spread (at 10,000
 * lines/s a shard takes 312 ± 18 a second). Reading costs one Query per shard per page round.
 */
export const LOG_SHARDS = 32;

/** A line's shard: a hash of its logId, so writing the same line twice writes the same item. */
export function logShardOf(logId: string): number {
  return createHash('sha256').update(logId).digest().readUInt32BE(0) % LOG_SHARDS;
}

const shardTag = (shard: number) => String(shard).padStart(2, '0');

/**
 * Key layout of the logs table (pk/sk, gsi1 for one user's lines):
 * - auth log     AUTH#<tenantId>#<shard> / <ISO time>#<logId>    gsi1: AUTH#<tenantId>#<shard>#USER#<userId>
 * - notification NOTE#<tenantId> / <ISO time>#<id>
 * <shard> is two digits, `logShardOf(logId)`. Time-ordered sort keys make "newest first in a time
 * range" one Query per shard, merged by sort key (R23); the logId makes every sort key unique
 * across a tenant's shards. gsi1 is sharded the same way: one user id takes every line logged
 * under it, refused attempts for an id that names no user included, bounded only by the tenant's
 * request cap, and a hot index partition throttles the writes of the table behind it. Lines
 * written before sharding sit under the unsharded keys (`legacy…`) until their TTL (90 days); the
 * log query reads those keys too. Usage counters live in the usage table under
 * <tenantId>#<YYYY-MM> / <YYYY-MM-DD>#<method>#<result>.
 */
export const logKeys = {
  tenant: (tenantId: string, shard: number) => `AUTH#${tenantId}#${shardTag(shard)}`,
  user: (tenantId: string, userId: string, shard: number) => `AUTH#${tenantId}#${shardTag(shard)}#USER#${userId}`,
  /** Every partition of a tenant's log, in shard order, the unsharded one of older lines last. */
  tenantPartitions: (tenantId: string) => [...shards().map((s) => logKeys.tenant(tenantId, s)), logKeys.legacyTenant(tenantId)],
  userPartitions: (tenantId: string, userId: string) => [...shards().map((s) => logKeys.user(tenantId, userId, s)), logKeys.legacyUser(tenantId, userId)],
  legacyTenant: (tenantId: string) => `AUTH#${tenantId}`,
  legacyUser: (tenantId: string, userId: string) => `AUTH#${tenantId}#USER#${userId}`,
  notifications: (tenantId: string) => `NOTE#${tenantId}`,
  usage: (tenantId: string, month: string) => `${tenantId}#${month}`,
};

const shards = () => Array.from({ length: LOG_SHARDS }, (_, s) => s);

/**
 * The one item of an auth-log line, as every writer puts it (in a transaction or not): a pure
 * function of the line, so a projection that writes a line twice writes the same item.
 */
export function logLineItem(tables: Pick<AuditTables, 'logsTable'>, log: AuthLogEntry): { TableName: string; Item: Record<string, unknown> } {
  const sk = `${log.time}#${log.logId}`;
  const shard = logShardOf(log.logId);
  return {
    TableName: tables.logsTable,
    Item: {
      ...log,
      pk: logKeys.tenant(log.tenantId, shard),
      sk,
      gsi1pk: logKeys.user(log.tenantId, log.userId, shard),
      gsi1sk: sk,
      ttl: retentionTtl(log.time),
    },
  };
}

/** Usage counters are spread over this many items per day, method and result. */
export const USAGE_SHARDS = 10;

export const retentionTtl = (isoTime: string): number => Math.floor(Date.parse(isoTime) / 1000) + LOG_RETENTION_DAYS * 86_400;

/**
 * The writes that go with a change — throttle updates first, then the log line and each usage
 * count — for one transaction, with the limit each position stands for if its condition fails.
 */
export async function auditItems(tables: AuditTables, audit: Audit): Promise<{ items: TransactItem[]; refusals: (CounterName | 'user_log_changed' | undefined)[] }> {
  const throttle = await throttleItems(tables.throttleTable, audit.throttle, tables.throttleKey);
  const rest = logAndUsageItems(tables, audit);
  return { items: [...throttle.items, ...rest], refusals: [...throttle.refusals, ...rest.map(() => undefined)] };
}

function logAndUsageItems(tables: AuditTables, audit: Audit): TransactItem[] {
  return [
    { Put: logLineItem(tables, audit.log) },
    ...audit.usage.map((u) => usageCountItem(tables, u)),
    // R24: the billing meter mirrors each `sent` count (a failed delivery takes it back), in the
    // same transaction, so billed units can never drift from the usage report.
    ...audit.usage
      .filter((u) => u.result === 'sent' && audit.billedTo !== undefined)
      .map((u) => billedUnitItem(tables, u.tenantId, u.day.slice(0, 7), audit.billedTo as string, u.delta)),
  ];
}

/** One usage count added to its day × method × result counter (a random shard of it). */
export function usageCountItem(tables: Pick<AuditTables, 'usageTable'>, u: UsageIncrement): TransactItem {
  return {
    Update: {
      TableName: tables.usageTable,
      // Sharded: one counter item in every transaction of a tenant would make them all
      // conflict with each other (TransactionConflict); readers add the shards up.
      Key: { pk: logKeys.usage(u.tenantId, u.day.slice(0, 7)), sk: `${u.day}#${u.method}#${u.result}#${randomInt(USAGE_SHARDS)}` },
      UpdateExpression: 'ADD #count :delta SET #day = :day, #method = :method, #result = :result',
      ExpressionAttributeNames: { '#count': 'count', '#day': 'day', '#method': 'method', '#result': 'result' },
      ExpressionAttributeValues: { ':delta': u.delta, ':day': u.day, ':method': u.method, ':result': u.result },
    },
  };
}

/** Billed units added to the month's meter of one provider (a random shard of it). */
export function billedUnitItem(tables: Pick<AuditTables, 'usageTable'>, tenantId: string, month: string, providerId: string, delta: number): TransactItem {
  return {
    Update: {
      TableName: tables.usageTable,
      Key: { pk: billingKeys.monthlyAuths(tenantId, month), sk: billingKeys.auths(providerId, randomInt(USAGE_SHARDS)) },
      UpdateExpression: 'ADD #count :delta SET providerId = :provider',
      ExpressionAttributeNames: { '#count': 'count' },
      ExpressionAttributeValues: { ':delta': delta, ':provider': providerId },
    },
  };
}
