import { JOB_BATCH_ROWS } from '../../rules';
import type { Clock, JobRun, JobStore, ObjectStore, TenantStore, UserBatchReader, UserScope, UserStore } from '../../ports';
import { csvParser } from '../csv';
import { parseOathCsv } from '../otp/oath-import';
import type { OathTokenService } from '../otp/oath-tokens';
import type { Principal, Tenant } from '../types';
import { importUserRecords } from '../user-import';
import type { UserService } from '../users';
import { readText, type JobCompleter } from './completer';
import { importCell, quotedField } from './csv';
import { jobObjects } from './keys';
import { ObjectChangedError, type BatchRange, type JobCounts, type JobRecord, type JobReportLine } from './records';

/** What a batch did: `skipped` when its job is no longer running (cancelled) or gone. */
export type BatchOutcome = { readonly kind: 'done'; readonly counts: JobCounts; readonly recorded: boolean } | { readonly kind: 'skipped' };

/** Why a job whose upload was replaced after its start failed. */
export const FILE_REPLACED = 'The uploaded file was replaced after the job started, so it is not the file that was checked and cut into batches; batches after that imported nothing. Create a new job for the file you mean.';

type Row = { readonly line: number; readonly record: Record<string, string> };

/** The job's own principal: the tenant as it is now, acting as an admin (the job was created with an admin key). */
const jobPrincipal = (job: JobRecord, tenant: Tenant): Principal => ({ tenantId: job.tenantId, keyId: job.jobId, keyName: 'bulk job', scope: 'admin', tenant });

/**
 * R19/R22 bulk jobs, as their batches run them (the same code on AWS, where a Step Functions
 * Distributed Map invokes the batch handler, and locally, where a small driver does): one batch
 * reads its byte range of the file, imports its rows, writes its part of the report and adds its
 * counts once; the last step is the JobCompleter's (./completer.ts). Every write a row makes is conditional and idempotent, so a
 * batch that crashed and runs again changes nothing more.
 */
export class JobWorker {
  constructor(
    private readonly deps: {
      jobs: JobStore;
      objects: ObjectStore;
      tenants: TenantStore;
      users: UserService;
      userStore: UserStore & UserBatchReader;
      tokens: OathTokenService;
      completer: JobCompleter;
      clock: Clock;
    },
  ) {}

  async runBatch(run: JobRun, range: BatchRange): Promise<BatchOutcome> {
    const job = await this.deps.jobs.get(run.tenantId, run.jobId);
    // Cancel stops further batches: each looks at its job first, and starts only while it runs; a
    // batch started before the cancel (a retry of it now) finishes, so rows it wrote are counted.
    if (!job || (job.state !== 'running' && job.state !== 'cancelled') || job.kind === 'user-export') return { kind: 'skipped' };
    if (!(await this.deps.jobs.startBatch(job.tenantId, job.jobId, range.batch))) return { kind: 'skipped' };
    let text: string;
    try {
      text = await readText(this.deps.objects, jobObjects.upload(job.tenantId, job.jobId), range, job.fileEtag);
    } catch (error) {
      if (!(error instanceof ObjectChangedError)) throw error;
      // The upload URL was used again after the start: these are not the bytes the manifest was
      // cut from. The job fails here, once; no batch reads the new file, and the report says so.
      await this.deps.jobs.transition(job.tenantId, job.jobId, ['running'], 'failed', { error: FILE_REPLACED, at: this.now() });
      return { kind: 'skipped' };
    }
    const tenant = await this.deps.tenants.getTenant(job.tenantId);
    let lines: JobReportLine[];
    if (!tenant || tenant.provider?.userSpace !== job.space) {
      lines = (await this.records(run.header, text, range)).map((r) => ('errors' in r ? r : { line: r.line, status: 'error', errors: [{ detail: 'The tenant’s MFA provider changed after the job was created; nothing was imported' }] }));
    } else if (job.kind === 'user-import') {
      lines = await this.importUsers(job, jobPrincipal(job, tenant), run.header, text, range);
    } else {
      lines = await this.importTokens(jobPrincipal(job, tenant), run.header, text, range);
    }
    lines.sort((a, b) => a.line - b.line);
    await this.deps.objects.write(jobObjects.reportPart(job.tenantId, job.jobId, range.batch), lines.map((l) => `${JSON.stringify(l)}\n`), 'application/x-ndjson');
    const counts = countsOf(lines);
    const recorded = await this.deps.jobs.recordBatch(job.tenantId, job.jobId, range.batch, counts, this.now());
    // Cancelled while this batch ran, and its run stopped (on AWS the report is then written at
    // once, while this batch may still run): its rows are in the job's counts, so they go in the
    // report too, written again from every part there is. Always: a report being written right now
    // (not there yet) may have listed the parts before this one was written.
    const now = await this.deps.jobs.get(job.tenantId, job.jobId);
    if (now?.state === 'cancelled') await this.deps.completer.complete(run);
    return { kind: 'done', counts, recorded };
  }

