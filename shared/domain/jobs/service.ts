import { JOB_BATCH_ROWS, JOB_LIMITS, JOB_URL_TTL_SECONDS } from '../../rules';
import type { Clock, JobRunner, JobStore, Log, ObjectStore, ObjectUrl } from '../../ports';
import { randomId } from '../crypto';
import { ConflictError, NotFoundError, PayloadTooLargeError, ValidationError } from '../errors';
import { parseOathCsv } from '../otp/oath-import';
import type { Principal } from '../types';
import { checkUserImportHeader } from '../user-import';
import { userScope } from '../users';
import { jobObjects } from './keys';
import { scanCsv, type Manifest } from './manifest';
import { NO_COUNTS, ObjectChangedError, type ImportKind, type JobKind, type JobRecord } from './records';

/** What an admin sees of a job. */
export type JobView = Omit<JobRecord, 'tenantId' | 'space' | 'fileEtag'>;

export const jobView = ({ tenantId: _t, space: _s, fileEtag: _e, ...rest }: JobRecord): JobView => rest;

/** The CSV header a job of this kind needs (R19: a userId column; R22: serial, secret, interval). */
async function checkHeader(kind: ImportKind, header: readonly string[]): Promise<void> {
  if (kind === 'user-import') checkUserImportHeader(header);
  // The token parser checks a header on its own: a file of just the header has no rows.
  else await parseOathCsv(`${header.map((h) => `"${h.replace(/"/g, '""')}"`).join(',')}\n`);
}

/**
 * R19/R22 bulk jobs, as the admin drives them: create one (an upload URL for an import), start
 * it once the file is up, poll it, cancel it, fetch its report or export. Every call takes the
 * tenant from the caller's key and finds only that tenant's jobs (R27).
 */
export class JobService {
  constructor(private readonly deps: { jobs: JobStore; objects: ObjectStore; runner: JobRunner; clock: Clock; log: Log }) {}

  /** An import waits for its file (upload URL signed for exactly `bytes`); an export starts at once. */
  async create(principal: Principal, input: { kind: JobKind; bytes?: number | undefined }): Promise<{ job: JobView; upload?: ObjectUrl }> {
    const { space } = userScope(principal);
    const at = this.now();
    const jobId = randomId('job');
    const base = { tenantId: principal.tenantId, jobId, kind: input.kind, space, batches: { total: 0, done: 0 }, counts: NO_COUNTS, createdAt: at, updatedAt: at };
    if (input.kind === 'user-export') {
      const job: JobRecord = { ...base, state: 'running' };
      await this.deps.jobs.create(job);
      // No file, no batches: the Map reads an empty manifest and the complete step writes the export.
      await this.deps.objects.write(jobObjects.manifest(job.tenantId, job.jobId), ['[]'], 'application/json');
      await this.startRun(job, []);
      return { job: jobView(job) };
    }
    const limits = JOB_LIMITS[input.kind];
    if (input.bytes === undefined) throw new ValidationError('An import needs the size of its file', [{ pointer: '/bytes', detail: 'is required for imports' }]);
    if (input.bytes > limits.maxBytes) throw new PayloadTooLargeError(`A ${input.kind} file may have at most ${limits.maxBytes} bytes; split it`);
    const job: JobRecord = { ...base, state: 'awaiting_upload', bytes: input.bytes };
    await this.deps.jobs.create(job);
    const upload = await this.deps.objects.uploadUrl(jobObjects.upload(principal.tenantId, jobId), { contentType: 'text/csv', bytes: input.bytes }, JOB_URL_TTL_SECONDS);
    return { job: jobView(job), upload };
  }

  async get(principal: Principal, jobId: string): Promise<JobView> {
    return jobView(await this.require(principal, jobId));
  }

