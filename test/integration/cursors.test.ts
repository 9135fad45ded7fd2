import { expectProblem, TestApi, type Reply, type Tenant } from '../support/runtime';

let api: TestApi;
let a: Tenant;
let b: Tenant;

beforeAll(async () => {
  api = await TestApi.start();
  a = await api.createTenant('Cursor A');
  b = await api.createTenant('Cursor B');
  for (const t of [a, b]) {
    for (const id of ['cu1', 'cu2', 'cu3']) await api.putUser(t, id, '+14155550150');
    for (let i = 0; i < 3; i++) await api.createChallenge(t, 'cu1');
    for (const id of ['cu1', 'cu2']) {
      await admin(t, 'POST', `/v1/admin/users/${id}/block`, {});
      await admin(t, 'POST', `/v1/admin/users/${id}/unblock`, {});
    }
    const secret = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
    await api.request('POST', '/v1/admin/oath-tokens:import', {
      key: t.adminKey,
      rawBody: `serial,secret,interval\nCU-1,${secret},30\nCU-2,${secret},30\nCU-3,${secret},30\n`,
      headers: { 'content-type': 'text/csv' },
    });
  }
});

afterAll(() => api.stop());

function admin(t: Tenant, method: string, path: string, body?: unknown): Promise<Reply> {
  return api.request(method, path, { key: t.adminKey, ...(body === undefined ? {} : { body }) });
}

/** Every list of the API that pages, with a query that has a second page. */
const LISTS = [
  ['users', '/v1/admin/users?limit=1'],
  ['auth logs', '/v1/admin/auth-logs?limit=1'],
  ["a user's auth logs", '/v1/admin/auth-logs?limit=1&userId=cu1'],
  ['OATH tokens', '/v1/admin/oath-tokens?limit=1'],
  ['notifications', '/v1/admin/notifications?limit=1'],
] as const;

async function cursorOf(t: Tenant, path: string): Promise<string> {
  const page = await admin(t, 'GET', path);
  expect(page.status).toBe(200);
  expect(page.body.cursor).toEqual(expect.any(String));
  return page.body.cursor as string;
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const unb64 = (text: string): unknown => JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));

/**
 * The DynamoDB key a cursor carries, as anyone can read it: the cursor itself (base64url JSON),
 * or the `k` of its first dot-separated part.
 */
function keyIn(cursor: string): Record<string, unknown> {
  let value = unb64(cursor.split('.')[0] as string) as Record<string, unknown>;
  while (typeof value.k === 'string') value = unb64(value.k) as Record<string, unknown>;
  return value;
}

/** The cursor with its key replaced, in both shapes an attacker could try: bare, and inside the signed envelope. */
function forged(cursor: string, change: (key: Record<string, unknown>) => Record<string, unknown>): string[] {
  const key = change(keyIn(cursor));
  const [first, ...rest] = cursor.split('.');
  const envelope = unb64(first as string);
  const wrapped = typeof envelope === 'object' && envelope !== null && 'k' in envelope ? [[b64({ ...envelope, k: b64(key) }), ...rest].join('.')] : [];
  return [b64(key), ...wrapped];
}

describe('R29 list cursors are tamper-proof: any cursor we did not issue for this tenant and query is a 400', () => {
  it.each(LISTS)('R29: %s: a cursor with an extra or a missing key field is 400 problem+json, not 500', async (_name, path) => {
    const cursor = await cursorOf(a, path);
    const variants = [
      ...forged(cursor, (key) => ({ ...key, extra: 'x' })),
      ...forged(cursor, (key) => Object.fromEntries(Object.entries(key).filter(([name]) => !/sk$/.test(name)))),
      ...forged(cursor, (key) => ({ ...key, sk: 'zzzz' })),
    ];
    for (const variant of variants) expectProblem(await admin(a, 'GET', `${path}&cursor=${encodeURIComponent(variant)}`), 400, 'validation-failed');
  });

  it.each(LISTS)('R29: %s: an altered or truncated cursor is 400', async (_name, path) => {
    const cursor = await cursorOf(a, path);
    const middle = Math.floor(cursor.length / 2);
    const flip = (c: string) => (c === 'A' ? 'B' : 'A');
    const variants = [
      `${cursor.slice(0, middle)}${flip(cursor[middle] as string)}${cursor.slice(middle + 1)}`,
      `${cursor.slice(0, -1)}${flip(cursor.at(-1) as string)}`,
      cursor.slice(0, -3),
      cursor.slice(0, middle),
      `${cursor}A`,
      `${cursor}.x`,
    ];
    for (const variant of variants) expectProblem(await admin(a, 'GET', `${path}&cursor=${encodeURIComponent(variant)}`), 400, 'validation-failed');
    expect((await admin(a, 'GET', `${path}&cursor=${encodeURIComponent(cursor)}`)).status).toBe(200);
  });

  it.each(LISTS)("R27 R29: %s: another tenant's cursor is 400", async (_name, path) => {
    const cursor = await cursorOf(a, path);
    expectProblem(await admin(b, 'GET', `${path}&cursor=${encodeURIComponent(cursor)}`), 400, 'validation-failed');
  });

  it('R29: a cursor only pages the query it came from', async () => {
    const cross: [string, string][] = [
      ['/v1/admin/users?limit=1&prefix=cu', '/v1/admin/users?limit=1&prefix=cu2'],
      ['/v1/admin/users?limit=1', '/v1/admin/users?limit=1&blocked=false'],
      ['/v1/admin/auth-logs?limit=1', '/v1/admin/auth-logs?limit=1&userId=cu1'],
      ['/v1/admin/auth-logs?limit=1&userId=cu1', '/v1/admin/auth-logs?limit=1&userId=cu2'],
      ['/v1/admin/auth-logs?limit=1&method=sms', '/v1/admin/auth-logs?limit=1&method=voice'],
      ['/v1/admin/auth-logs?limit=1', `/v1/admin/auth-logs?limit=1&from=2020-01-01T00:00:00.000Z`],
      ['/v1/admin/users?limit=1', '/v1/admin/oath-tokens?limit=1'],
      ['/v1/admin/notifications?limit=1', '/v1/admin/auth-logs?limit=1'],
    ];
    for (const [from, to] of cross) {
      const cursor = await cursorOf(a, from);
      expectProblem(await admin(a, 'GET', `${to}&cursor=${encodeURIComponent(cursor)}`), 400, 'validation-failed');
      expect((await admin(a, 'GET', `${from}&cursor=${encodeURIComponent(cursor)}`)).status).toBe(200);
    }
  });

  it('R29: the page size may change between pages; every user is still listed once', async () => {
    const first = await admin(a, 'GET', '/v1/admin/users?limit=1');
    const rest = await admin(a, 'GET', `/v1/admin/users?limit=10&cursor=${encodeURIComponent(first.body.cursor as string)}`);
    const ids = [...(first.body.items as { userId: string }[]), ...(rest.body.items as { userId: string }[])].map((u) => u.userId);
    expect(ids).toEqual(['cu1', 'cu2', 'cu3']);
  });
});
