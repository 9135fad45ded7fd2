import type { PhoneType } from '../../domain/types';
import type { PhoneClassifier } from '../../ports';

/**
 * R30 for bulk imports: Pinpoint's PhoneNumberValidate takes one number per call and End User
 * Messaging offers no batch lookup, so a job's batches remember each number's line type for an
 * hour (a number shared by many rows, an office switchboard, is looked up once per container).
 * Lookups of the same number at the same time share one call. Failures are not remembered.
 */
export class CachedPhoneClassifier implements PhoneClassifier {
  private readonly cache = new Map<string, { at: number; type: Promise<PhoneType> }>();

  constructor(
    private readonly inner: PhoneClassifier,
    private readonly now: () => number,
    private readonly options: { maxEntries: number; ttlMs: number } = { maxEntries: 50_000, ttlMs: 60 * 60 * 1000 },
  ) {}

  classify(e164: string): Promise<PhoneType> {
    const hit = this.cache.get(e164);
    if (hit && this.now() - hit.at < this.options.ttlMs) return hit.type;
    if (this.cache.size >= this.options.maxEntries) this.cache.delete(this.cache.keys().next().value as string);
    const type = this.inner.classify(e164);
    this.cache.set(e164, { at: this.now(), type });
    type.catch(() => this.cache.delete(e164));
    return type;
  }
}
