/** A weight as RFC 9110 writes it (12.4.2): 0 or 1, with at most three decimals. */
const QVALUE = /^(?:0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$/;

/**
 * Whether an Accept-Encoding header accepts gzip (RFC 9110, 12.5.3): named (or as x-gzip) with a
 * weight above 0, or not named while `*` is. A coding named twice takes its lower weight, and one
 * whose weight is malformed is taken as refused. No header, or one that names neither, means the
 * answer goes out as it is: a client that did not ask is never sent compressed bytes.
 */
export function acceptsGzip(header: string | undefined): boolean {
  const weights = new Map<string, number>();
  for (const item of (header ?? '').split(',')) {
    const [coding = '', ...params] = item.split(';').map((part) => part.trim().toLowerCase());
    if (!coding) continue;
    const q = params.find((p) => /^q\s*=/.test(p));
    const weight = q === undefined ? 1 : q.startsWith('q=') && QVALUE.test(q.slice(2)) ? Number(q.slice(2)) : 0;
    const name = coding === 'x-gzip' ? 'gzip' : coding;
    weights.set(name, Math.min(weight, weights.get(name) ?? 1));
  }
  return (weights.get('gzip') ?? weights.get('*') ?? 0) > 0;
}
