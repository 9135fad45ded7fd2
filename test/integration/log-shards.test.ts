import { BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { LOG_SHARDS, logLineItem } from '../../shared/adapters/dynamo/audit';
import { createDocumentClient } from '../../shared/adapters/dynamo/client';
import { DynamoLogStore } from '../../shared/adapters/dynamo/log-store';
import { encodeCursor } from '../../shared/adapters/dynamo/pages';
import { ValidationError } from '../../shared/domain/errors';
import type { AuthLogEntry, LogMethod, LogResult } from '../../shared/domain/types';
import { LOGS_TABLE, THROTTLE_TABLE, USAGE_TABLE } from '../../shared/tables';
import { expectProblem, TestApi, type Tenant } from '../support/runtime';

let api: TestApi;
let db: DynamoDBDocumentClient;
let a: Tenant;
let b: Tenant;
const tables = () => ({ logsTable: process.env[LOGS_TABLE.envVar] as string, usageTable: process.env[USAGE_TABLE.envVar] as string, throttleTable: process.env[THROTTLE_TABLE.envVar] as string });

// Four instants, 30 lines each for tenant A (and 10 for B): equal timestamps in many shards.
// Yesterday: DynamoDB Local deletes items whose TTL (time + 90 days) has passed, by the real clock.
const DAY = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
const SECONDS = [0, 1, 2, 3].map((s) => `${DAY}T12:00:0${s}.000Z`);
const FROM = `${DAY}T00:00:00.000Z`;
const TO = `${DAY}T23:59:59.999Z`;
const METHODS: LogMethod[] = ['sms', 'voice', 'app'];
const RESULTS: LogResult[] = ['sent', 'approved', 'denied'];
const linesOf: Record<string, AuthLogEntry[]> = {};

function entry(tenantId: string, n: number, time: string): AuthLogEntry {
  return {
    logId: `lg_${tenantId.slice(-6)}${String(n).padStart(10, '0')}`,
    tenantId,
    time,
    userId: `u${n % 3}`,
    method: METHODS[n % 3] as LogMethod,
    event: 'verify',
    result: RESULTS[Math.floor(n / 3) % 3] as LogResult,
    apiKeyId: '0123456789abcdef',
    apiKeyName: 'shard test',
  };
}

async function write(items: Record<string, unknown>[]): Promise<void> {
  for (let i = 0; i < items.length; i += 25) {
    const out = await db.send(new BatchWriteCommand({ RequestItems: { [tables().logsTable]: items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } })) } }));
    expect(out.UnprocessedItems ?? {}).toEqual({});
  }
}

beforeAll(async () => {
  api = await TestApi.start();
  db = createDocumentClient({ endpoint: api.runtime.dynamoEndpoint });
  a = await api.createTenant('Shards A');
  b = await api.createTenant('Shards B');
  for (const [t, count] of [[a, 120], [b, 10]] as const) {
    linesOf[t.tenantId] = Array.from({ length: count }, (_, n) => entry(t.tenantId, n, SECONDS[n % SECONDS.length] as string));
    // Written as every writer writes a line: through logLineItem.
    await write((linesOf[t.tenantId] as AuthLogEntry[]).map((l) => logLineItem(tables(), l).Item));
  }
});

afterAll(async () => {
  db.destroy();
  await api.stop();
});

const admin = (t: Tenant, path: string) => api.request('GET', path, { key: t.adminKey });
const newestFirst = (x: AuthLogEntry, y: AuthLogEntry) => (`${x.time}#${x.logId}` < `${y.time}#${y.logId}` ? 1 : -1);

