import { setTimeout as sleep } from 'node:timers/promises';
import type { BatchRange, JobRun, JobRunner, ObjectStore } from '../../shared/ports';
import { readText } from '../../shared/domain/jobs/completer';
import { JOB_BATCH_RETRY, JOB_ITEMS_PER_BATCH } from '../../shared/jobs/state-machine';
import { JOB_MAX_CONCURRENCY } from '../../shared/rules';

type Invoke = (event: unknown) => Promise<unknown>;

/** How many jobs' batch counts the driver keeps (the most recent): enough for a test run or a bench. */
const KEPT_COUNTS = 1000;

/**
 * The local stand-in for the jobs' Distributed Map (aws-local-stepfunctions runs inline Maps
 * only): reads the same manifest from the same object store, hands the same batch handler the
 * same `{ BatchInput, Items }` events, as many at once as the state machine's MaxConcurrency,
 * retries a failed batch as its Retry says, then invokes the complete step. A batch that still
 * fails is left out, as the Map's tolerated failures are; the complete step reports its rows.
 */
export class LocalJobDriver implements JobRunner {
  private handlers?: { batch: Invoke; complete: Invoke; objects: ObjectStore };
  private readonly running = new Set<Promise<void>>();
  /** Jobs being driven now; each leaves when its complete step has run. */
  private readonly driving = new Set<string>();
  /** Driven jobs whose run was stopped (cancelled): their workers start no more batches. Left with `driving`. */
  private readonly stopped = new Set<string>();
  /** Batch invocations per job, for tests and the bench: the last `KEPT_COUNTS` jobs' only. */
  private readonly invoked = new Map<string, number>();
  /** While held, batches (and retries) wait here, but for `passes` of them (`hold`). */
  private held = false;
  private passes = 0;
  private readonly waiting: (() => void)[] = [];
  /** Milliseconds per retry interval second: the local runtime does not wait real seconds. */
  private readonly retryScaleMs = 10;

  configure(handlers: { batch: Invoke; complete: Invoke; objects: ObjectStore }): void {
    this.handlers = handlers;
  }

  async start(run: JobRun, manifestKey: string): Promise<void> {
    const handlers = this.handlers;
    if (!handlers) throw new Error('The local job driver is not configured');
    this.driving.add(run.jobId);
    const drive = this.drive(handlers, run, manifestKey)
      .catch((error: unknown) => console.error('local job driver failed', run.jobId, error))
      .finally(() => {
        this.running.delete(drive);
        this.driving.delete(run.jobId);
        this.stopped.delete(run.jobId);
      });
    this.running.add(drive);
  }

  /** As StopExecution does to the Map: no batch of the job starts after this; running ones finish, then the complete step runs. */
  async stop(run: Pick<JobRun, 'jobId'>): Promise<void> {
    // A job not driven has no run to stop (as StopExecution of no execution): nothing to remember.
    if (this.driving.has(run.jobId)) this.stopped.add(run.jobId);
  }

  /** How many jobs the driver holds state for (driven now, stopped, counted): bounded however many jobs ran. */
  tracked(): { driving: number; stopped: number; counted: number } {
    return { driving: this.driving.size, stopped: this.stopped.size, counted: this.invoked.size };
  }

  /**
   * Holds every batch not yet started, and every retry, (but the first `after` of them) until the
   * returned release is called, with a number to let that many more through and hold the rest:
   * how a test cancels a job between its start and its batches, between two of its batches, or
   * between a batch's crash and its retry, which on AWS a slow Map would allow.
   */
  hold(options: { after?: number } = {}): (pass?: number) => void {
    this.held = true;
    this.passes = options.after ?? 0;
    return (pass?: number) => {
      if (pass === undefined) this.held = false;
      for (let i = 0; this.waiting.length > 0 && (pass === undefined || i < pass); i++) this.waiting.shift()?.();
    };
  }

  private async gate(): Promise<void> {
    if (!this.held) return;
    if (this.passes > 0) {
      this.passes--;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  /** How many batch invocations the driver made for the job. */
  invocations(jobId: string): number {
    return this.invoked.get(jobId) ?? 0;
  }

  /** Resolves when every job started so far has finished (the runtime's stop; the bench). */
  async idle(): Promise<void> {
    while (this.running.size) await Promise.all([...this.running]);
  }

  private async drive(handlers: { batch: Invoke; complete: Invoke; objects: ObjectStore }, run: JobRun, manifestKey: string): Promise<void> {
    const items = JSON.parse(await readText(handlers.objects, manifestKey)) as BatchRange[];
    const batches: BatchRange[][] = [];
    for (let i = 0; i < items.length; i += JOB_ITEMS_PER_BATCH) batches.push(items.slice(i, i + JOB_ITEMS_PER_BATCH));
    let next = 0;
    const worker = async () => {
      while (next < batches.length) {
        const Items = batches[next++] as BatchRange[];
        await this.gate();
        if (this.stopped.has(run.jobId)) break;
        this.count(run.jobId);
        // Tolerated, as the Map tolerates it: the complete step names the batch's rows in the report.
        await this.withRetries(() => handlers.batch({ BatchInput: { run }, Items })).catch((error: unknown) => console.error('local job batch failed', run.jobId, Items[0]?.batch, error));
      }
    };
    await Promise.all(Array.from({ length: Math.min(JOB_MAX_CONCURRENCY, batches.length) }, worker));
    await this.withRetries(() => handlers.complete({ run }));
  }

  private count(jobId: string): void {
    const n = this.invocations(jobId) + 1;
    this.invoked.delete(jobId);
    this.invoked.set(jobId, n);
    // The oldest counts go first (a Map iterates in insertion order).
    for (const oldest of this.invoked.keys()) {
      if (this.invoked.size <= KEPT_COUNTS) break;
      this.invoked.delete(oldest);
    }
  }

  private async withRetries(call: () => Promise<unknown>): Promise<unknown> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await call();
      } catch (error) {
        if (attempt >= JOB_BATCH_RETRY.MaxAttempts) throw error;
        await sleep(JOB_BATCH_RETRY.IntervalSeconds * JOB_BATCH_RETRY.BackoffRate ** attempt * this.retryScaleMs);
        // A hold holds retries too: how a test cancels a job between a batch's crash and its retry.
        await this.gate();
      }
    }
  }
}

/** The one driver of the local runtime, configured with the handler modules when it starts. */
export const localJobs = new LocalJobDriver();
