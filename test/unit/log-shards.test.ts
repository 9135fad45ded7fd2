import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { LOG_SHARDS, logKeys, logLineItem, logShardOf } from '../../shared/adapters/dynamo/audit';
import { DynamoLogStore, LOG_QUERY_ROUNDS } from '../../shared/adapters/dynamo/log-store';
import { decodeLogCursor, encodeCursor } from '../../shared/adapters/dynamo/pages';
import { ValidationError } from '../../shared/domain/errors';
import type { AuthLogEntry, LogMethod, LogResult } from '../../shared/domain/types';
import type { AuthLogQuery } from '../../shared/ports';

const TABLES = { logsTable: 'Logs', usageTable: 'Usage', throttleTable: 'Throttle' };
const A = 'tn_AAAAAAAAAAAAAAAA';
const B = 'tn_BBBBBBBBBBBBBBBB';

function line(tenantId: string, n: number, time: string, extra: Partial<AuthLogEntry> = {}): AuthLogEntry {
  return {
    logId: `lg_${String(n).padStart(16, '0')}`,
    tenantId,
    time,
    userId: 'alice',
    method: 'sms',
    event: 'verify',
    result: 'approved',
    apiKeyId: '0123456789abcdef',
    apiKeyName: 'VPN',
    ...extra,
  };
}

/**
 * DynamoDB's Query as the log store uses it, over an array of items: one partition (table or
 * gsi1), the sort key BETWEEN two bounds, newest first, `Limit` items evaluated before the
 * equality filters, LastEvaluatedKey whenever the limit was reached. Counts every Query.
 */
class QueryTable {
  readonly items: Record<string, unknown>[] = [];
  readonly queries: QueryCommandInput[] = [];

  query(input: QueryCommandInput): { Items: Record<string, unknown>[]; LastEvaluatedKey?: Record<string, unknown> } {
    this.queries.push(input);
    const names = input.ExpressionAttributeNames ?? {};
    const values = input.ExpressionAttributeValues ?? {};
    if (input.KeyConditionExpression !== '#pk = :pk AND #sk BETWEEN :from AND :to' || input.ScanIndexForward !== false) {
      throw new Error(`not a query this table serves: ${JSON.stringify(input)}`);
    }
    const [pk, sk] = [names['#pk'] as string, names['#sk'] as string];
    const [from, to] = [values[':from'] as string, values[':to'] as string];
    if (from > to) throw new Error('ValidationException: BETWEEN bounds out of order');
    const start = input.ExclusiveStartKey?.[sk] as string | undefined;
    const inPartition = this.items
      .filter((i) => i[pk] === values[':pk'] && (i[sk] as string) >= from && (i[sk] as string) <= to)
      .filter((i) => start === undefined || (i[sk] as string) < start)
      .sort((a, b) => ((a[sk] as string) < (b[sk] as string) ? 1 : -1));
    const evaluated = inPartition.slice(0, input.Limit);
    const filters = (input.FilterExpression ?? '').split(' AND ').filter(Boolean);
    const matches = (i: Record<string, unknown>) =>
      filters.every((f) => {
        const [name, value] = f.split(' = ') as [string, string];
        return i[names[name] as string] === values[value];
      });
    const last = evaluated.length === input.Limit ? evaluated.at(-1) : undefined;
    const keyNames = input.IndexName ? ['gsi1pk', 'gsi1sk', 'pk', 'sk'] : ['pk', 'sk'];
    return {
      Items: evaluated.filter(matches),
      ...(last ? { LastEvaluatedKey: Object.fromEntries(keyNames.map((k) => [k, last[k]])) } : {}),
    };
  }
}

function storeOver(table: QueryTable): DynamoLogStore {
  const db = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'local', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } }));
  mockClient(db)
    .on(QueryCommand)
    .callsFake(async (input: QueryCommandInput) => table.query(input));
  return new DynamoLogStore(db, TABLES);
}

/** Every page of a query, following cursors; fails if it does not end. */
async function allPages(store: DynamoLogStore, tenantId: string, query: AuthLogQuery): Promise<{ pages: AuthLogEntry[][] }> {
  const pages: AuthLogEntry[][] = [];
  let cursor: string | undefined;
  for (let n = 0; n < 2000; n++) {
    const page = await store.list(tenantId, { ...query, ...(cursor ? { cursor } : {}) });
    pages.push(page.items);
    cursor = page.cursor;
    if (!cursor) return { pages };
  }
  throw new Error('the pages did not end');
}

const newestFirst = (a: AuthLogEntry, b: AuthLogEntry) => {
  const [x, y] = [`${a.time}#${a.logId}`, `${b.time}#${b.logId}`];
  return x < y ? 1 : x > y ? -1 : 0;
};

