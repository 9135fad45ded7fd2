import type { AuthLogEntry, ChallengeAudit, Factor, LogResult } from '../../domain/types';
import type { Audit, UsageIncrement } from '../../ports';

/**
 * The attribute of a challenge item that carries the audits of its latest change (R23): the log
 * lines, usage counts and billing meter that the projection (`challenge-projection.ts`) writes
 * from the table's stream. Each change that has audits replaces it; a change without (a voice
 * attempt recorded, a fraud report done) leaves it, and the projection tells a new set from the
 * old one by its log ids.
 */
export const AUDITS_ATTRIBUTE = 'au';

/**
 * The fields a log line copies from the challenge's audit copy (`auditOf`): the item holds them
 * once, in `audit`, so the stored line leaves them out and `auditsOfItem` takes them from there.
 * Every change's line must agree with the item's copy (checked here at creation, and by the
 * update's condition on every later change).
 */
export const COPIED_FIELDS = ['firstName', 'lastName', 'email', 'clientIp'] as const;
type CopiedField = (typeof COPIED_FIELDS)[number];

/** A copied field's value as a line carries it: an empty string is no value (`auditOf` drops it). */
export function copiedValue(source: Partial<Record<CopiedField, string>> | undefined, field: CopiedField): string | undefined {
  const value = source?.[field];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** One audit as stored on the challenge: what the item itself says (tenant, challenge id, user id, its audit copy) left out. */
interface StoredAudit {
  /** The log line without `tenantId`, `challengeId` and the fields copied from the item's `audit`. */
  readonly l: Omit<AuthLogEntry, 'tenantId' | 'challengeId' | 'userId' | CopiedField>;
  /** Usage counts: result, delta, and day or method only where they differ from the line's. */
  readonly u?: readonly { readonly r: LogResult; readonly d: number; readonly day?: string; readonly m?: Factor }[];
  readonly b?: string;
}

/**
 * The audits of one change as the challenge item stores them. Every line of a challenge names
 * the challenge and its tenant (`auditOf`); a line of another is a bug, refused here rather than
 * logged under the wrong challenge.
 */
export function storedAudits(challenge: { challengeId: string; tenantId: string; userId: string; audit?: ChallengeAudit }, audits: readonly Audit[]): StoredAudit[] {
  return audits.map((audit) => {
    const { tenantId, challengeId, userId, firstName: _f, lastName: _l, email: _e, clientIp: _c, ...line } = audit.log;
    if (challengeId !== challenge.challengeId || tenantId !== challenge.tenantId || userId !== challenge.userId) {
      throw new Error('An audit of a challenge change must name that challenge, its tenant and its user');
    }
    if (challenge.audit && COPIED_FIELDS.some((f) => copiedValue(audit.log, f) !== copiedValue(challenge.audit, f))) {
      throw new Error('An audit of a challenge change must copy the challenge’s audit fields');
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
  const userId = item.userId;
  const copy = item.audit as Partial<Record<CopiedField, string>> | undefined;
  const copied: Partial<Record<CopiedField, string>> = {};
  for (const f of COPIED_FIELDS) {
    const value = copiedValue(copy, f);
    if (value !== undefined) copied[f] = value;
  }
  return (stored as StoredAudit[]).map((s) => {
    // A line stored before the copied fields were left out still carries them (and they win).
    const log = { userId, ...copied, ...s.l, tenantId, challengeId } as AuthLogEntry;
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
