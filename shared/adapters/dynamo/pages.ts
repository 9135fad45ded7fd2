import { QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ValidationError } from '../../domain/errors';

/**
 * Opaque list cursors: the LastEvaluatedKey, base64url JSON. A cursor is only accepted for the
 * partition it came from, so one tenant's cursor can never page through another's data (R27).
 */
export function encodeCursor(key: Record<string, unknown> | undefined): string | undefined {
  return key ? Buffer.from(JSON.stringify(key)).toString('base64url') : undefined;
}

export function decodeCursor(
  cursor: string | undefined,
  partition: { readonly name: string; readonly value: string },
): Record<string, unknown> | undefined {
  if (cursor === undefined) return undefined;
  const invalid = new ValidationError('The cursor is not valid', [{ pointer: '/cursor', detail: 'use the cursor of a previous page' }]);
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid;
  }
  if (!key || typeof key !== 'object' || Array.isArray(key)) throw invalid;
  const record = key as Record<string, unknown>;
  if (record[partition.name] !== partition.value) throw invalid;
  if (!Object.values(record).every((v) => typeof v === 'string' || typeof v === 'number')) throw invalid;
  return record;
}

/**
 * The cursor of a merged log page: `{ pk, sk }`, the unsharded name of the log it pages and the
 * last sort key returned (the position in every shard; see DynamoLogStore.list). Accepted only for
 * that log (R27) and with a sort key inside the query's range; the sort key is returned.
 */
export function decodeLogCursor(cursor: string | undefined, log: string, from: string, to: string): string | undefined {
  const key = decodeCursor(cursor, { name: 'pk', value: log });
  if (key === undefined) return undefined;
  const { pk: _pk, sk, ...rest } = key;
  if (Object.keys(rest).length || typeof sk !== 'string' || sk < from || sk > to) {
    throw new ValidationError('The cursor is not valid', [{ pointer: '/cursor', detail: 'use the cursor of a previous page' }]);
  }
  return sk;
}

/** Every item a Query matches, page after page: for reads that must see all of a partition. */
export async function queryAll(db: DynamoDBDocumentClient, input: ConstructorParameters<typeof QueryCommand>[0]): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const out = await db.send(new QueryCommand({ ...input, ...(start ? { ExclusiveStartKey: start } : {}) }));
    items.push(...(out.Items ?? []));
    start = out.LastEvaluatedKey;
  } while (start);
  return items;
}