/** Every page of an auth-log query through the API, with the cursors it was given. */
async function pages(t: Tenant, query: string): Promise<{ pages: AuthLogEntry[][]; cursors: string[] }> {
  const out: AuthLogEntry[][] = [];
  const cursors: string[] = [];
  let cursor: string | undefined;
  do {
    const reply = await admin(t, `/v1/admin/auth-logs?${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    expect(reply.status).toBe(200);
    out.push(reply.body.items as AuthLogEntry[]);
    cursor = reply.body.cursor as string | undefined;
    if (cursor) cursors.push(cursor);
    expect(out.length).toBeLessThan(100);
  } while (cursor);
  return { pages: out, cursors };
}

describe('R23 the sharded log pages newest-first across shards (through the local runtime)', () => {
  it('the lines sit in many shard partitions of their tenant', async () => {
    const pks = new Set((await api.allItems()).filter((r) => r.table === 'Logs' && r.item.tenantId?.S === a.tenantId).map((r) => r.item.pk?.S));
    expect(pks.size).toBeGreaterThan(LOG_SHARDS / 2);
    for (const pk of pks) expect(pk).toMatch(new RegExp(`^AUTH#${a.tenantId}#\\d\\d$`));
  });

  it('pages of 7 return every line once, newest first (equal timestamps ordered by logId), every page full but the last', async () => {
    const { pages: all, cursors } = await pages(a, `from=${FROM}&to=${TO}&limit=7`);
    expect(all.flat()).toEqual([...(linesOf[a.tenantId] as AuthLogEntry[])].sort(newestFirst));
    expect(all.slice(0, -1).every((p) => p.length === 7)).toBe(true);
    expect(all.at(-1)).toHaveLength(120 % 7);
    // The cursor holds one position, not one per shard (33 × ~60 characters would be ~2,000): it stays small.
    expect(Math.max(...cursors.map((c) => c.length))).toBeLessThan(400);
  });

  it.each([
    ['method=voice', (l: AuthLogEntry) => l.method === 'voice'],
    ['result=denied', (l: AuthLogEntry) => l.result === 'denied'],
    ['userId=u2', (l: AuthLogEntry) => l.userId === 'u2'],
    ['userId=u1&method=app&result=sent', (l: AuthLogEntry) => l.userId === 'u1' && l.method === 'app' && l.result === 'sent'],
    [`from=${DAY}T12:00:01.000Z&to=${DAY}T12:00:02.000Z`, (l: AuthLogEntry) => l.time === SECONDS[1] || l.time === SECONDS[2]],
  ])('filter %s: the matching lines, each once, newest first', async (filter, keep) => {
    const query = filter.startsWith('from=') ? `${filter}&limit=4` : `from=${FROM}&to=${TO}&${filter}&limit=4`;
    const { pages: all } = await pages(a, query);
    expect(all.flat()).toEqual((linesOf[a.tenantId] as AuthLogEntry[]).filter(keep).sort(newestFirst));
    expect(all.every((p) => p.length <= 4)).toBe(true);
  });

  it('a replayed cursor gives the same page again; it pages nothing else', async () => {
    const { cursors } = await pages(a, `from=${FROM}&to=${TO}&limit=11`);
    const cursor = encodeURIComponent(cursors[3] as string);
    const first = await admin(a, `/v1/admin/auth-logs?from=${FROM}&to=${TO}&limit=11&cursor=${cursor}`);
    const again = await admin(a, `/v1/admin/auth-logs?from=${FROM}&to=${TO}&limit=11&cursor=${cursor}`);
    expect(first.status).toBe(200);
    expect(again.body).toEqual(first.body);
    expect(first.body.items).toEqual([...(linesOf[a.tenantId] as AuthLogEntry[])].sort(newestFirst).slice(44, 55));
  });

  it("R27: an altered cursor, or one crossed to another tenant or another query, is a 400 problem and never shows another tenant's lines", async () => {
    const { cursors } = await pages(a, `from=${FROM}&to=${TO}&limit=5`);
    const cursor = cursors[2] as string;
    const flip = (c: string) => (c === 'A' ? 'B' : 'A');
    const altered = [`${flip(cursor[0] as string)}${cursor.slice(1)}`, `${cursor.slice(0, 20)}${flip(cursor[20] as string)}${cursor.slice(21)}`, cursor.slice(0, -2), `${cursor}.x`];
    for (const c of altered) expectProblem(await admin(a, `/v1/admin/auth-logs?from=${FROM}&to=${TO}&limit=5&cursor=${encodeURIComponent(c)}`), 400, 'validation-failed');
    expectProblem(await admin(b, `/v1/admin/auth-logs?from=${FROM}&to=${TO}&limit=5&cursor=${encodeURIComponent(cursor)}`), 400, 'validation-failed');
    expectProblem(await admin(a, `/v1/admin/auth-logs?from=${FROM}&to=${TO}&limit=5&userId=u1&cursor=${encodeURIComponent(cursor)}`), 400, 'validation-failed');
    const { pages: theirs } = await pages(b, `from=${FROM}&to=${TO}&limit=3`);
    expect(theirs.flat()).toEqual([...(linesOf[b.tenantId] as AuthLogEntry[])].sort(newestFirst));
  });

  it("R27: below the signed cursor, the store itself refuses a position in another tenant's or user's log", async () => {
    const store = new DynamoLogStore(db, tables());
    const query = { from: FROM, to: TO, limit: 5 };
    const sk = `${SECONDS[2]}#${(linesOf[b.tenantId] as AuthLogEntry[])[2]?.logId}`;
    await expect(store.list(a.tenantId, { ...query, cursor: encodeCursor({ pk: `AUTH#${b.tenantId}`, sk }) as string })).rejects.toThrow(ValidationError);
    await expect(store.list(a.tenantId, { ...query, userId: 'u1', cursor: encodeCursor({ pk: `AUTH#${a.tenantId}#USER#u2`, sk }) as string })).rejects.toThrow(ValidationError);
    await expect(store.list(a.tenantId, { ...query, cursor: encodeCursor({ pk: `AUTH#${a.tenantId}`, sk: '2026-05-01T00:00:00.000Z#x' }) as string })).rejects.toThrow(ValidationError);
    const own = await store.list(a.tenantId, { ...query, cursor: encodeCursor({ pk: `AUTH#${a.tenantId}`, sk }) as string });
    expect(own.items.map((l) => l.tenantId)).toEqual(Array(5).fill(a.tenantId));
  });

  it('lines written before sharding (the unsharded key, kept until their TTL) page with the new ones', async () => {
    const t = await api.createTenant('Shards legacy');
    const fresh = Array.from({ length: 12 }, (_, n) => entry(t.tenantId, n, SECONDS[n % 2] as string));
    const old = Array.from({ length: 12 }, (_, n) => entry(t.tenantId, 100 + n, SECONDS[(n % 2) + 1] as string));
    await write([
      ...fresh.map((l) => logLineItem(tables(), l).Item),
      ...old.map((l) => {
        const sk = `${l.time}#${l.logId}`;
        return { ...l, pk: `AUTH#${t.tenantId}`, sk, gsi1pk: `AUTH#${t.tenantId}#USER#${l.userId}`, gsi1sk: sk };
      }),
    ]);
    const expected = [...fresh, ...old].sort(newestFirst);
    expect((await pages(t, `from=${FROM}&to=${TO}&limit=5`)).pages.flat()).toEqual(expected);
    expect((await pages(t, `from=${FROM}&to=${TO}&limit=5&userId=u0`)).pages.flat()).toEqual(expected.filter((l) => l.userId === 'u0'));
  });

  it('a line the service writes (a refused sign-in) is the item logLineItem builds, at a shard key', async () => {
    const t = await api.createTenant('Shards live');
    expect((await api.createChallenge(t, 'nobody')).status).toBeGreaterThanOrEqual(400);
    const logged = (await admin(t, '/v1/admin/auth-logs')).body.items as AuthLogEntry[];
    expect(logged).toHaveLength(1);
    const stored = (await api.allItems()).filter((r) => r.table === 'Logs' && r.item.tenantId?.S === t.tenantId);
    expect(stored).toHaveLength(1);
    const { Item } = logLineItem(tables(), logged[0] as AuthLogEntry);
    expect(stored[0]?.item.pk?.S).toBe(Item.pk);
    expect(stored[0]?.item.gsi1pk?.S).toBe(Item.gsi1pk);
    expect(stored[0]?.item.sk?.S).toBe(Item.sk);
  });
});
