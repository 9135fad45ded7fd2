import { GetCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { setTimeout as sleep } from 'node:timers/promises';
import { sha256Hex } from '../../domain/crypto';
import { GSI1 } from '../../tables';
import type { Challenge, DenialReason, VoiceAttemptRecord } from '../../domain/types';
import { ASSERTION_TTL_SECONDS, PASSKEY_STEP_UP_SECONDS } from '../../rules';
import type {
  ApproveInput,
  ApproveOutcome,
  Audit,
  ChallengeStore,
  ConditionalOutcome,
  CounterName,
  CreateOutcome,
  IdempotencyRecord,
  OwnerCheck,
  SettleOutcome,
  PushChallengeStore,
  VoiceChallengeStore,
} from '../../ports';
import type { AuditTables } from './audit';
import { AUDITS_ATTRIBUTE, COPIED_FIELDS, copiedValue, storedAudits } from './challenge-audits';
import { challengeOfItem, readChallenge } from './challenge-reader';
import { stepUseItem } from './otp-store';
import { passkeyUseItem } from './passkey-store';
import { accessPassUseItem, recoveryCodeUseItem } from './recovery-store';
import { tenantKeys, userEpochCondition } from './tenant-store';
import { throttleItems } from './throttle-store';
import { transact, type TransactItem } from './transact';


const ttlOf = (epochMs: number): number => Math.ceil(epochMs / 1000);
/**
 * An approved challenge is read with its assertion (R4) until the assertion expires, and may
 * authorise a new passkey (a relying app's step-up) for PASSKEY_STEP_UP_SECONDS: its item lives
 * that long after the approval, whatever the challenge's own expiry was.
 */
const approvedTtlOf = (approvedAt: number): number => ttlOf(approvedAt + Math.max(ASSERTION_TTL_SECONDS, PASSKEY_STEP_UP_SECONDS) * 1000);
const idempotencyPk = (tenantId: string, key: string): string => `idem#${tenantId}#${sha256Hex(key)}`;

/**
 * R7: open pushes are listed in gsi1 by deadline (ISO time), spread over a few partition keys so
 * that no single one takes every push's writes. Every write that settles a push removes the entry.
 */
export const PUSH_SWEEP_SHARDS = 4;
const dueKey = (shard: number): string => `pushdue#${shard}`;

function dueEntry(c: Challenge): Record<string, string> {
  if (c.method !== 'push' || c.status !== 'pending') return {};
  const shard = parseInt(sha256Hex(c.challengeId).slice(0, 2), 16) % PUSH_SWEEP_SHARDS;
  return { gsi1pk: dueKey(shard), gsi1sk: new Date(c.expiresAt).toISOString() };
}

/**
 * R7: how long a push is kept past its deadline. DynamoDB may delete an item any time after its
 * TTL, and the sweep may come up to a minute after the deadline: a push deleted before the sweep
 * (or a reader) settles it would never be counted towards fatigue. Readers ignore `ttl`.
 */
const PUSH_TTL_MARGIN_SECONDS = 3600;

function toItem(c: Challenge, audit: Audit): Record<string, unknown> {
  const ttl = c.method === 'push' ? ttlOf(c.expiresAt) + PUSH_TTL_MARGIN_SECONDS : ttlOf(c.expiresAt);
  return { pk: c.challengeId, ...c, ...dueEntry(c), ttl, [AUDITS_ATTRIBUTE]: storedAudits(c, [audit]) };
}

/** An update expression with one more assignment in its SET clause (or a SET clause added). */
function withSet(expression: string, assignment: string): string {
  const set = /\bSET\b/.exec(expression);
  if (!set) return `SET ${assignment} ${expression}`;
  const at = set.index + set[0].length;
  return `${expression.slice(0, at)} ${assignment},${expression.slice(at)}`;
}

/** The last item of an approval (a code factor's time step) failed its condition: the step was used (R5). */
const STEP_USED = Symbol('step used');

/** The owner check of an approval failed: the user was deleted or reset since the challenge started (R19). */
const REVOKED = Symbol('revoked');

/** The challenge is the tenant's, pending, unexpired and not locked (R1, R3, R27). */
const OPEN = 'tenantId = :tenantId AND #status = :pending AND expiresAt > :now AND wrongAttempts < :maxWrong';

function openValues(input: { tenantId: string; now: number; maxWrong: number }): Record<string, unknown> {
  return { ':tenantId': input.tenantId, ':pending': 'pending', ':now': input.now, ':maxWrong': input.maxWrong };
}

/**
 * Challenges in DynamoDB (R1–R3). Every state change is one transaction: a conditional update
 * of the challenge, which carries the change's auth-log line, usage counts and billing meter
 * (`AUDITS_ATTRIBUTE`), plus the throttle writes that go with it, so the table decides races (of
 * twenty verifies with the right code exactly one meets `status = pending`, R2). The log line and
 * counts are written from the table's stream by the projection (`challenge-projection.ts`), so no
 * approval exists without them once the stream is read (R23). Reads are strongly consistent, and
 * expiry is checked in every condition rather than left to TTL deletion (R1).
 */
export class DynamoChallengeStore implements ChallengeStore, VoiceChallengeStore, PushChallengeStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly audit: AuditTables,
    /** Where authenticator apps and hardware tokens live: their used time step is written with the approval (R5). */
    private readonly tenantsTable?: string,
  ) {}

  async create(challenge: Challenge, audit: Audit, idempotency?: IdempotencyRecord): Promise<CreateOutcome> {
    const effects = await this.throttleWrites([audit]);
    const items: TransactItem[] = [
      { Put: { TableName: this.tableName, Item: toItem(challenge, audit), ConditionExpression: 'attribute_not_exists(pk)' } },
      ...effects.items,
    ];
    if (!idempotency) {
      const outcome = await transact(this.db, items);
      if (outcome.kind === 'done') return this.committed([audit], { kind: 'created' });
      return { kind: 'throttled', by: effects.refusals[outcome.index - 1] ?? 'user_log_changed' };
    }
    const pk = idempotencyPk(idempotency.tenantId, idempotency.key);
    const { key: _key, ...record } = idempotency;
    const guard: TransactItem = {
      Put: {
        TableName: this.tableName,
        Item: { pk, ...record, ttl: ttlOf(idempotency.expiresAt) },
        // An expired record is gone even if TTL has not deleted it yet (R1's rule, applied here too).
        ConditionExpression: 'attribute_not_exists(pk) OR expiresAt <= :now',
        ExpressionAttributeValues: { ':now': challenge.createdAt },
      },
    };
    for (let attempt = 0; attempt < 5; attempt++) {
      const outcome = await transact(this.db, [guard, ...items]);
      if (outcome.kind === 'done') return this.committed([audit], { kind: 'created' });
      const refusal = outcome.index >= 2 ? effects.refusals[outcome.index - 2] : undefined;
      if (refusal) return { kind: 'throttled', by: refusal };
      const existing = await this.db.send(new GetCommand({ TableName: this.tableName, Key: { pk }, ConsistentRead: true }));
      if (existing.Item) return { kind: 'replayed', record: existing.Item as unknown as IdempotencyRecord };
      await sleep(Math.random() * 20);
    }
    throw new Error('Idempotency record neither written nor readable');
  }

  async getIdempotency(tenantId: string, key: string): Promise<IdempotencyRecord | undefined> {
    const out = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: { pk: idempotencyPk(tenantId, key) }, ConsistentRead: true }),
    );
    return out.Item as IdempotencyRecord | undefined;
  }

  async get(challengeId: string): Promise<Challenge | undefined> {
    return readChallenge(this.db, this.tableName, challengeId);
  }

  async approve(input: ApproveInput, audit: Audit): Promise<ApproveOutcome> {
    if ((input.otp || input.passkey || input.recovery || input.pass) && !this.tenantsTable) {
      throw new Error('A code-factor, passkey, recovery-code or access-pass approval needs the tenants table');
    }
    // A code factor's challenge has no hash; its time step is compare-and-set in the same
    // transaction (R5), as is a passkey's sign counter.
    const stepUse = input.otp
      ? stepUseItem(this.tenantsTable as string, input.otp)
      : input.passkey
        ? passkeyUseItem(this.tenantsTable as string, input.passkey)
        : input.recovery
          ? recoveryCodeUseItem(this.tenantsTable as string, input.recovery)
          : input.pass
            ? accessPassUseItem(this.tenantsTable as string, input.pass)
            : undefined;
    const outcome = await this.run(
      input.challengeId,
      {
        UpdateExpression: 'SET #status = :approved, approvedAt = :now, #ttl = :ttl REMOVE codeHash',
        ConditionExpression: input.codeHash === undefined ? `${OPEN} AND attribute_not_exists(codeHash)` : `${OPEN} AND codeHash = :hash`,
        ExpressionAttributeNames: { '#ttl': 'ttl' },
        ExpressionAttributeValues: {
          ...openValues(input),
          ':approved': 'approved',
          ':ttl': approvedTtlOf(input.now),
          ...(input.codeHash === undefined ? {} : { ':hash': input.codeHash }),
        },
      },
      audit,
      stepUse,
      input.owner,
    );
    return outcome === STEP_USED ? { kind: 'step_used' } : outcome === REVOKED ? { kind: 'revoked' } : outcome;
  }

  recordWrongCode(
    input: { challengeId: string; tenantId: string; now: number; maxWrong: number; seenWrongAttempts: number },
    audit: Audit,
  ) {
    return this.change(
      input.challengeId,
      {
        UpdateExpression: 'SET wrongAttempts = :next',
        ConditionExpression: `${OPEN} AND wrongAttempts = :seen`,
        ExpressionAttributeValues: { ...openValues(input), ':seen': input.seenWrongAttempts, ':next': input.seenWrongAttempts + 1 },
      },
      audit,
    );
  }

  replaceCode(
    input: {
      challengeId: string;
      tenantId: string;
      codeHash: string;
      now: number;
      expiresAt: number;
      maxWrong: number;
      maxSends: number;
      sentBefore: number;
    },
    audit: Audit,
  ) {
    return this.change(
      input.challengeId,
      {
        UpdateExpression: 'SET codeHash = :hash, expiresAt = :expiresAt, #ttl = :ttl, lastSentAt = :now, sends = sends + :one',
        ConditionExpression: `${OPEN} AND sends < :maxSends AND lastSentAt <= :sentBefore`,
        ExpressionAttributeNames: { '#ttl': 'ttl' },
        ExpressionAttributeValues: {
          ...openValues(input),
          ':hash': input.codeHash,
          ':expiresAt': input.expiresAt,
          ':ttl': ttlOf(input.expiresAt),
          ':one': 1,
          ':maxSends': input.maxSends,
          ':sentBefore': input.sentBefore,
        },
      },
      audit,
    );
  }

  async deny(input: { challengeId: string; reason: DenialReason }, audit: Audit): Promise<void> {
    await this.change(
      input.challengeId,
      {
        UpdateExpression: 'SET #status = :denied, denialReason = :reason REMOVE codeHash, gsi1pk, gsi1sk',
        ConditionExpression: '#status = :pending',
        ExpressionAttributeValues: { ':denied': 'denied', ':reason': input.reason, ':pending': 'pending' },
      },
      audit,
    );
  }

  recordAttempt(input: { challengeId: string; tenantId: string; attempt: VoiceAttemptRecord }): Promise<ConditionalOutcome> {
    return this.change(
      input.challengeId,
      {
        UpdateExpression: 'SET #voice.#attempts = list_append(#voice.#attempts, :attempt)',
        ConditionExpression: 'tenantId = :tenantId AND #status = :pending AND size(#voice.#attempts) = :index',
        ExpressionAttributeNames: { '#voice': 'voice', '#attempts': 'attempts' },
        ExpressionAttributeValues: {
          ':tenantId': input.tenantId,
          ':pending': 'pending',
          ':index': input.attempt.index,
          ':attempt': [input.attempt],
        },
      },
      [],
    );
  }

  finish(
    input: {
      challengeId: string;
      tenantId: string;
      result: { kind: 'approve' } | { kind: 'deny'; reason: DenialReason };
      attempts: readonly VoiceAttemptRecord[];
      now: number;
      owner?: OwnerCheck;
      fraudReportPendingSince?: number;
    },
    audits: readonly Audit[],
  ): Promise<SettleOutcome> {
    const approve = input.result.kind === 'approve';
    const owed = input.fraudReportPendingSince !== undefined;
    return this.settle(
      input.challengeId,
      {
        UpdateExpression: approve
          ? 'SET #status = :approved, approvedAt = :now, #ttl = :ttl, #voice.#attempts = :attempts'
          : `SET #status = :denied, denialReason = :reason, #voice.#attempts = :attempts${owed ? ', fraudReportPendingSince = :owed' : ''}`,
        // A late approval must not count (R1's rule for voice: the challenge's own expiry).
        ConditionExpression: `tenantId = :tenantId AND #status = :pending${approve ? ' AND expiresAt > :now' : ''}`,
        ExpressionAttributeNames: { '#voice': 'voice', '#attempts': 'attempts', ...(approve ? { '#ttl': 'ttl' } : {}) },
        ExpressionAttributeValues: {
          ':tenantId': input.tenantId,
          ':pending': 'pending',
          ':attempts': input.attempts,
          ...(input.result.kind === 'approve'
            ? { ':approved': 'approved', ':now': input.now, ':ttl': approvedTtlOf(input.now) }
            : { ':denied': 'denied', ':reason': input.result.reason, ...(owed ? { ':owed': input.fraudReportPendingSince } : {}) }),
        },
      },
      audits,
      approve ? input.owner : undefined,
    );
  }

  async fraudReportDone(input: { challengeId: string; tenantId: string }): Promise<void> {
    // Conditional on the item being there, so that a late call never recreates a deleted challenge.
    await this.change(
      input.challengeId,
      {
        UpdateExpression: 'REMOVE fraudReportPendingSince',
        ConditionExpression: 'tenantId = :tenantId AND #status = :denied',
        ExpressionAttributeValues: { ':tenantId': input.tenantId, ':denied': 'denied' },
      },
      [],
    );
  }

  /** R9: the device's answer (challenge unexpired) or the timeout (challenge expired), on a pending push. */
  settlePush(
    input: { challengeId: string; tenantId: string; result: { kind: 'approve' } | { kind: 'deny'; reason: DenialReason }; now: number; owner?: OwnerCheck },
    audit: Audit,
  ): Promise<SettleOutcome> {
    const approve = input.result.kind === 'approve';
    const timeout = input.result.kind === 'deny' && input.result.reason === 'timeout';
    return this.settle(
      input.challengeId,
      {
        UpdateExpression: `${approve ? 'SET #status = :approved, approvedAt = :now, #ttl = :ttl' : 'SET #status = :denied, denialReason = :reason'} REMOVE gsi1pk, gsi1sk`,
        ConditionExpression: `tenantId = :tenantId AND #status = :pending AND #method = :push AND expiresAt ${timeout ? '<=' : '>'} :now`,
        ExpressionAttributeNames: { '#method': 'method', ...(approve ? { '#ttl': 'ttl' } : {}) },
        ExpressionAttributeValues: {
          ':tenantId': input.tenantId,
          ':pending': 'pending',
          ':push': 'push',
          ':now': input.now,
          ...(input.result.kind === 'approve'
            ? { ':approved': 'approved', ':ttl': approvedTtlOf(input.now) }
            : { ':denied': 'denied', ':reason': input.result.reason }),
        },
      },
      audit,
      approve ? input.owner : undefined,
    );
  }

  /**
   * R7: ids of the pushes listed as open whose deadline is at or before `now`, a page at a time.
   * The index is eventually consistent: callers read each challenge again before acting on it.
   */
  async *duePushes(now: number): AsyncIterable<string[]> {
    for (let shard = 0; shard < PUSH_SWEEP_SHARDS; shard++) {
      let start: Record<string, unknown> | undefined;
      do {
        const page = await this.db.send(
          new QueryCommand({
            TableName: this.tableName,
            IndexName: GSI1.name,
            KeyConditionExpression: 'gsi1pk = :due AND gsi1sk <= :now',
            ExpressionAttributeValues: { ':due': dueKey(shard), ':now': new Date(now).toISOString() },
            ProjectionExpression: 'challengeId',
            ExclusiveStartKey: start,
          }),
        );
        const ids = (page.Items ?? []).map((item) => item.challengeId).filter((id): id is string => typeof id === 'string');
        if (ids.length > 0) yield ids;
        start = page.LastEvaluatedKey;
      } while (start);
    }
  }

  /** The throttle writes of a change's audits (R6–R8), with the limit each stands for. */
  private async throttleWrites(audits: readonly Audit[]): Promise<{ items: TransactItem[]; refusals: (CounterName | 'user_log_changed' | undefined)[] }> {
    const parts = await Promise.all(audits.map((a) => throttleItems(this.audit.throttleTable, a.throttle, this.audit.throttleKey)));
    return { items: parts.flatMap((p) => p.items), refusals: parts.flatMap((p) => p.refusals) };
  }

  private committed<T>(audits: readonly Audit[], outcome: T): T {
    if (audits.length > 0) this.audit.onCommitted?.(audits);
    return outcome;
  }

  private async change(
    challengeId: string,
    update: Parameters<DynamoChallengeStore['run']>[1],
    audit: Audit | readonly Audit[],
  ): Promise<ConditionalOutcome> {
    return (await this.run(challengeId, update, audit)) as ConditionalOutcome;
  }

  /** A change that may approve: with the owner check, `revoked` when the user is no longer the one it was issued to. */
  private async settle(
    challengeId: string,
    update: Parameters<DynamoChallengeStore['run']>[1],
    audit: Audit | readonly Audit[],
    owner: OwnerCheck | undefined,
  ): Promise<SettleOutcome> {
    const outcome = await this.run(challengeId, update, audit, undefined, owner);
    return outcome === REVOKED ? { kind: 'revoked' } : (outcome as ConditionalOutcome);
  }

  /**
   * R19: the approval commits only while the challenge's user exists under the credential epoch
   * the challenge was issued under; a deleted, recreated or reset user fails this check.
   */
  private ownerItem(owner: OwnerCheck): TransactItem {
    if (!this.tenantsTable) throw new Error('An approval with an owner check needs the tenants table');
    const epoch = userEpochCondition(owner.epoch);
    return {
      ConditionCheck: {
        TableName: this.tenantsTable,
        Key: { pk: tenantKeys.users({ tenantId: owner.tenantId, space: owner.space }), sk: owner.userId },
        // R19/R14: an approval needs the user as it was (not deleted or reset) and not blocked
        // since; a code or prompt, also not marked passkeys-only since.
        ConditionExpression: `${epoch.expression} AND attribute_not_exists(blocked)${owner.phishable ? ' AND (attribute_not_exists(phishingResistantOnly) OR phishingResistantOnly = :no)' : ''}`,
        ...(Object.keys(epoch.values).length || owner.phishable ? { ExpressionAttributeValues: { ...epoch.values, ...(owner.phishable ? { ':no': false } : {}) } } : {}),
      },
    };
  }

  private async run(
    challengeId: string,
    update: {
      UpdateExpression: string;
      ConditionExpression: string;
      ExpressionAttributeValues: Record<string, unknown>;
      ExpressionAttributeNames?: Record<string, string>;
    },
    audit: Audit | readonly Audit[],
    last?: TransactItem,
    owner?: OwnerCheck,
  ): Promise<ConditionalOutcome | typeof STEP_USED | typeof REVOKED> {
    const all = Array.isArray(audit) ? audit : [audit as Audit];
    const effects = await this.throttleWrites(all);
    // The change's audits replace the previous change's on the item; the stream carries both images.
    // The lines leave out what the item holds (its tenant, its audit copy), so the update's
    // condition checks the item holds what the lines say: a line of another tenant, or with other
    // names, is a bug and refused (thrown below), never logged as the item's.
    const first = all[0]?.log;
    const withAudits = !first
      ? update
      : {
          ...update,
          UpdateExpression: withSet(update.UpdateExpression, `#audits = :audits`),
          ConditionExpression: `(${update.ConditionExpression}) AND tenantId = :auTenant AND userId = :auUser AND ${COPIED_FIELDS.map((f) =>
            copiedValue(first, f) === undefined ? `(attribute_not_exists(#auCopy.#au_${f}) OR #auCopy.#au_${f} = :auEmpty)` : `#auCopy.#au_${f} = :au_${f}`,
          ).join(' AND ')}`,
          ExpressionAttributeNames: {
            ...update.ExpressionAttributeNames,
            '#audits': AUDITS_ATTRIBUTE,
            '#auCopy': 'audit',
            ...Object.fromEntries(COPIED_FIELDS.map((f) => [`#au_${f}`, f])),
          },
          ExpressionAttributeValues: {
            ...update.ExpressionAttributeValues,
            ':audits': storedAudits({ challengeId, tenantId: first.tenantId, userId: first.userId, audit: first }, all),
            ':auTenant': first.tenantId,
            ':auUser': first.userId,
            ...(COPIED_FIELDS.some((f) => copiedValue(first, f) === undefined) ? { ':auEmpty': '' } : {}),
            ...Object.fromEntries(COPIED_FIELDS.flatMap((f) => (copiedValue(first, f) === undefined ? [] : [[`:au_${f}`, copiedValue(first, f)]]))),
          },
        };
    const outcome = await transact(this.db, [
      {
        Update: {
          TableName: this.tableName,
          Key: { pk: challengeId },
          ...withAudits,
          ExpressionAttributeNames: { '#status': 'status', ...withAudits.ExpressionAttributeNames },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        },
      },
      ...effects.items,
      ...(last ? [last] : []),
      ...(owner ? [this.ownerItem(owner)] : []),
    ]);
    if (outcome.kind === 'done') return this.committed(all, { kind: 'done' });
    if (last && outcome.index === 1 + effects.items.length) return STEP_USED;
    if (owner && outcome.index === 1 + effects.items.length + (last ? 1 : 0)) return REVOKED;
    const refusal = outcome.index >= 1 ? effects.refusals[outcome.index - 1] : undefined;
    if (refusal) return { kind: 'throttled', by: refusal };
    const current = challengeOfItem(outcome.item);
    if (current && first && (current.tenantId !== first.tenantId || current.userId !== first.userId || COPIED_FIELDS.some((f) => copiedValue(current.audit, f) !== copiedValue(first, f)))) {
      throw new Error('An audit of a challenge change must name its tenant and user and copy the challenge’s audit fields');
    }
    return current ? { kind: 'refused', current } : { kind: 'refused' };
  }
}
