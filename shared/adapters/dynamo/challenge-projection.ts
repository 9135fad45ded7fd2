import { BatchGetCommand, PutCommand, type BatchGetCommandOutput, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { setTimeout as sleep } from 'node:timers/promises';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { Audit, UsageIncrement } from '../../ports';
import { billedUnitItem, logLineItem, usageCountItem, type AuditTables } from './audit';
import { billingKeys } from './billing-store';
import { auditsOfItem } from './challenge-audits';
import { monthOf } from '../../domain/billing';
import { transact, type TransactItem } from './transact';

/** One change of a challenge item as the table's stream delivers it (NEW_AND_OLD_IMAGES). */
export interface ChallengeChange {
  readonly sequenceNumber: string;
  readonly newImage?: Record<string, unknown>;
  readonly oldImage?: Record<string, unknown>;
}

/** A record of a DynamoDB stream as Lambda and GetRecords hand it over (images in DynamoDB JSON). */
export interface StreamRecord {
  readonly dynamodb?: {
    readonly SequenceNumber?: string;
    /** When the change was made: epoch seconds in Lambda's event, a Date from GetRecords. */
    readonly ApproximateCreationDateTime?: number | Date;
    readonly NewImage?: Record<string, unknown>;
    readonly OldImage?: Record<string, unknown>;
  };
}

export interface StreamBatchResult {
  readonly batchItemFailures: { readonly itemIdentifier: string }[];
}

/** The error log line of a batch whose write failed (retried); the alarms count it. */
export const PROJECTION_FAILED = 'challenge projection failed; the batch is retried';
/** The error log line of a record whose images cannot be read (skipped); the alarms count it. */
export const PROJECTION_SKIPPED = 'challenge projection skipped a record it cannot read';

/** DynamoDB's limit on the writes of one transaction. */
const MAX_TRANSACTION_ITEMS = 100;

/**
 * The audits a change brings: those on the new image that the old image did not carry (a change
 * without audits of its own leaves the previous change's on the item). A deleted item (TTL) brings none.
 */
export function auditsOfChange(change: ChallengeChange): Audit[] {
  const before = new Set(auditsOfItem(change.oldImage).map((a) => a.log.logId));
  return auditsOfItem(change.newImage).filter((a) => !before.has(a.log.logId));
}

/**
 * An attribute value as the stream hands it over. The DynamoDB Streams SDK client reads an empty
 * map (`{"M":{}}`) as `{}`, which `unmarshall` refuses: it is read back as the empty map.
 */
function attributeValue(value: unknown): AttributeValue {
  const v = value as Record<string, unknown>;
  if (Object.keys(v).length === 0) return { M: {} };
  if (v.M) return { M: Object.fromEntries(Object.entries(v.M as Record<string, unknown>).map(([k, x]) => [k, attributeValue(x)])) };
  if (Array.isArray(v.L)) return { L: v.L.map(attributeValue) };
  return v as unknown as AttributeValue;
}

export function changeOfRecord(record: StreamRecord): ChallengeChange {
  const image = (i: Record<string, unknown> | undefined) =>
    i ? unmarshall(Object.fromEntries(Object.entries(i).map(([k, v]) => [k, attributeValue(v)]))) : undefined;
  const newImage = image(record.dynamodb?.NewImage);
  const oldImage = image(record.dynamodb?.OldImage);
  return { sequenceNumber: record.dynamodb?.SequenceNumber ?? '', ...(newImage ? { newImage } : {}), ...(oldImage ? { oldImage } : {}) };
}

/**
 * R23/R24 from the Challenges table's stream: every change of a challenge carries its audits
 * (`challenge-audits.ts`); this writes each audit's auth-log line, usage counts and billing meter,
 * exactly once however often and in whatever grouping the stream delivers it.
 *
 * Exactly once: an audit's log line (its key a pure function of the line, `logLineItem`) is put
 * on the condition that it does not exist yet, in the same transaction as the counter increments
 * of the audits it goes with. A line already there means its counts were added by the transaction
 * that put it: that audit is dropped and the rest written again. So a record delivered twice,
 * records of several shards in any order, a batch cut differently on retry, or a consumer that died
 * anywhere in a batch all end with each line once and each count added once. This needs no
 * position per stream shard (Lambda does not tell a handler which shard a batch came from).
 * Counts of one batch are summed per counter before they are written.
 */
export class ChallengeProjection {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tables: Pick<AuditTables, 'logsTable' | 'usageTable'>,
  ) {}

  /**
   * Projects a batch of one shard, in its order. Returns the index of the first change not
   * projected when a write failed (everything before it is done), or undefined when all are.
   */
  async project(changes: readonly ChallengeChange[]): Promise<{ failedAt?: number; error?: unknown }> {
    const audits = changes.map(auditsOfChange);
    let start = 0;
    while (start < changes.length) {
      // Changes in order, as many as one transaction holds with their lines and counters.
      const chunk: Audit[] = [];
      const counters = new Set<string>();
      let end = start;
      while (end < changes.length) {
        const next = audits[end] as Audit[];
        const keys = new Set([...counters, ...next.flatMap(counterKeysOf)]);
        if (chunk.length > 0 && chunk.length + next.length + keys.size > MAX_TRANSACTION_ITEMS) break;
        chunk.push(...next);
        for (const k of keys) counters.add(k);
        end++;
      }
      try {
        await this.write(chunk);
      } catch (error) {
        return { failedAt: start, error };
      }
      start = end;
    }
    return {};
  }

  /** One transaction: the lines not yet written and every count they bring; lines already written are dropped. */
  private async write(audits: readonly Audit[]): Promise<void> {
    // A record delivered twice in one batch brings its audits twice: one transaction names an item once.
    let pending = [...new Map(audits.map((a) => [a.log.logId, a])).values()];
    while (pending.length > 0) {
      const items = this.itemsOf(pending);
      const outcome = await transact(this.db, items);
      if (outcome.kind === 'done') return;
      // Only the lines are conditional, and they come first.
      if (outcome.index >= pending.length) throw new Error('A projection counter refused its update');
      // A batch delivered again: read which of its lines are there, rather than learn it one transaction at a time.
      const written = await this.writtenLines(pending);
      const failed = (pending[outcome.index] as Audit).log.logId;
      pending = pending.filter((a) => a.log.logId !== failed && !written.has(a.log.logId));
    }
  }

  /**
   * R24: a change it could not read is marked in the usage table (`billingKeys.skippedChanges` of
   * the month it was made in), so the billing run holds that month back until an operator has dealt
   * with it, rather than bill it short. A plain put of what is only ever the same item: idempotent.
   */
  async markSkipped(skips: readonly { sequenceNumber: string; at: number; error: string }[]): Promise<void> {
    for (const skip of skips) {
      await this.db.send(
        new PutCommand({
          TableName: this.tables.usageTable,
          Item: { pk: billingKeys.skippedChanges(monthOf(skip.at)), sk: skip.sequenceNumber, at: new Date(skip.at).toISOString(), error: skip.error },
        }),
      );
    }
  }

  /** The log ids of those audits whose line is already written (strongly consistent). */
  private async writtenLines(audits: readonly Audit[]): Promise<Set<string>> {
    const found = new Set<string>();
    let keys: Record<string, unknown>[] | undefined = audits.map((a) => {
      const { pk, sk } = logLineItem(this.tables, a.log).Item;
      return { pk, sk };
    });
    for (let attempt = 0; keys && keys.length > 0; attempt++) {
      if (attempt > 0) await sleep(Math.min(1000, 20 * 2 ** attempt));
      const out: BatchGetCommandOutput = await this.db.send(
        new BatchGetCommand({ RequestItems: { [this.tables.logsTable]: { Keys: keys, ConsistentRead: true, ProjectionExpression: 'logId' } } }),
      );
      for (const item of out.Responses?.[this.tables.logsTable] ?? []) if (typeof item.logId === 'string') found.add(item.logId);
      keys = out.UnprocessedKeys?.[this.tables.logsTable]?.Keys;
    }
    return found;
  }

  private itemsOf(audits: readonly Audit[]): TransactItem[] {
    const lines: TransactItem[] = audits.map((a) => ({ Put: { ...logLineItem(this.tables, a.log), ConditionExpression: 'attribute_not_exists(pk)' } }));
    // Counts of the batch summed per counter (the ids of `counterKeysOf`), then one update each.
    const usage = new Map<string, UsageIncrement>();
    const meter = new Map<string, { tenantId: string; month: string; providerId: string; delta: number }>();
    for (const audit of audits) {
      for (const u of audit.usage) {
        const id = `U#${u.tenantId}#${u.day}#${u.method}#${u.result}`;
        usage.set(id, { ...u, delta: (usage.get(id)?.delta ?? 0) + u.delta });
        // R24: the billing meter mirrors each `sent` count (a failed delivery takes it back).
        if (u.result === 'sent' && audit.billedTo !== undefined) {
          const month = u.day.slice(0, 7);
          const key = `B#${u.tenantId}#${month}#${audit.billedTo}`;
          meter.set(key, { tenantId: u.tenantId, month, providerId: audit.billedTo, delta: (meter.get(key)?.delta ?? 0) + u.delta });
        }
      }
    }
    const counters: TransactItem[] = [
      ...[...usage.values()].filter((u) => u.delta !== 0).map((u) => usageCountItem(this.tables, u)),
      ...[...meter.values()].filter((m) => m.delta !== 0).map((m) => billedUnitItem(this.tables, m.tenantId, m.month, m.providerId, m.delta)),
    ];
    return [...lines, ...counters];
  }
}