describe('R23 the auth-log key: a line lands in one of LOG_SHARDS partitions, chosen by its logId', () => {
  it('logLineItem is a pure function of the line: the same line twice is the same item (a projection may write it twice)', () => {
    const l = line(A, 7, '2026-11-30T10:00:00.000Z', { userId: 'bob' });
    const item = logLineItem(TABLES, l);
    expect(logLineItem({ logsTable: 'Logs' }, { ...l })).toEqual(item);
    const shard = String(logShardOf(l.logId)).padStart(2, '0');
    expect(item).toEqual({
      TableName: 'Logs',
      Item: {
        ...l,
        pk: `AUTH#${A}#${shard}`,
        sk: `2026-11-30T10:00:00.000Z#${l.logId}`,
        gsi1pk: `AUTH#${A}#${shard}#USER#bob`,
        gsi1sk: `2026-11-30T10:00:00.000Z#${l.logId}`,
        ttl: Date.parse('2026-11-30T10:00:00.000Z') / 1000 + 90 * 86_400,
      },
    });
  });

  it('the shard depends on the logId only, and 10,000 random lines spread evenly over all shards', () => {
    const l = line(A, 1, '2026-11-30T10:00:00.000Z');
    expect(logLineItem(TABLES, { ...l, time: '2026-01-01T00:00:00.000Z', userId: 'other' }).Item.pk).toBe(logLineItem(TABLES, l).Item.pk);
    const counts = new Array<number>(LOG_SHARDS).fill(0);
    for (let i = 0; i < 10_000; i++) counts[logShardOf(`lg_${Math.random().toString(36).slice(2)}${i}`)]! += 1;
    // 312.5 a shard on average (σ ≈ 17): every shard well under the 1,000 writes/s of a partition at 10,000 lines/s.
    expect(Math.min(...counts)).toBeGreaterThan(200);
    expect(Math.max(...counts)).toBeLessThan(450);
  });

  it("a tenant's partitions: LOG_SHARDS sharded keys and the unsharded one of lines written before sharding; no two tenants or users share one", () => {
    const a = logKeys.tenantPartitions(A);
    expect(a).toHaveLength(LOG_SHARDS + 1);
    expect(new Set(a).size).toBe(LOG_SHARDS + 1);
    expect(a.at(-1)).toBe(`AUTH#${A}`);
    expect(a.filter((pk) => logKeys.tenantPartitions(B).includes(pk))).toEqual([]);
    const users = [...logKeys.userPartitions(A, 'u1'), ...logKeys.userPartitions(A, 'u10'), ...logKeys.userPartitions(B, 'u1')];
    expect(new Set(users).size).toBe(users.length);
  });
});

describe('R23 R27 the log cursor: one sort key, for one log, inside the range', () => {
  const from = '2026-11-01T00:00:00.000Z';
  const to = '2026-11-30T00:00:00.000Z\uffff';
  const sk = '2026-11-15T00:00:00.000Z#lg_0000000000000001';

  it('gives back the position of a cursor of this log', () => {
    expect(decodeLogCursor(encodeCursor({ pk: `AUTH#${A}`, sk }), `AUTH#${A}`, from, to)).toBe(sk);
    expect(decodeLogCursor(undefined, `AUTH#${A}`, from, to)).toBeUndefined();
  });

  it.each([
    ['another tenant', { pk: `AUTH#${B}`, sk }],
    ["one user's log for the tenant's", { pk: `AUTH#${A}#USER#alice`, sk }],
    ['a shard instead of the log', { pk: `AUTH#${A}#03`, sk }],
    ['a position before the range', { pk: `AUTH#${A}`, sk: '2026-10-31T23:59:59.999Z#lg_0000000000000001' }],
    ['a position after the range', { pk: `AUTH#${A}`, sk: '2026-12-01T00:00:00.000Z#lg_0000000000000001' }],
    ['a number for the position', { pk: `AUTH#${A}`, sk: 5 }],
    ['no position', { pk: `AUTH#${A}` }],
    ['an extra field', { pk: `AUTH#${A}`, sk, gsi1pk: `AUTH#${B}` }],
  ])('refuses %s (ValidationError, a 400)', (_name, key) => {
    expect(() => decodeLogCursor(encodeCursor(key), `AUTH#${A}`, from, to)).toThrow(ValidationError);
  });
});

