import type { Clock, JobRun, JobStore, ObjectStore, UserScope, UserStore } from '../../ports';
import type { User } from '../types';
import { IMPORT_COLUMNS } from '../user-import';
import { toInput } from '../users';
import { exportField } from './csv';
import { jobObjects } from './keys';
import { NO_COUNTS, type BatchRange, type JobRecord } from './records';

/**
 * R19/R22: a bulk job's last step (the job-complete handler, and a batch that finds its job
 * cancelled): an import's report from its batches' parts, or an export's CSV, and the job's final
 * state. Apart from the batches' JobWorker because it imports no rows: the step that runs it needs
 * neither the user and token services nor the parsers and the phone-number library they use.
 */
export class JobCompleter {
  constructor(private readonly deps: { jobs: JobStore; objects: ObjectStore; userStore: Pick<UserStore, 'listUsers'>; clock: Clock }) {}

  /**
   * The last step: an import's report from its batches' parts in file order (a batch that never
   * ran is named in it), or an export's CSV; then the job's final state. A cancelled job keeps its
   * state and gets the report of what ran.
   */
  async complete(run: JobRun): Promise<void> {
    const job = await this.deps.jobs.get(run.tenantId, run.jobId);
    // Run again (a retry of this step) after the job ended: nothing to do. A cancelled job, and one
    // that failed while its batches ran (its file replaced), still get the report of what ran.
    if (!job || job.state === 'succeeded') return;
    if (job.state === 'failed' && (await this.deps.objects.size(jobObjects.report(job.tenantId, job.jobId))) !== undefined) return;
    if (job.kind === 'user-export') {
      const scope: UserScope = { tenantId: job.tenantId, space: job.space };
      let rows = 0;
      await this.deps.objects.write(jobObjects.export(job.tenantId, job.jobId), this.exportLines(scope, () => rows++), 'text/csv');
      await this.deps.jobs.recordBatch(job.tenantId, job.jobId, 0, { ...NO_COUNTS, rows, unchanged: rows }, this.now());
      await this.deps.jobs.transition(job.tenantId, job.jobId, ['running'], 'succeeded', { total: 1, at: this.now() });
      return;
    }
    const ranges = JSON.parse(await readText(this.deps.objects, jobObjects.manifest(job.tenantId, job.jobId))) as BatchRange[];
    // A batch writes its part before it is counted, so parts listed after reading `done` include
    // every batch counted by then. A batch of a cancelled job may still finish while the report is
    // written (or two reports are written at once): whichever write lands last, it is written
    // again until no batch was counted meanwhile, so the last report holds every counted batch.
    let missing: BatchRange[];
    for (let read = job; ; ) {
      missing = [];
      await this.deps.objects.write(jobObjects.report(job.tenantId, job.jobId), this.reportLines(read, ranges, missing), 'application/x-ndjson');
      const again = await this.deps.jobs.get(job.tenantId, job.jobId);
      if (!again || again.batches.done === read.batches.done) break;
      read = again;
    }
    const after = await this.deps.jobs.get(job.tenantId, job.jobId);
    if (!after || after.state !== 'running') return;
    if (missing.length === 0 && after.batches.done >= ranges.length) {
      await this.deps.jobs.transition(job.tenantId, job.jobId, ['running'], 'succeeded', { at: this.now() });
    } else {
      // A batch with no part did not finish; it may have written some rows before it crashed.
      const error = `${missing.length} of ${ranges.length} batches did not finish (first at line ${missing[0]?.firstLine ?? '?'}); they may have partly run: import their rows again (a row already written is unchanged)`;
      await this.deps.jobs.transition(job.tenantId, job.jobId, ['running'], 'failed', { error, at: this.now() });
    }
  }

  private async *reportLines(job: JobRecord, ranges: readonly BatchRange[], missing: BatchRange[]): AsyncIterable<Uint8Array | string> {
    for (const range of ranges) {
      const key = jobObjects.reportPart(job.tenantId, job.jobId, range.batch);
      if ((await this.deps.objects.size(key)) === undefined) {
        missing.push(range);
        const detail =
          job.state === 'cancelled'
            ? 'The job was cancelled before this batch ran'
            : job.state === 'failed' && job.error
              ? `This batch did not finish and may have partly run: ${job.error}`
              : 'This batch did not finish and may have partly run: import its rows again (a row already written is unchanged)';
        yield `${JSON.stringify({ line: range.firstLine, status: 'error', errors: [{ detail: `${detail} (the batch from line ${range.firstLine})` }] })}\n`;
        continue;
      }
      yield* this.deps.objects.read(key);
    }
  }

  /** Every user of the space, in the columns of an import, so an export imports back unchanged; formula-like cells defused (`exportField`). */
  private async *exportLines(scope: UserScope, counted: () => void): AsyncIterable<string> {
    yield `${IMPORT_COLUMNS.join(',')}\n`;
    let cursor: string | undefined;
    do {
      const page = await this.deps.userStore.listUsers(scope, { limit: 1000, ...(cursor ? { cursor } : {}) });
      yield page.items.map((u) => (counted(), `${exportRow(u).map(exportField).join(',')}\n`)).join('');
      cursor = page.cursor;
    } while (cursor);
  }

  private now(): string {
    return new Date(this.deps.clock.now()).toISOString();
  }
}

/** An object's bytes (or a range of them, as long as it is still the version `ifMatch` names) as text. */
export async function readText(objects: ObjectStore, key: string, range?: BatchRange, ifMatch?: string): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of objects.read(key, range ? { start: range.start, end: range.end } : undefined, ifMatch)) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks).toString('utf8');
}

function exportRow(user: User): string[] {
  const input = toInput(user);
  const values: Record<(typeof IMPORT_COLUMNS)[number], string> = {
    userId: user.userId,
    firstName: input.firstName ?? '',
    lastName: input.lastName ?? '',
    email: input.email ?? '',
    phone: input.phones.primary ?? '',
    backupPhones: (input.phones.backup ?? []).join(';'),
    officePhone: input.phones.office ?? '',
    mfaEnabled: String(input.mfaEnabled),
    licensed: String(input.licensed ?? false),
    defaultMethod: input.defaultMethod ?? '',
  };
  return IMPORT_COLUMNS.map((c) => values[c]);
}