/** The counters an audit adds to (to size a transaction): usage per day, method and result; the meter per month and provider. */
function counterKeysOf(audit: Audit): string[] {
  return audit.usage.flatMap((u) => [
    `U#${u.tenantId}#${u.day}#${u.method}#${u.result}`,
    ...(u.result === 'sent' && audit.billedTo !== undefined ? [`B#${u.tenantId}#${u.day.slice(0, 7)}#${audit.billedTo}`] : []),
  ]);
}

/**
 * A stream batch (one shard, in order) through the projection, as Lambda's event source with
 * ReportBatchItemFailures expects: the first record not projected is reported, and the batch is
 * delivered again from there (everything before it is written). The local runtime's stream
 * poller calls this too.
 */
export async function projectStreamBatch(
  projection: ChallengeProjection,
  records: readonly StreamRecord[],
  onError?: (error: unknown) => void,
  onUnreadable?: (sequenceNumber: string, error: unknown) => void,
): Promise<StreamBatchResult> {
  const skips: { sequenceNumber: string; at: number; error: string }[] = [];
  const changes = records.map((record) =>
    readableChange(record, (sequenceNumber, error) => {
      skips.push({ sequenceNumber, at: createdAt(record), error: error instanceof Error ? error.name : 'unknown' });
      onUnreadable?.(sequenceNumber, error);
    }),
  );
  if (skips.length > 0) {
    try {
      await projection.markSkipped(skips);
    } catch (error) {
      // Nothing of the batch is written yet: all of it is delivered again.
      onError?.(error);
      return { batchItemFailures: [{ itemIdentifier: (changes[0] as ChallengeChange).sequenceNumber }] };
    }
  }
  const outcome = await projection.project(changes);
  if (outcome.failedAt === undefined) return { batchItemFailures: [] };
  onError?.(outcome.error);
  return { batchItemFailures: [{ itemIdentifier: (changes[outcome.failedAt] as ChallengeChange).sequenceNumber }] };
}