describe('R23 the sharded log pages newest first across shards', () => {
  const T = '2026-11-30T10:00:00.000Z';
  const QUERY = { from: '2026-11-01T00:00:00.000Z', to: '2026-11-30T23:59:59.999Z' };

  it('60 lines with one timestamp, in many shards: pages of 7 return each once, newest first, every page full but the last', async () => {
    const table = new QueryTable();
    const lines = Array.from({ length: 60 }, (_, n) => line(A, n, T));
    for (const l of lines) table.items.push(logLineItem(TABLES, l).Item);
    expect(new Set(table.items.map((i) => i.pk)).size).toBeGreaterThan(20);
    const { pages } = await allPages(storeOver(table), A, { ...QUERY, limit: 7 });
    expect(pages.flat()).toEqual([...lines].sort(newestFirst));
    expect(pages.slice(0, -1).every((p) => p.length === 7)).toBe(true);
    expect(pages.at(-1)?.length).toBe(60 % 7);
  });

  it('lines written before sharding (the unsharded key) page in time order with the sharded ones', async () => {
    const table = new QueryTable();
    const old = Array.from({ length: 30 }, (_, n) => line(A, 100 + n, `2026-11-29T10:00:${String(n).padStart(2, '0')}.000Z`));
    for (const l of old) table.items.push({ ...l, pk: `AUTH#${A}`, sk: `${l.time}#${l.logId}`, gsi1pk: `AUTH#${A}#USER#alice`, gsi1sk: `${l.time}#${l.logId}` });
    const fresh = Array.from({ length: 30 }, (_, n) => line(A, n, n % 2 ? T : '2026-11-29T10:00:10.000Z'));
    for (const l of fresh) table.items.push(logLineItem(TABLES, l).Item);
    const all = [...old, ...fresh].sort(newestFirst);
    expect((await allPages(storeOver(table), A, { ...QUERY, limit: 9 })).pages.flat()).toEqual(all);
    expect((await allPages(storeOver(table), A, { ...QUERY, limit: 9, userId: 'alice' })).pages.flat()).toEqual(all);
  });

  it(`reads per page stay bounded: at most ${LOG_QUERY_ROUNDS} rounds of one Query per partition, each of at most \`limit\` lines`, async () => {
    const table = new QueryTable();
    // A filter that matches nothing is the worst case: no page ever fills.
    for (let n = 0; n < 2000; n++) table.items.push(logLineItem(TABLES, line(A, n, `2026-11-30T${String(n % 24).padStart(2, '0')}:00:00.000Z`)).Item);
    const store = storeOver(table);
    for (const limit of [1, 50, 200]) {
      table.queries.length = 0;
      const page = await store.list(A, { ...QUERY, limit, result: 'denied' });
      expect(page.items).toEqual([]);
      expect(page.cursor).toEqual(expect.any(String));
      expect(table.queries.length).toBeLessThanOrEqual(LOG_QUERY_ROUNDS * (LOG_SHARDS + 1));
      expect(table.queries.every((q) => (q.Limit as number) <= limit)).toBe(true);
      const evaluated = table.queries.reduce((sum, q) => sum + (q.Limit as number), 0);
      const firstRound = (LOG_SHARDS + 1) * Math.ceil((2 * limit) / LOG_SHARDS);
      expect(evaluated).toBeLessThanOrEqual(firstRound + (LOG_QUERY_ROUNDS - 1) * Math.max(firstRound, 2 * limit + LOG_SHARDS + 1));
    }
  });

  it('never skips or repeats a line, for any lines (equal timestamps across shards), filters, ranges and page sizes (property)', async () => {
    const methods: LogMethod[] = ['sms', 'voice', 'app'];
    const results: LogResult[] = ['sent', 'approved', 'denied'];
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ second: fc.integer({ min: 0, max: 5 }), user: fc.constantFrom('u1', 'u2'), method: fc.constantFrom(...methods), result: fc.constantFrom(...results), tenant: fc.constantFrom(A, B) }), { maxLength: 150 }),
        fc.record({
          limit: fc.integer({ min: 1, max: 25 }),
          userId: fc.option(fc.constantFrom('u1', 'u2'), { nil: undefined }),
          method: fc.option(fc.constantFrom(...methods), { nil: undefined }),
          result: fc.option(fc.constantFrom(...results), { nil: undefined }),
          fromSecond: fc.integer({ min: 0, max: 2 }),
          toSecond: fc.integer({ min: 2, max: 5 }),
        }),
        async (specs, q) => {
          const table = new QueryTable();
          const lines = specs.map((s, n) => line(s.tenant, n, `2026-11-30T10:00:0${s.second}.000Z`, { userId: s.user, method: s.method, result: s.result }));
          for (const l of lines) table.items.push(logLineItem(TABLES, l).Item);
          const query: AuthLogQuery = {
            from: `2026-11-30T10:00:0${q.fromSecond}.000Z`,
            to: `2026-11-30T10:00:0${q.toSecond}.000Z`,
            limit: q.limit,
            ...(q.userId ? { userId: q.userId } : {}),
            ...(q.method ? { method: q.method } : {}),
            ...(q.result ? { result: q.result } : {}),
          };
          const expected = lines
            .filter((l) => l.tenantId === A && l.time >= query.from && l.time <= query.to)
            .filter((l) => (!q.userId || l.userId === q.userId) && (!q.method || l.method === q.method) && (!q.result || l.result === q.result))
            .sort(newestFirst);
          const { pages } = await allPages(storeOver(table), A, query);
          expect(pages.flat()).toEqual(expected);
          expect(pages.every((p) => p.length <= q.limit)).toBe(true);
        },
      ),
      { numRuns: 150 },
    );
  });
});
