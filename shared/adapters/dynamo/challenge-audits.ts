import type { AuthLogEntry, Factor, LogResult } from '../../domain/types';
import type { Audit, UsageIncrement } from '../../ports';

/**
 * The attribute of a challenge item that carries the audits of its latest change (R23): the log
 * lines, usage counts and billing meter that the projection (`challenge-projection.ts`) writes
 * from the table's stream. Each change that has audits replaces it; a change without (a voice
 * attempt recorded, a fraud report done) leaves it, and the projection tells a new set from the
 * old one by its log ids.
 */
export const AUDITS_ATTRIBUTE = 'au';

/** One audit as stored on the challenge: what the item itself says (tenant, challenge id) left out. */
interface StoredAudit {
  /** The log line without `tenantId` and `challengeId`. */
  readonly l: Omit<AuthLogEntry, 'tenantId' | 'challengeId'>;
  /** Usage counts: result, delta, and day or method only where they differ from the line's. */
  readonly u?: readonly { readonly r: LogResult; readonly d: number; readonly day?: string; readonly m?: Factor }[];
  readonly b?: string;
}

/**
 * The audits of one change as the challenge item stores them. Every line of a challenge names
 * the challenge and its tenant (`auditOf`); a line of another is a bug, refused here rather than
 * logged under the wrong challenge.
 */
export function storedAudits(challenge: { challengeId: string; tenantId?: string }, audits: readonly Audit[]): StoredAudit[] {
  return audits.map((audit) => {
    const { tenantId, challengeId, ...line } = audit.log;
    if (challengeId !== challenge.challengeId || (challenge.tenantId !== undefined && tenantId !== challenge.tenantId)) {
      throw new Error('An audit of a challenge change must name that challenge and its tenant');
    }
    for (const u of audit.usage) if (u.tenantId !== tenantId) throw new Error('A usage count of a challenge change must be its tenant’s');
    const day = line.time.slice(0, 10);
    const usage = audit.usage.map((u) => ({ r: u.result, d: u.delta, ...(u.day !== day ? { day: u.day } : {}), ...(u.method !== line.method ? { m: u.method } : {}) }));
    return { l: line, ...(usage.length > 0 ? { u: usage } : {}), ...(audit.billedTo ? { b: audit.billedTo } : {}) };
  });
}

/** The audits a challenge item (a stream image) carries, as they were given to the store. */
export function auditsOfItem(item: Record<string, unknown> | undefined): Audit[] {
  const stored = item?.[AUDITS_ATTRIBUTE];
  if (!Array.isArray(stored) || typeof item?.challengeId !== 'string' || typeof item.tenantId !== 'string') return [];
  const tenantId = item.tenantId;
  const challengeId = item.challengeId;
  return (stored as StoredAudit[]).map((s) => {
    const log = { ...s.l, tenantId, challengeId } as AuthLogEntry;
    const usage: UsageIncrement[] = (s.u ?? []).map((u) => ({
      tenantId,
      day: u.day ?? log.time.slice(0, 10),
      method: (u.m ?? log.method) as Factor,
      result: u.r,
      delta: Number(u.d),
    }));
    return { log, usage, ...(s.b ? { billedTo: s.b } : {}) };
  });
}