/** When a record's change was made (epoch ms), as the stream says; now when it does not. */
function createdAt(record: StreamRecord): number {
  const at = record.dynamodb?.ApproximateCreationDateTime;
  if (at instanceof Date && Number.isFinite(at.getTime())) return at.getTime();
  if (typeof at === 'number' && Number.isFinite(at)) return at * 1000;
  return Date.now();
}

/**
 * A record's change, or, when its images or the audits on them cannot be read (a bug, or an item
 * written by hand), none: that record is skipped, reported (`onUnreadable`: an error log line
 * the alarms count) and marked for the billing run (`markSkipped`) rather than block its shard,
 * since delivering it again cannot change it. A failed write is not skipped: it is retried
 * (`projectStreamBatch`).
 */
function readableChange(record: StreamRecord, onUnreadable: (sequenceNumber: string, error: unknown) => void): ChallengeChange {
  const sequenceNumber = record.dynamodb?.SequenceNumber ?? '';
  try {
    const change = changeOfRecord(record);
    for (const audit of auditsOfChange(change)) checkAudit(audit);
    return change;
  } catch (error) {
    onUnreadable(sequenceNumber, error);
    return { sequenceNumber };
  }
}

/** An audit read back from an image is written as is: what a write would refuse, or count as NaN, is refused here. */
function checkAudit(audit: Audit): void {
  const { log } = audit;
  const text = (v: unknown) => typeof v === 'string' && v !== '';
  if (!text(log.logId) || !text(log.time) || !text(log.userId) || !text(log.event) || !text(log.result)) throw new Error('An audit line lacks its id, time, user, event or result');
  for (const u of audit.usage) {
    if (!Number.isFinite(u.delta) || !/^\d{4}-\d{2}-\d{2}$/.test(u.day) || !text(u.method) || !text(u.result)) throw new Error('An audit count is malformed');
  }
}