  /**
   * Reads the uploaded file once (a stream, quote-aware) into batches of whole records; a file
   * over the row limit or with a bad header is refused here (4xx) and the job stays waiting, so
   * the admin can upload a fixed file to the same URL while it lasts, or create a new job.
   * The file is pinned: its ETag goes into the job with the move to `running`, and every batch
   * reads only those bytes (a file replaced through the still-valid upload URL fails the job).
   * Only the start that wins that move writes the manifest and starts the run: a second start,
   * even a concurrent one, is a 409 and changes nothing.
   */
  async start(principal: Principal, jobId: string): Promise<JobView> {
    const job = await this.require(principal, jobId);
    if (job.state !== 'awaiting_upload' || job.kind === 'user-export') throw new ConflictError(`The job is ${job.state}; only a job waiting for its file can be started`);
    const key = jobObjects.upload(job.tenantId, job.jobId);
    const file = await this.deps.objects.stat(key);
    if (file === undefined) throw new ConflictError('The file has not been uploaded yet: PUT it to the upload URL first');
    const limits = JOB_LIMITS[job.kind];
    if (file.size > limits.maxBytes) throw new PayloadTooLargeError(`A ${job.kind} file may have at most ${limits.maxBytes} bytes; split it`);
    let manifest: Manifest;
    try {
      manifest = await scanCsv(this.deps.objects.read(key, undefined, file.etag), { batchRows: JOB_BATCH_ROWS, maxRows: limits.maxRows });
    } catch (error) {
      if (error instanceof ObjectChangedError) throw new ConflictError('The file was replaced while it was read; start the job again', {}, { cause: error });
      throw error;
    }
    await checkHeader(job.kind, manifest.header);
    if (!(await this.deps.jobs.transition(job.tenantId, job.jobId, ['awaiting_upload'], 'running', { total: manifest.batches.length, fileEtag: file.etag, at: this.now() }))) {
      throw new ConflictError('The job was started or cancelled meanwhile');
    }
    try {
      await this.deps.objects.write(jobObjects.manifest(job.tenantId, job.jobId), [JSON.stringify(manifest.batches)], 'application/json');
      await this.startRun(job, manifest.header);
    } catch (error) {
      // Running without a run would never end: say so in the job and let the error be the 500 it is.
      await this.deps.jobs.transition(job.tenantId, job.jobId, ['running'], 'failed', { error: 'The job could not be started; nothing was imported: create a new job for the file', at: this.now() });
      throw error;
    }
    return this.get(principal, jobId);
  }

  /**
   * No batch starts after this: the run is stopped (StopExecution on AWS), and should the stop
   * not reach it, every batch still looks at the job first and skips. Batches already running
   * finish their rows and are counted; the report says which batches never ran.
   */
  async cancel(principal: Principal, jobId: string): Promise<JobView> {
    const job = await this.require(principal, jobId);
    if (!(await this.deps.jobs.transition(job.tenantId, job.jobId, ['awaiting_upload', 'running'], 'cancelled', { at: this.now() }))) {
      throw new ConflictError(`The job is ${(await this.require(principal, jobId)).state} and cannot be cancelled`);
    }
    // Stopped whatever state was read above: a start may have moved the job to running between
    // that read and this cancel (a run that never existed is no error to stop). The stop saves
    // the work of the batches left; the job's state is what makes them skip, so a stop that fails
    // (a throttle) leaves the cancel as true as it was, and is logged.
    await this.deps.runner.stop(job).catch((error: unknown) => this.deps.log.warn('job run not stopped; its batches skip', { jobId, error: error instanceof Error ? error.name : 'unknown' }));
    return this.get(principal, jobId);
  }

  /** The report (imports: JSON lines, one per row) or the export (CSV), once the job has finished. */
  async download(principal: Principal, jobId: string): Promise<ObjectUrl> {
    const job = await this.require(principal, jobId);
    const key = job.kind === 'user-export' ? jobObjects.export(job.tenantId, jobId) : jobObjects.report(job.tenantId, jobId);
    if (!job.finishedAt || (await this.deps.objects.size(key)) === undefined) throw new ConflictError(`The job is ${job.state}; its ${job.kind === 'user-export' ? 'export' : 'report'} is written when it finishes`);
    const file = job.kind === 'user-export' ? { fileName: `users-${jobId}.csv`, contentType: 'text/csv' } : { fileName: `report-${jobId}.jsonl`, contentType: 'application/x-ndjson' };
    return this.deps.objects.downloadUrl(key, file, JOB_URL_TTL_SECONDS);
  }

  private async startRun(job: JobRecord, header: string[]): Promise<void> {
    await this.deps.runner.start({ tenantId: job.tenantId, jobId: job.jobId, header }, jobObjects.manifest(job.tenantId, job.jobId));
  }

  private async require(principal: Principal, jobId: string): Promise<JobRecord> {
    const job = await this.deps.jobs.get(principal.tenantId, jobId);
    if (!job) throw new NotFoundError('No such job');
    return job;
  }

  private now(): string {
    return new Date(this.deps.clock.now()).toISOString();
  }
}
