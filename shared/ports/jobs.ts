// Bulk jobs (R19, R22): their records, their files and what runs their batches.

import type { BatchRange, JobCounts, JobRecord, JobState } from '../domain/jobs/records';
import { ObjectChangedError } from '../domain/jobs/records';

export interface JobStore {
  /** Creates the job; never replaces one. */
  create(job: JobRecord): Promise<void>;
  /** Only the tenant's own jobs (R27): another tenant's id is simply absent. */
  get(tenantId: string, jobId: string): Promise<JobRecord | undefined>;
  /** Moves the job from one state to another; false when it was not in `from` (a race, a repeat). */
  transition(tenantId: string, jobId: string, from: readonly JobState[], to: JobState, change?: { total?: number; fileEtag?: string; error?: string; at: string }): Promise<boolean>;
  /**
   * Records one batch as done and adds its counts to the job, once: a batch run again (a retry
   * after a crash) finds its record and adds nothing. False when it was recorded before.
   */
  recordBatch(tenantId: string, jobId: string, batch: number, counts: JobCounts, at: string): Promise<boolean>;
  /**
   * Marks the batch started, only while the job runs: true then, and true for a batch marked
   * before (its retry, even after a cancel: it finishes and is counted); false for a batch that
   * never started before the job stopped running (after a cancel it never does).
   */
  startBatch(tenantId: string, jobId: string, batch: number): Promise<boolean>;
}

/** A URL that lets its holder upload or download one object for a while, and nothing else. */
export interface ObjectUrl {
  readonly url: string;
  readonly method: 'PUT' | 'GET';
  /** Headers the upload must send exactly as given (they are signed). */
  readonly headers: Readonly<Record<string, string>>;
  readonly expiresAt: string;
}

/**
 * The job files: uploads, report parts, reports and exports. An S3 bucket on AWS, a folder
 * behind the local server's signed URLs locally. Keys start with the tenant id (R27).
 */
export interface ObjectStore {
  uploadUrl(key: string, upload: { contentType: string; bytes: number }, ttlSeconds: number): Promise<ObjectUrl>;
  downloadUrl(key: string, download: { fileName: string; contentType: string }, ttlSeconds: number): Promise<ObjectUrl>;
  /** The object's size, or undefined when there is none. */
  size(key: string): Promise<number | undefined>;
  /** The object's size and the ETag of its current bytes (S3's; the local store's own), or undefined when there is none. */
  stat(key: string): Promise<{ readonly size: number; readonly etag: string } | undefined>;
  /**
   * The object's bytes from `start` (inclusive) to `end` (exclusive), or all of it. With
   * `ifMatch`, only the object of that ETag: one replaced since throws `ObjectChangedError`
   * (S3 answers GetObject IfMatch with 412 PreconditionFailed), before any byte is yielded.
   */
  read(key: string, range?: { start: number; end: number }, ifMatch?: string): AsyncIterable<Uint8Array>;
  /** Writes the object from its parts in order, without holding it whole in memory. */
  write(key: string, body: AsyncIterable<string | Uint8Array> | Iterable<string | Uint8Array>, contentType: string): Promise<void>;
}

/** What a running job's batches carry: the job and the part of the file each batch reads. */
export interface JobRun {
  readonly tenantId: string;
  readonly jobId: string;
  /** The file's header row, which every batch parses its records with. */
  readonly header: readonly string[];
}

/**
 * Runs a started job's batches: a Step Functions Distributed Map over the batch manifest on AWS,
 * a small in-process driver over the same manifest locally. Returns once the run is started.
 */
export interface JobRunner {
  start(run: JobRun, manifestKey: string): Promise<void>;
  /**
   * A cancelled job's run schedules no more batches (StopExecution on AWS); batches already
   * running finish and are counted, and the complete step still writes the report of what ran.
   */
  stop(run: Pick<JobRun, 'tenantId' | 'jobId'>): Promise<void>;
}

export type { BatchRange };
export { ObjectChangedError };
