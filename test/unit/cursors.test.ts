import { randomBytes } from 'node:crypto';
import { PageCursors, type CursorBinding } from '../../shared/domain/cursors';
import { ValidationError } from '../../shared/domain/errors';
import { toProblem } from '../../shared/http/problem';

const key = randomBytes(32);
const cursors = new PageCursors({ get: async () => key });
const binding: CursorBinding = { tenantId: 'tn_a', list: 'users', query: { prefix: 'al', blocked: false, mfaEnabled: undefined } };
const position = Buffer.from(JSON.stringify({ pk: 'T#tn_a#U', sk: 'alice' })).toString('base64url');

async function sealed(): Promise<string> {
  return (await cursors.seal(binding, { items: [1], cursor: position }, { from: '2030-01-01T00:00:00.000Z', to: '2030-01-31T00:00:00.000Z' })).cursor as string;
}

async function refusal(cursor: string, as: CursorBinding = binding): Promise<ValidationError> {
  const error = await cursors.open(cursor, as).catch((e: unknown) => e);
  if (!(error instanceof ValidationError)) throw new Error(`expected a ValidationError for ${cursor}, got ${String(error)}`);
  return error;
}

describe('R29 signed list cursors', () => {
  it('R29: opens its own cursor for the same tenant, list and query, in any key order, with the position and time range', async () => {
    const reordered: CursorBinding = { tenantId: 'tn_a', list: 'users', query: { blocked: false, prefix: 'al' } };
    await expect(cursors.open(await sealed(), reordered)).resolves.toEqual({
      position,
      window: { from: '2030-01-01T00:00:00.000Z', to: '2030-01-31T00:00:00.000Z' },
    });
    await expect(cursors.open(undefined, binding)).resolves.toBeUndefined();
  });

  it('R29: the last page has no cursor', async () => {
    await expect(cursors.seal(binding, { items: [1] })).resolves.toEqual({ items: [1] });
  });

  it.each<[string, CursorBinding]>([
    ['another tenant', { ...binding, tenantId: 'tn_b' }],
    ['another list', { ...binding, list: 'oath-tokens' }],
    ['another filter value', { ...binding, query: { ...binding.query, prefix: 'bo' } }],
    ['a filter more', { ...binding, query: { ...binding.query, mfaEnabled: true } }],
    ['a filter less', { ...binding, query: { prefix: 'al' } }],
  ])('R29: refuses a cursor presented for %s with a 400', async (_name, other) => {
    const error = await refusal(await sealed(), other);
    expect(error.errors).toEqual([{ pointer: '/cursor', detail: expect.any(String) }]);
    expect(toProblem(error).statusCode).toBe(400);
  });

  it('R29: refuses an altered position, an altered or non-canonical MAC, a truncated or padded cursor, and a bare key', async () => {
    const cursor = await sealed();
    const [payload, mac] = cursor.split('.') as [string, string];
    const moved = Buffer.from(JSON.stringify({ position: Buffer.from(JSON.stringify({ pk: 'T#tn_a#U', sk: 'zed' })).toString('base64url') })).toString('base64url');
    const last = mac.at(-1) as string;
    const spareBits = String.fromCharCode(last.charCodeAt(0) + 1); // same bytes, another spelling
    for (const bad of [`${moved}.${mac}`, `${payload}.${mac.slice(0, -1)}${spareBits}`, cursor.slice(0, -2), `${cursor}A`, `${cursor}.`, position, payload, '', '.', `${payload}.${mac}.${mac}`]) {
      expect(toProblem(await refusal(bad)).statusCode).toBe(400);
    }
  });
});