  private async importUsers(job: JobRecord, principal: Principal, header: readonly string[], text: string, range: BatchRange): Promise<JobReportLine[]> {
    const parsed = await this.records(header, text, range);
    const rows = parsed.filter((r): r is Row => 'record' in r);
    const scope: UserScope = { tenantId: job.tenantId, space: job.space };
    // One BatchGetItem per 100 rows instead of one GetItem per row.
    const stored = await this.deps.userStore.getUsers(
      scope,
      rows.map((r) => importCell(r.record.userId ?? '')).filter((id) => /^[A-Za-z0-9._@+-]{1,128}$/.test(id)),
    );
    const results = await importUserRecords({ users: this.deps.users, store: this.deps.userStore }, principal, rows.map((r) => ({ row: r.line, record: r.record })), async (userId) => stored.get(userId));
    return [
      ...parsed.filter((r): r is Extract<JobReportLine, { status: 'error' }> => !('record' in r)),
      ...results.map((r): JobReportLine => (r.status === 'error' ? { line: r.row, ...(r.userId ? { id: r.userId } : {}), status: 'error', errors: r.errors } : { line: r.row, id: r.userId, status: r.status })),
    ];
  }

  private async importTokens(principal: Principal, header: readonly string[], text: string, range: BatchRange): Promise<JobReportLine[]> {
    // The token parser reads a file with its header: line 2 of that text is the batch's first line.
    const shift = range.firstLine - 2;
    const rows = await parseOathCsv(`${header.map(quotedField).join(',')}\n${text}`);
    const results = await this.deps.tokens.importRows(principal, rows);
    return results.map((r): JobReportLine => {
      const line = r.row + shift;
      if (r.status === 'error') return { line, ...(r.serial ? { id: r.serial } : {}), status: 'error', errors: [{ detail: r.detail }] };
      return { line, id: r.serial, status: r.status === 'imported' ? 'created' : 'exists' };
    });
  }

  /** The batch's records as rows of named fields; a record that cannot be read is its own error line. */
  private async records(header: readonly string[], text: string, range: BatchRange): Promise<(Row | Extract<JobReportLine, { status: 'error' }>)[]> {
    const { parse } = await csvParser();
    const out: (Row | Extract<JobReportLine, { status: 'error' }>)[] = [];
    const records = parse(text, {
      relax_column_count: true,
      info: true,
      trim: true,
      skip_empty_lines: true,
      skip_records_with_error: true,
      on_skip: (error) => {
        const lines = (error as { lines?: number } | undefined)?.lines ?? 1;
        out.push({ line: range.firstLine - 1 + lines, status: 'error', errors: [{ detail: 'The record is not valid CSV (an unclosed quote?); the rest of this batch could not be read' }] });
      },
    }) as unknown as { record: string[]; info: { lines: number } }[];
    let taken = 0;
    for (const { record, info } of records) {
      const line = range.firstLine - 1 + info.lines;
      // The cut counts records by its own quote rule; should the parser read the range as more
      // records than a batch holds, the rest is refused, so no file gets past the row limit.
      if (++taken > JOB_BATCH_ROWS) {
        out.push({ line, status: 'error', errors: [{ detail: `The batch holds more than ${JOB_BATCH_ROWS} records (a stray quote?); this record and the rest of the batch were not imported` }] });
        break;
      }
      if (record.length !== header.length) {
        out.push({ line, status: 'error', errors: [{ detail: `The record has ${record.length} fields; the header has ${header.length}` }] });
        continue;
      }
      out.push({ line, record: Object.fromEntries(header.map((name, i) => [name, record[i] ?? ''])) });
    }
    return out;
  }

  private now(): string {
    return new Date(this.deps.clock.now()).toISOString();
  }
}

function countsOf(lines: readonly JobReportLine[]): JobCounts {
  const count = (status: JobReportLine['status']) => lines.filter((l) => l.status === status).length;
  return { rows: lines.length, created: count('created'), updated: count('updated'), unchanged: count('unchanged') + count('exists'), failed: count('error') };
}
