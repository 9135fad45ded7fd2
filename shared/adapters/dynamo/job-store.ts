import { GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { JobCounts, JobRecord, JobState } from '../../domain/jobs/records';
import type { JobStore } from '../../ports';
import { isConditionFailure } from './errors';
import { maybeRecordOf } from './items';
import { transact } from './transact';

/**
 * Item layout of jobs in the tenants table:
 * - job        JOBS#<tenantId>          / <jobId>
 * - its batch  JOB#<tenantId>#<jobId>   / BATCH#<n>   (written once: a batch run again adds nothing)
 * Both keys start with the tenant, so a job is only ever found under its own tenant (R27).
 */
export const jobKeys = {
  job: (tenantId: string, jobId: string) => ({ pk: `JOBS#${tenantId}`, sk: jobId }),
  batch: (tenantId: string, jobId: string, batch: number) => ({ pk: `JOB#${tenantId}#${jobId}`, sk: `BATCH#${String(batch).padStart(7, '0')}` }),
};

const COUNTS: readonly (keyof JobCounts)[] = ['rows', 'created', 'updated', 'unchanged', 'failed'];
const TERMINAL: readonly JobState[] = ['succeeded', 'failed', 'cancelled'];

export class DynamoJobStore implements JobStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async create(job: JobRecord): Promise<void> {
    await this.db.send(new PutCommand({ TableName: this.tableName, Item: { ...jobKeys.job(job.tenantId, job.jobId), ...job }, ConditionExpression: 'attribute_not_exists(pk)' }));
  }

  async get(tenantId: string, jobId: string): Promise<JobRecord | undefined> {
    const out = await this.db.send(new GetCommand({ TableName: this.tableName, Key: jobKeys.job(tenantId, jobId), ConsistentRead: true }));
    if (!out.Item) return undefined;
    const { startedBatches: _started, ...item } = out.Item;
    return maybeRecordOf<JobRecord>(item);
  }

  /** A number set on the job item (a few KiB for 2,000 batches): one conditional UpdateItem decides, against the job's state, once. */
  async startBatch(tenantId: string, jobId: string, batch: number): Promise<boolean> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: jobKeys.job(tenantId, jobId),
          UpdateExpression: 'ADD startedBatches :batches',
          ConditionExpression: 'attribute_exists(pk) AND (#state = :running OR contains(startedBatches, :batch))',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: { ':batches': new Set([batch]), ':running': 'running', ':batch': batch },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async transition(tenantId: string, jobId: string, from: readonly JobState[], to: JobState, change: { total?: number; fileEtag?: string; error?: string; at: string }): Promise<boolean> {
    const sets = ['#state = :to', 'updatedAt = :at'];
    const values: Record<string, unknown> = { ':to': to, ':at': change.at };
    if (change.total !== undefined) {
      sets.push('batches.#total = :total');
      values[':total'] = change.total;
    }
    if (change.fileEtag !== undefined) {
      sets.push('fileEtag = :etag');
      values[':etag'] = change.fileEtag;
    }
    if (change.error !== undefined) {
      sets.push('#error = :error');
      values[':error'] = change.error;
    }
    if (TERMINAL.includes(to)) sets.push('finishedAt = :at');
    from.forEach((state, i) => (values[`:from${i}`] = state));
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: jobKeys.job(tenantId, jobId),
          UpdateExpression: `SET ${sets.join(', ')}`,
          ConditionExpression: `attribute_exists(pk) AND #state IN (${from.map((_, i) => `:from${i}`).join(', ')})`,
          ExpressionAttributeNames: { '#state': 'state', ...(change.total !== undefined ? { '#total': 'total' } : {}), ...(change.error !== undefined ? { '#error': 'error' } : {}) },
          ExpressionAttributeValues: values,
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async recordBatch(tenantId: string, jobId: string, batch: number, counts: JobCounts, at: string): Promise<boolean> {
    const outcome = await transact(this.db, [
      { Put: { TableName: this.tableName, Item: { ...jobKeys.batch(tenantId, jobId, batch), ...counts, at }, ConditionExpression: 'attribute_not_exists(pk)' } },
      {
        Update: {
          TableName: this.tableName,
          Key: jobKeys.job(tenantId, jobId),
          UpdateExpression: `SET updatedAt = :at ADD batches.done :one, ${COUNTS.map((c) => `counts.#${c} :${c}`).join(', ')}`,
          ConditionExpression: 'attribute_exists(pk)',
          // `rows` is a reserved word.
          ExpressionAttributeNames: Object.fromEntries(COUNTS.map((c) => [`#${c}`, c])),
          ExpressionAttributeValues: { ':at': at, ':one': 1, ...Object.fromEntries(COUNTS.map((c) => [`:${c}`, counts[c]])) },
        },
      },
    ]);
    return outcome.kind === 'done';
  }
}
