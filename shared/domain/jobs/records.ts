// Bulk jobs (R19, R22): what a job is, as stored and as shown. A leaf module: ports import it.

/** What a job does: import users (CSV), import OATH tokens (CSV), or export every user (CSV). */
export const JOB_KINDS = ['user-import', 'token-import', 'user-export'] as const;
export type JobKind = (typeof JOB_KINDS)[number];
export type ImportKind = Exclude<JobKind, 'user-export'>;

/**
 * `awaiting_upload` until the admin starts it; `running` while batches run; then `succeeded`
 * (every batch ran; rows may still have failed, see the counts), `failed` (some batch could not
 * run; the report names its rows) or `cancelled` (no batch starts after the cancel).
 */
export const JOB_STATES = ['awaiting_upload', 'running', 'succeeded', 'failed', 'cancelled'] as const;
export type JobState = (typeof JOB_STATES)[number];

/** Per-row outcomes added up over the batches that ran. */
export interface JobCounts {
  readonly rows: number;
  readonly created: number;
  readonly updated: number;
  readonly unchanged: number;
  readonly failed: number;
}

export const NO_COUNTS: JobCounts = { rows: 0, created: 0, updated: 0, unchanged: 0, failed: 0 };

/** One batch of an import: a byte range of the uploaded file holding whole CSV records. */
export interface BatchRange {
  readonly batch: number;
  /** The file line of its first record (the header is line 1). */
  readonly firstLine: number;
  readonly start: number;
  /** Exclusive. */
  readonly end: number;
}

export interface JobRecord {
  readonly tenantId: string;
  readonly jobId: string;
  readonly kind: JobKind;
  /** The provider's user space at creation (R18): a job never writes into another. */
  readonly space: string;
  readonly state: JobState;
  /** Declared at creation; the upload URL is signed for exactly this many bytes. */
  readonly bytes?: number;
  readonly batches: { readonly total: number; readonly done: number };
  readonly counts: JobCounts;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly finishedAt?: string;
  /** The ETag of the upload the manifest was cut from (set at start): every batch reads only those bytes. */
  readonly fileEtag?: string;
  /** Why the job failed, for the admin. */
  readonly error?: string;
}

/** One line of a job's report (JSON lines, one per data row, in file order). */
export type JobReportLine =
  | { readonly line: number; readonly id?: string; readonly status: 'created' | 'updated' | 'unchanged' | 'exists' }
  | { readonly line: number; readonly id?: string; readonly status: 'error'; readonly errors: readonly { readonly pointer?: string; readonly detail: string }[] };

/** The object is no longer the one asked for (`ifMatch`): it was replaced after it was pinned. */
export class ObjectChangedError extends Error {
  constructor(readonly key: string) {
    super(`The object ${key} changed since it was pinned`);
    this.name = 'ObjectChangedError';
  }
}
