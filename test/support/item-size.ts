/** An item's size as DynamoDB counts it (attribute names and values, UTF-8), near enough for a bound. */
export function itemBytes(value: unknown, name = ''): number {
  const own = Buffer.byteLength(name);
  if (typeof value === 'string') return own + Buffer.byteLength(value);
  if (typeof value === 'number') return own + Math.ceil(String(value).length / 2) + 1;
  if (typeof value === 'boolean' || value === null) return own + 1;
  if (Array.isArray(value)) return own + 3 + value.reduce((sum: number, v) => sum + 1 + itemBytes(v), 0);
  if (typeof value === 'object') return own + 3 + Object.entries(value as Record<string, unknown>).reduce((sum, [k, v]) => sum + 1 + itemBytes(v, k), 0);
  return own;
}
