import { LOG_RETENTION_DAYS } from '../../rules';
import { randomInt } from 'node:crypto';
import type { Audit, CounterName } from '../../ports';
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
 * Key layout of the logs table (pk/sk, gsi1 for one user's lines):
 * - auth log     AUTH#<tenantId> / <ISO time>#<logId>       gsi1: AUTH#<tenantId>#USER#<userId>
 * - notification NOTE#<tenantId> / <ISO time>#<id>
 * Time-ordered sort keys make "newest first in a time range" one Query (R23). Usage counters
 * live in the usage table under <tenantId>#<YYYY-MM> / <YYYY-MM-DD>#<method>#<result>.
 */
export const logKeys = {
  tenant: (tenantId: string) => `AUTH#${tenantId}`,
  user: (tenantId: string, userId: string) => `AUTH#${tenantId}#USER#${userId}`,
  notifications: (tenantId: string) => `NOTE#${tenantId}`,
  usage: (tenantId: string, month: string) => `${tenantId}#${month}`,
};

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
  const { log } = audit;
  const sk = `${log.time}#${log.logId}`;
  return [
    {
      Put: {
        TableName: tables.logsTable,
        Item: {
          pk: logKeys.tenant(log.tenantId),
          sk,
          gsi1pk: logKeys.user(log.tenantId, log.userId),
          gsi1sk: sk,
          ttl: retentionTtl(log.time),
          ...log,
        },
      },
    },
    ...audit.usage.map(
      (u): TransactItem => ({
        Update: {
          TableName: tables.usageTable,
          // Sharded: one counter item in every transaction of a tenant would make them all
          // conflict with each other (TransactionConflict); readers add the shards up.
          Key: { pk: logKeys.usage(u.tenantId, u.day.slice(0, 7)), sk: `${u.day}#${u.method}#${u.result}#${randomInt(USAGE_SHARDS)}` },
          UpdateExpression: 'ADD #count :delta SET #day = :day, #method = :method, #result = :result',
          ExpressionAttributeNames: { '#count': 'count', '#day': 'day', '#method': 'method', '#result': 'result' },
          ExpressionAttributeValues: { ':delta': u.delta, ':day': u.day, ':method': u.method, ':result': u.result },
        },
      }),
    ),
    // R24: the billing meter mirrors each `sent` count (a failed delivery takes it back), in the
    // same transaction, so billed units can never drift from the usage report.
    ...audit.usage
      .filter((u) => u.result === 'sent' && audit.billedTo !== undefined)
      .map(
        (u): TransactItem => ({
          Update: {
            TableName: tables.usageTable,
            Key: { pk: billingKeys.monthlyAuths(u.tenantId, u.day.slice(0, 7)), sk: billingKeys.auths(audit.billedTo as string, randomInt(USAGE_SHARDS)) },
            UpdateExpression: 'ADD #count :delta SET providerId = :provider',
            ExpressionAttributeNames: { '#count': 'count' },
            ExpressionAttributeValues: { ':delta': u.delta, ':provider': audit.billedTo },
          },
        }),
      ),
  ];
}
