/**
 * `npm run bench:jobs`: a user import job of 100,000 rows (R19) through the local runtime, as an
 * admin runs it: create the job, PUT the CSV to its upload URL, start it, wait for the batches
 * (the local driver runs the batch handler over the same manifest the Distributed Map reads on
 * AWS), then the same file again (every row unchanged). Prints each run's time and DynamoDB
 * requests per row, and writes bench-results/jobs.json. Nothing asserted.
 *
 *   npm run bench:jobs -- --rows 100000
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { localJobs } from '../../infra/local/jobs';
import { startLocalRuntime } from '../../infra/local/runtime';
import { dynamoRequests } from '../../shared/adapters/dynamo/client';

const { values } = parseArgs({ options: { rows: { type: 'string', default: '100000' } } });
const ROWS = Number(values.rows);

type Job = { jobId: string; state: string; counts: Record<string, number>; batches: { total: number; done: number } };

async function main(): Promise<void> {
  const runtime = await startLocalRuntime({ logLevel: 'SILENT', exportDir: join(tmpdir(), `tessera-jobs-bench-${process.pid}`) });
  const call = async <T>(method: string, path: string, key: string, body?: unknown): Promise<T> => {
    const response = await fetch(`${runtime.url}${path}`, { method, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) });
    const text = await response.text();
    if (response.status >= 300) throw new Error(`${method} ${path}: ${response.status} ${text}`);
    return JSON.parse(text) as T;
  };
  try {
    const tenant = await call<{ tenantId: string; adminKey: string }>('POST', '/v1/operator/tenants', runtime.operatorKey, { name: 'Bench', provider: { billingModel: 'per_user' } });
    const rows = Array.from({ length: ROWS }, (_, i) => `user-${i},First ${i},Last ${i},user${i}@example.com,+1415555${String(1000 + (i % 9000)).padStart(4, '0')},true`);
    const file = `userId,firstName,lastName,email,phone,mfaEnabled\n${rows.join('\n')}\n`;
    const runs: Record<string, unknown>[] = [];
    for (const name of ['first import', 'same file again']) {
      const before = dynamoRequests.total;
      const began = performance.now();
      const created = await call<{ job: Job; upload: { url: string; headers: Record<string, string> } }>('POST', '/v1/admin/jobs', tenant.adminKey, { kind: 'user-import', bytes: Buffer.byteLength(file) });
      const put = await fetch(created.upload.url, { method: 'PUT', headers: created.upload.headers, body: file });
      if (put.status !== 200) throw new Error(`upload: ${put.status}`);
      const uploaded = performance.now();
      await call('POST', `/v1/admin/jobs/${created.job.jobId}/start`, tenant.adminKey, {});
      const started = performance.now();
      await localJobs.idle();
      const job = await call<Job>('GET', `/v1/admin/jobs/${created.job.jobId}`, tenant.adminKey);
      const seconds = (performance.now() - began) / 1000;
      const requests = dynamoRequests.total - before;
      const run = {
        run: name,
        rows: ROWS,
        state: job.state,
        counts: job.counts,
        batches: job.batches.total,
        seconds: Number(seconds.toFixed(1)),
        uploadSeconds: Number(((uploaded - began) / 1000).toFixed(1)),
        startSeconds: Number(((started - uploaded) / 1000).toFixed(1)),
        rowsPerSecond: Math.round(ROWS / seconds),
        dynamoRequests: requests,
        dynamoRequestsPerRow: Number((requests / ROWS).toFixed(3)),
      };
      console.log(JSON.stringify(run));
      runs.push(run);
    }
    mkdirSync('bench-results', { recursive: true });
    writeFileSync('bench-results/jobs.json', `${JSON.stringify({ node: process.version, runs }, null, 2)}\n`);
  } finally {
    await runtime.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
