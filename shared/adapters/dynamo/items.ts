/** An item without its key and index attributes (pk, sk, gsi1pk, gsi1sk) and TTL: the record it stores. */
export function recordOf<T>(item: Record<string, unknown>): T {
  const { pk: _pk, sk: _sk, gsi1pk: _g, gsi1sk: _s, ttl: _ttl, ...rest } = item;
  return rest as T;
}

/** `recordOf` for a read that may have found nothing. */
export function maybeRecordOf<T>(item: Record<string, unknown> | undefined): T | undefined {
  return item ? recordOf<T>(item) : undefined;
}
