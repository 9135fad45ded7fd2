/**
 * In-memory fakes of the ports, for the unit tests. Each one keeps the contract of its real
 * adapter: the challenge store refuses exactly what the DynamoDB conditions refuse, writes its
 * audit (log line and usage counts) only when the change is made, and hands out copies, so a
 * test cannot pass because it shares an object with the store.
 */
import { decodeCursor, encodeCursor } from '../../shared/adapters/dynamo/pages';
import { sha256Hex } from '../../shared/domain/crypto';
import { EMPTY_THROTTLE, type UserThrottleState } from '../../shared/domain/throttling';
import {
  DEFAULT_SETTINGS,
  type ApiKeyRecord,
  type ApiScope,
  type AuthLogEntry,
  type Challenge,
  type DenialReason,
  type Factor,
  type LogResult,
  type Notification,
  type PhoneType,
  type Principal,
  type Provider,
  type Tenant,
  type TenantCaps,
  type TenantSettings,
  type User,
  type VoiceAttemptRecord,
  type VoiceChallengeState,
} from '../../shared/domain/types';
import type {
  ApproveOutcome,
  Audit,
  AuthLogQuery,
  AuthLogStore,
  ChallengeStore,
  Clock,
  ConditionalOutcome,
  CounterName,
  CreateOutcome,
  IdempotencyRecord,
  Log,
  NotificationStore,
  Page,
  PasskeyUse,
  RecoveryCodeUse,
  AccessPassUse,
  PhoneClassifier,
  PushChallengeStore,
  ServiceSecretStore,
  SigningKeyRecord,
  SigningKeyStore,
  SmsMessage,
  SmsSender,
  TenantStore,
  ThrottleStore,
  ThrottleWrites,
  UsageRow,
  UsageStore,
  UserQuery,
  UserCredentialStore,
  UserScope,
  UserStore,
  UserWrite,
  VoiceChallengeStore,
  WebhookSender,
} from '../../shared/ports';

/** 2030-01-01T12:00:00Z: far from the real clock, so a test that reads Date.now() shows up. */
export const T0 = Date.UTC(2030, 0, 1, 12, 0, 0);

/** A clock that stands still until a test moves it. */
export class FakeClock implements Clock {
  constructor(private ms: number = T0) {}

  now(): number {
    return this.ms;
  }

  advance(seconds: number): void {
    this.ms += seconds * 1000;
  }

  set(epochMs: number): void {
    this.ms = epochMs;
  }
}

/**
 * A deep copy made in the test's own realm: Jest's `structuredClone` comes from outside the
 * test's VM context, so its objects fail prototype checks such as `isDeepStrictEqual`. A JSON
 * round trip also drops `undefined`, as a stored DynamoDB item does.
 */
const copy = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

type ThrottleCondition = CounterName | 'user_log_changed';

interface ThrottleUserItem {
  readonly recent?: readonly number[];
  readonly version?: number;
  readonly wrongStreak?: number;
  readonly lastWrongAt?: number;
  readonly denials?: readonly number[];
  readonly pausedUntil?: number;
}

/**
 * Throttling state (R6–R8) like `DynamoThrottleStore` and the throttle items of a challenge
 * transaction (`throttleItems`): the user's sliding log is compare-and-set on `version`, each
 * window counter must be below its limit, the streak is a plain update. Counters are kept per
 * name, subject and window index, as the adapter's keys are.
 */
export class InMemoryThrottleStore implements ThrottleStore {
  private readonly users = new Map<string, ThrottleUserItem>();
  private readonly counters = new Map<string, number>();

  async getUserState(tenantId: string, userId: string): Promise<UserThrottleState> {
    const item = this.users.get(throttleUserKey(tenantId, userId));
    if (!item) return EMPTY_THROTTLE;
    return copy({
      recent: item.recent ?? [],
      wrongStreak: item.wrongStreak ?? 0,
      ...(item.lastWrongAt ? { lastWrongAt: item.lastWrongAt } : {}),
      denials: item.denials ?? [],
      ...(item.pausedUntil ? { pausedUntil: item.pausedUntil } : {}),
      version: item.version ?? 0,
    });
  }

  async setFatigue(
    tenantId: string,
    userId: string,
    fatigue: { denials: readonly number[]; pausedUntil?: number },
    expectedVersion: number,
  ): Promise<boolean> {
    const key = throttleUserKey(tenantId, userId);
    const item = this.users.get(key) ?? {};
    if (!versionIs(item, expectedVersion)) return false;
    const { pausedUntil: _old, ...rest } = item;
    this.users.set(key, {
      ...rest,
      denials: [...fatigue.denials],
      version: expectedVersion + 1,
      ...(fatigue.pausedUntil ? { pausedUntil: fatigue.pausedUntil } : {}),
    });
    return true;
  }

  /** Same rule as the adapter: one unit of a fixed window, if the count is below the limit. */
  async take(counter: { name: string; subject: string; limit: number; windowSeconds: number; now: number }): Promise<boolean> {
    const key = counterKey(counter.name, counter.subject, counter.windowSeconds, counter.now);
    const count = this.counters.get(key) ?? 0;
    if (count >= counter.limit) return false;
    this.counters.set(key, count + 1);
    return true;
  }

  /** Writes made by `add`, for tests that count what a container hands over. */
  adds = 0;

  async add(counter: { name: string; subject: string; windowSeconds: number; now: number; units: number }): Promise<number> {
    const key = counterKey(counter.name, counter.subject, counter.windowSeconds, counter.now);
    const count = (this.counters.get(key) ?? 0) + counter.units;
    this.counters.set(key, count);
    this.adds++;
    return count;
  }

  async clear(tenantId: string, userId: string): Promise<void> {
    const key = throttleUserKey(tenantId, userId);
    const { pausedUntil: _paused, lastWrongAt: _last, ...rest } = this.users.get(key) ?? {};
    this.users.set(key, { ...rest, denials: [], wrongStreak: 0, version: (rest.version ?? 0) + 1 });
  }

  /** The first of these writes whose condition fails now, in the adapter's transaction order. */
  refusalOf(writes: ThrottleWrites | undefined): ThrottleCondition | undefined {
    if (!writes) return undefined;
    if (writes.userLog) {
      const { tenantId, userId, expectedVersion } = writes.userLog;
      if (!versionIs(this.users.get(throttleUserKey(tenantId, userId)) ?? {}, expectedVersion)) return 'user_log_changed';
    }
    for (const c of writes.counters ?? []) {
      if ((this.counters.get(counterKey(c.name, c.subject, c.windowSeconds, c.now)) ?? 0) >= c.limit) return c.name;
    }
    if (writes.fatigue) {
      const { tenantId, userId, expectedVersion } = writes.fatigue;
      if (!versionIs(this.users.get(throttleUserKey(tenantId, userId)) ?? {}, expectedVersion)) return 'user_log_changed';
    }
    return undefined;
  }

  /** Makes the writes; call only when `refusalOf` found none failing, with no `await` in between. */
  apply(writes: ThrottleWrites | undefined): void {
    if (!writes) return;
    if (writes.userLog) {
      const { tenantId, userId, recent, expectedVersion, resetStreak } = writes.userLog;
      const key = throttleUserKey(tenantId, userId);
      const item = this.users.get(key) ?? {};
      const { wrongStreak: _streak, lastWrongAt: _last, ...withoutStreak } = item;
      this.users.set(key, { ...(resetStreak ? withoutStreak : item), recent: [...recent], version: expectedVersion + 1 });
    }
    for (const c of writes.counters ?? []) {
      const key = counterKey(c.name, c.subject, c.windowSeconds, c.now);
      this.counters.set(key, (this.counters.get(key) ?? 0) + 1);
    }
    if (writes.streak) {
      const { tenantId, userId, change, now } = writes.streak;
      const key = throttleUserKey(tenantId, userId);
      const item = this.users.get(key) ?? {};
      this.users.set(
        key,
        change === 'wrong' ? { ...item, wrongStreak: (item.wrongStreak ?? 0) + 1, lastWrongAt: now } : { ...item, wrongStreak: 0 },
      );
    }
    if (writes.fatigue) {
      const { tenantId, userId, denials, pausedUntil, expectedVersion } = writes.fatigue;
      const key = throttleUserKey(tenantId, userId);
      const { pausedUntil: _old, ...rest } = this.users.get(key) ?? {};
      this.users.set(key, { ...rest, denials: [...denials], version: expectedVersion + 1, ...(pausedUntil ? { pausedUntil } : {}) });
    }
  }

  /** A window counter as it stands (for assertions). */
  count(name: CounterName, subject: string, windowSeconds: number, now: number): number {
    return this.counters.get(counterKey(name, subject, windowSeconds, now)) ?? 0;
  }
}

const throttleUserKey = (tenantId: string, userId: string): string => `U#${tenantId}#${userId}`;
const counterKey = (name: string, subject: string, windowSeconds: number, now: number): string =>
  `C#${name}#${subject}#${Math.floor(now / (windowSeconds * 1000))}`;

/** The adapter's version condition: absent or 0 when 0 is expected, else equal. */
function versionIs(item: ThrottleUserItem, expected: number): boolean {
  return expected === 0 ? item.version === undefined || item.version === 0 : item.version === expected;
}

/**
 * Auth logs, usage counters and notifications, like `DynamoLogStore` and `DynamoNotificationStore`
 * together (which serve the three ports from the logs and usage tables). The challenge store writes its audits here too, as
 * the DynamoDB adapter writes them into the same tables in the same transaction; throttle
 * writes that come with an audit go to `throttle`.
 */
export class InMemoryLogStore implements AuthLogStore, UsageStore, NotificationStore {
  /** Every audit written, in order (challenge changes and appended refusals alike). */
  readonly audits: Audit[] = [];
  private readonly counters = new Map<string, UsageRow & { tenantId: string }>();
  private readonly notes: Notification[] = [];

  constructor(readonly throttle: InMemoryThrottleStore = new InMemoryThrottleStore()) {}

  /** Like the adapter, which ignores the outcome of its transaction: throttle writes that fail take the line with them. */
  async append(audit: Audit): Promise<void> {
    if (this.throttle.refusalOf(audit.throttle)) return;
    this.write(audit);
  }

  /**
   * Writes an audit at once (no `await`), so a caller can make it atomic with its own change:
   * its throttle writes, its log line and its usage counts. Check `throttle.refusalOf` first.
   */
  write(audit: Audit): void {
    this.throttle.apply(audit.throttle);
    this.audits.push(copy(audit));
    for (const u of audit.usage) {
      const key = `${u.tenantId}#${u.day}#${u.method}#${u.result}`;
      const row = this.counters.get(key) ?? { tenantId: u.tenantId, day: u.day, method: u.method, result: u.result, count: 0 };
      this.counters.set(key, { ...row, count: row.count + u.delta });
    }
  }

  /** The log lines written, oldest first (for assertions). */
  lines(tenantId?: string): AuthLogEntry[] {
    return this.audits.map((a) => copy(a.log)).filter((l) => tenantId === undefined || l.tenantId === tenantId);
  }

  /** One usage counter as it stands (0 when never touched). */
  count(tenantId: string, day: string, method: Factor, result: LogResult): number {
    return this.counters.get(`${tenantId}#${day}#${method}#${result}`)?.count ?? 0;
  }

  /** Newest first in [from, to]; `limit` is applied before the method/result filters, as a DynamoDB Query does. */
  async list(tenantId: string, query: AuthLogQuery): Promise<Page<AuthLogEntry>> {
    const pk = query.userId === undefined ? `AUTH#${tenantId}` : `AUTH#${tenantId}#USER#${query.userId}`;
    const sk = (l: AuthLogEntry) => `${l.time}#${l.logId}`;
    const start = decodeCursor(query.cursor, { name: 'pk', value: pk });
    const inRange = this.lines(tenantId)
      .filter((l) => query.userId === undefined || l.userId === query.userId)
      .filter((l) => sk(l) >= query.from && sk(l) <= `${query.to}\uffff`)
      .sort((a, b) => (sk(a) < sk(b) ? 1 : sk(a) > sk(b) ? -1 : 0))
      .filter((l) => start === undefined || sk(l) < String(start.sk));
    const read = inRange.slice(0, query.limit);
    const last = read.at(-1);
    const cursor = read.length === query.limit && last ? encodeCursor({ pk, sk: sk(last) }) : undefined;
    const items = read.filter((l) => (!query.method || l.method === query.method) && (!query.result || l.result === query.result));
    return { items, ...(cursor ? { cursor } : {}) };
  }

  async month(tenantId: string, month: string): Promise<UsageRow[]> {
    return [...this.counters.values()]
      .filter((r) => r.tenantId === tenantId && r.day.startsWith(`${month}-`) && r.count !== 0)
      .map(({ day, method, result, count }) => ({ day, method, result, count }));
  }

  /** Like the adapter's Put: the same tenant, time and id is the same item, replaced. */
  async add(notification: Notification): Promise<void> {
    const same = (n: Notification) =>
      n.tenantId === notification.tenantId && n.time === notification.time && n.notificationId === notification.notificationId;
    const at = this.notes.findIndex(same);
    if (at >= 0) this.notes.splice(at, 1, copy(notification));
    else this.notes.push(copy(notification));
  }

  async listNotifications(tenantId: string, query: { limit: number; cursor?: string }): Promise<Page<Notification>> {
    const pk = `NOTE#${tenantId}`;
    const sk = (n: Notification) => `${n.time}#${n.notificationId}`;
    const start = decodeCursor(query.cursor, { name: 'pk', value: pk });
    const read = this.notes
      .filter((n) => n.tenantId === tenantId)
      .sort((a, b) => (sk(a) < sk(b) ? 1 : sk(a) > sk(b) ? -1 : 0))
      .filter((n) => start === undefined || sk(n) < String(start.sk))
      .slice(0, query.limit)
      .map(copy);
    const last = read.at(-1);
    const cursor = read.length === query.limit && last ? encodeCursor({ pk, sk: sk(last) }) : undefined;
    return { items: read, ...(cursor ? { cursor } : {}) };
  }
}

type Open = { challengeId: string; tenantId: string; now: number; maxWrong: number };

/**
 * Challenges and Idempotency-Key records in two maps. Every change checks its condition, then
 * the conditions of its throttle writes, and makes the change with its audit without an
 * `await` in between, so, like a DynamoDB transaction, it is atomic with respect to concurrent
 * calls, and a refused change writes nothing. The challenge's condition comes first, as its
 * item comes first in the adapter's transaction. `audits` holds what this store committed;
 * the shared log store (and its throttle store) get the same.
 */
export class InMemoryChallengeStore implements ChallengeStore, VoiceChallengeStore, PushChallengeStore {
  readonly audits: Audit[] = [];
  /** Passkeys whose sign counters approvals move (set by tests of the passkey factor). */
  passkeys?: { counterIs(use: PasskeyUse): boolean; useCounter(use: PasskeyUse): void };
  /** Recovery codes and access passes that approvals spend (set by tests of those factors). */
  recovery?: { usable(input: { recovery?: RecoveryCodeUse; pass?: AccessPassUse }): boolean; use(input: { recovery?: RecoveryCodeUse; pass?: AccessPassUse }): void };
  private readonly challenges = new Map<string, Challenge>();
  private readonly idempotency = new Map<string, Omit<IdempotencyRecord, 'key'>>();

  constructor(readonly logs: InMemoryLogStore = new InMemoryLogStore()) {}

  async create(challenge: Challenge, audit: Audit, idempotency?: IdempotencyRecord): Promise<CreateOutcome> {
    if (this.challenges.has(challenge.challengeId)) throw new Error(`challenge ${challenge.challengeId} already exists`);
    const pk = idempotency && `idem#${idempotency.tenantId}#${sha256Hex(idempotency.key)}`;
    const existing = pk && this.idempotency.get(pk);
    // Same condition as DynamoDB: absent, or expired at the time of the new challenge.
    if (existing && existing.expiresAt > challenge.createdAt) {
      // The adapter stores the record without the key itself, and hands back what it stored.
      return { kind: 'replayed', record: copy(existing) as IdempotencyRecord };
    }
    const refusal = this.logs.throttle.refusalOf(audit.throttle);
    if (refusal) return { kind: 'throttled', by: refusal };
    if (pk && idempotency) {
      const { key: _key, ...record } = idempotency;
      this.idempotency.set(pk, copy(record));
    }
    this.challenges.set(challenge.challengeId, copy(challenge));
    this.commit(audit);
    return { kind: 'created' };
  }

  /** As stored, without the key, whether or not it has expired (the caller checks `expiresAt`). */
  async getIdempotency(tenantId: string, key: string): Promise<IdempotencyRecord | undefined> {
    const found = this.idempotency.get(`idem#${tenantId}#${sha256Hex(key)}`);
    return found && (copy(found) as IdempotencyRecord);
  }

  async get(challengeId: string): Promise<Challenge | undefined> {
    const found = this.challenges.get(challengeId);
    return found && copy(found);
  }

  /**
   * Like the adapter: a passkey's sign counter is compare-and-set with the approval (`step_used`
   * when it moved meanwhile), checked after the challenge's own condition, as the transaction
   * orders them; the passkeys live in `passkeys` when a test gives them.
   */
  async approve(input: Open & { codeHash?: string; passkey?: PasskeyUse; recovery?: RecoveryCodeUse; pass?: AccessPassUse }, audit: Audit): Promise<ApproveOutcome> {
    const { passkey } = input;
    const before = this.challenges.get(input.challengeId);
    if (passkey && before && isOpen(before, input) && before.codeHash === input.codeHash && !this.passkeys?.counterIs(passkey)) return { kind: 'step_used' };
    const spends = input.recovery || input.pass ? input : undefined;
    if (spends && before && isOpen(before, input) && before.codeHash === input.codeHash && !this.recovery?.usable(spends)) return { kind: 'step_used' };
    const outcome = this.update(
      input.challengeId,
      (c) => isOpen(c, input) && c.codeHash === input.codeHash,
      (c) => {
        const { codeHash: _removed, ...rest } = c;
        return { ...rest, status: 'approved', approvedAt: input.now };
      },
      audit,
    );
    if (outcome.kind === 'done' && passkey) this.passkeys?.useCounter(passkey);
    if (outcome.kind === 'done' && spends) this.recovery?.use(spends);
    return outcome;
  }

  async recordWrongCode(input: Open & { seenWrongAttempts: number }, audit: Audit): Promise<ConditionalOutcome> {
    return this.update(
      input.challengeId,
      (c) => isOpen(c, input) && c.wrongAttempts === input.seenWrongAttempts,
      (c) => ({ ...c, wrongAttempts: input.seenWrongAttempts + 1 }),
      audit,
    );
  }

  async replaceCode(
    input: Open & { codeHash: string; expiresAt: number; maxSends: number; sentBefore: number },
    audit: Audit,
  ): Promise<ConditionalOutcome> {
    return this.update(
      input.challengeId,
      (c) => isOpen(c, input) && c.sends < input.maxSends && c.lastSentAt <= input.sentBefore,
      (c) => ({
        ...c,
        codeHash: input.codeHash,
        expiresAt: input.expiresAt,
        lastSentAt: input.now,
        sends: c.sends + 1,
      }),
      audit,
    );
  }

  async deny(input: { challengeId: string; reason: DenialReason }, audit: Audit): Promise<void> {
    this.update(
      input.challengeId,
      (c) => c.status === 'pending',
      (c) => {
        const { codeHash: _removed, ...rest } = c;
        return { ...rest, status: 'denied', denialReason: input.reason };
      },
      audit,
    );
  }

  /** R13: the tenant's, pending, and this call is the next one (a retried step records nothing twice). */
  async recordAttempt(input: { challengeId: string; tenantId: string; attempt: VoiceAttemptRecord }): Promise<ConditionalOutcome> {
    return this.update(
      input.challengeId,
      (c) => c.tenantId === input.tenantId && c.status === 'pending' && c.voice?.attempts.length === input.attempt.index,
      (c) => ({ ...c, voice: { ...voiceOf(c), attempts: [...voiceOf(c).attempts, input.attempt] } }),
      [],
    );
  }

  /** The tenant's and pending; an approval also unexpired at `now`. Every call's audit and the result's go with it. */
  async finish(
    input: {
      challengeId: string;
      tenantId: string;
      result: { kind: 'approve' } | { kind: 'deny'; reason: DenialReason };
      attempts: readonly VoiceAttemptRecord[];
      now: number;
      fraudReportPendingSince?: number;
    },
    audits: readonly Audit[],
  ): Promise<ConditionalOutcome> {
    const { result, fraudReportPendingSince } = input;
    return this.update(
      input.challengeId,
      (c) => c.tenantId === input.tenantId && c.status === 'pending' && (result.kind === 'deny' || c.expiresAt > input.now),
      (c) => {
        const voice = { ...voiceOf(c), attempts: [...input.attempts] };
        return result.kind === 'approve'
          ? { ...c, status: 'approved', approvedAt: input.now, voice }
          : { ...c, status: 'denied', denialReason: result.reason, voice, ...(fraudReportPendingSince !== undefined ? { fraudReportPendingSince } : {}) };
      },
      audits,
    );
  }

  async fraudReportDone(input: { challengeId: string; tenantId: string }): Promise<void> {
    this.update(
      input.challengeId,
      (c) => c.tenantId === input.tenantId && c.status === 'denied',
      ({ fraudReportPendingSince: _done, ...rest }) => rest,
      [],
    );
  }

  /** R9: the tenant's pending push; a `timeout` needs it expired at `now`, an answer unexpired. */
  async settlePush(
    input: { challengeId: string; tenantId: string; result: { kind: 'approve' } | { kind: 'deny'; reason: DenialReason }; now: number },
    audit: Audit,
  ): Promise<ConditionalOutcome> {
    const { result, now } = input;
    const timeout = result.kind === 'deny' && result.reason === 'timeout';
    return this.update(
      input.challengeId,
      (c) => c.tenantId === input.tenantId && c.status === 'pending' && c.method === 'push' && (timeout ? c.expiresAt <= now : c.expiresAt > now),
      (c) => (result.kind === 'approve' ? { ...c, status: 'approved', approvedAt: now } : { ...c, status: 'denied', denialReason: result.reason }),
      audit,
    );
  }

  /** R7: like the adapter's index of open pushes: every pending push whose deadline is at or before `now`. */
  async *duePushes(now: number): AsyncIterable<string[]> {
    const ids = [...this.challenges.values()].filter((c) => c.method === 'push' && c.status === 'pending' && c.expiresAt <= now).map((c) => c.challengeId);
    if (ids.length > 0) yield ids;
  }

  /** Every stored challenge, as stored (for tests that look at what is at rest). */
  all(): Challenge[] {
    return [...this.challenges.values()].map(copy);
  }

  private update(
    challengeId: string,
    condition: (current: Challenge) => boolean,
    change: (current: Challenge) => Challenge,
    audit: Audit | readonly Audit[],
  ): ConditionalOutcome {
    const audits: readonly Audit[] = Array.isArray(audit) ? audit : [audit as Audit];
    const current = this.challenges.get(challengeId);
    if (!current) return { kind: 'refused' };
    if (!condition(current)) return { kind: 'refused', current: copy(current) };
    for (const a of audits) {
      const refusal = this.logs.throttle.refusalOf(a.throttle);
      if (refusal) return { kind: 'throttled', by: refusal };
    }
    this.challenges.set(challengeId, change(current));
    for (const a of audits) this.commit(a);
    return { kind: 'done' };
  }

  private commit(audit: Audit): void {
    this.audits.push(copy(audit));
    this.logs.write(audit);
  }
}

/** The adapter sets `voice.attempts` inside an existing map: on a challenge without one, DynamoDB refuses the update. */
function voiceOf(c: Challenge): VoiceChallengeState {
  if (!c.voice) throw new Error(`ValidationException: challenge ${c.challengeId} has no voice state to update`);
  return c.voice;
}

/** The DynamoDB adapter's OPEN condition: the tenant's, pending, unexpired, not locked. */
function isOpen(c: Challenge, input: { tenantId: string; now: number; maxWrong: number }): boolean {
  return c.tenantId === input.tenantId && c.status === 'pending' && c.expiresAt > input.now && c.wrongAttempts < input.maxWrong;
}

/** Tenants and their API keys, keyed like the DynamoDB adapter: a key is found by tenant and key id together. */
export class InMemoryTenantStore implements TenantStore {
  private readonly tenants = new Map<string, Tenant>();
  private readonly keys = new Map<string, ApiKeyRecord>();
  private readonly history = new Map<string, Provider[]>();

  async createTenant(tenant: Tenant, keys: readonly ApiKeyRecord[]): Promise<void> {
    if (this.tenants.has(tenant.tenantId) || keys.some((k) => this.keys.has(keyOf(k.tenantId, k.keyId)))) {
      throw new Error('tenant or key already exists');
    }
    this.tenants.set(tenant.tenantId, copy(tenant));
    this.history.set(tenant.tenantId, tenant.provider ? [copy(tenant.provider)] : []);
    for (const key of keys) this.keys.set(keyOf(key.tenantId, key.keyId), copy(key));
  }

  async getTenant(tenantId: string): Promise<Tenant | undefined> {
    const found = this.tenants.get(tenantId);
    return found && copy(found);
  }

  async getKeyAndTenant(tenantId: string, keyId: string): Promise<{ key?: ApiKeyRecord; tenant?: Tenant }> {
    const key = this.keys.get(keyOf(tenantId, keyId));
    const tenant = this.tenants.get(tenantId);
    return { ...(key ? { key: copy(key) } : {}), ...(tenant ? { tenant: copy(tenant) } : {}) };
  }

  /** Same condition as the adapter: the tenant exists and its provider generation is still the expected one. */
  async setProvider(tenantId: string, provider: Provider | undefined, expectedGeneration: number): Promise<boolean> {
    const tenant = this.tenants.get(tenantId);
    if (!tenant || tenant.providerGeneration !== expectedGeneration) return false;
    if (provider) {
      this.tenants.set(tenantId, { ...tenant, provider: copy(provider), providerGeneration: provider.generation });
      this.history.get(tenantId)?.push(copy(provider));
    } else {
      const { provider: _removed, ...rest } = tenant;
      this.tenants.set(tenantId, rest);
    }
    return true;
  }

  /** `undefined` keeps the webhook secret, `null` removes it, a string replaces it. */
  async setSettings(tenantId: string, settings: TenantSettings, encryptedWebhookSecret?: string | null): Promise<void> {
    const tenant = this.tenants.get(tenantId);
    if (!tenant) throw new Error(`ConditionalCheckFailed: no tenant ${tenantId}`);
    const { encryptedWebhookSecret: kept, ...rest } = tenant;
    const secret = encryptedWebhookSecret === undefined ? kept : (encryptedWebhookSecret ?? undefined);
    this.tenants.set(tenantId, { ...rest, settings: copy(settings), ...(secret ? { encryptedWebhookSecret: secret } : {}) });
  }

  async setCaps(tenantId: string, caps: TenantCaps): Promise<boolean> {
    const tenant = this.tenants.get(tenantId);
    if (!tenant) return false;
    this.tenants.set(tenantId, { ...tenant, caps: copy(caps) });
    return true;
  }

  /** Same condition as the adapter: the tenant exists and its callerId is still the one read. */
  async setCallerIds(tenantId: string, callerIds: readonly string[], expectedCallerId: string | undefined, clearCallerId: boolean): Promise<boolean> {
    const tenant = this.tenants.get(tenantId);
    if (!tenant || tenant.settings.callerId !== expectedCallerId) return false;
    const { callerId: _cleared, ...rest } = tenant.settings;
    this.tenants.set(tenantId, { ...tenant, callerIds: [...callerIds], settings: clearCallerId ? rest : tenant.settings });
    return true;
  }

  async putApiKey(key: ApiKeyRecord): Promise<void> {
    if (this.keys.has(keyOf(key.tenantId, key.keyId))) throw new Error(`ConditionalCheckFailed: key ${key.keyId} exists`);
    this.keys.set(keyOf(key.tenantId, key.keyId), copy(key));
  }

  async updateApiKey(tenantId: string, keyId: string, change: { revokedAt?: string; expiresAt?: string }): Promise<boolean> {
    const found = this.keys.get(keyOf(tenantId, keyId));
    if (!found || found.tenantId !== tenantId) return false;
    const fields = Object.fromEntries(Object.entries(change).filter(([, v]) => v !== undefined));
    this.keys.set(keyOf(tenantId, keyId), { ...found, ...fields });
    return true;
  }

  /** In the order of the adapter's index: creation time, then key id. */
  async listApiKeys(tenantId: string): Promise<ApiKeyRecord[]> {
    const order = (k: ApiKeyRecord) => `${k.createdAt}#${k.keyId}`;
    return [...this.keys.values()]
      .filter((k) => k.tenantId === tenantId)
      .sort((a, b) => (order(a) < order(b) ? -1 : order(a) > order(b) ? 1 : 0))
      .map(copy);
  }

  /** Every provider the tenant ever had, oldest first (the adapter's provider history). */
  providerHistory(tenantId: string): Provider[] {
    return (this.history.get(tenantId) ?? []).map(copy);
  }
}

const keyOf = (tenantId: string, keyId: string): string => `${tenantId}#${keyId}`;

/**
 * Users per tenant and user space (R18), in user-id order, paged like a DynamoDB Query. Writes
 * are conditional on the version read, as in the adapter; it holds no credentials, so its
 * delete and reset change only the user.
 */
export class InMemoryUserStore implements UserStore, UserCredentialStore {
  private readonly users = new Map<string, User>();

  async putUser(scope: UserScope, user: User, expectedVersion?: number): Promise<UserWrite> {
    const key = userKey(scope, user.userId);
    const stored = this.users.get(key);
    if (expectedVersion === undefined ? stored !== undefined : stored === undefined || (stored.version ?? 0) !== expectedVersion) {
      return { kind: 'changed' };
    }
    const version = (expectedVersion ?? 0) + 1;
    this.users.set(key, copy({ ...user, version }));
    return { kind: 'written', version };
  }

  async deleteUser(scope: UserScope, user: User): Promise<UserWrite> {
    const key = userKey(scope, user.userId);
    const stored = this.users.get(key);
    if (!stored || (stored.version ?? 0) !== (user.version ?? 0)) return { kind: 'changed' };
    this.users.delete(key);
    return { kind: 'written', version: 0 };
  }

  async resetUser(scope: UserScope, before: User, after: User): Promise<UserWrite> {
    return this.putUser(scope, after, before.version ?? 0);
  }

  async getUser(scope: UserScope, userId: string): Promise<User | undefined> {
    const found = this.users.get(userKey(scope, userId));
    return found && copy(found);
  }

  /** `limit` is applied before the filters, as in the adapter's Query, so a page may be short. */
  async listUsers(scope: UserScope, query: UserQuery): Promise<Page<User>> {
    const pk = `USERS#${scope.tenantId}#${scope.space}`;
    const start = decodeCursor(query.cursor, { name: 'pk', value: pk });
    const read = [...this.users.entries()]
      .filter(([key]) => key.startsWith(`${pk}\u0000`))
      .map(([, user]) => user)
      .filter((u) => !query.prefix || u.userId.startsWith(query.prefix))
      .sort((a, b) => (a.userId < b.userId ? -1 : a.userId > b.userId ? 1 : 0))
      .filter((u) => start === undefined || u.userId > String(start.sk))
      .slice(0, query.limit);
    const last = read.at(-1);
    const cursor = read.length === query.limit && last ? encodeCursor({ pk, sk: last.userId }) : undefined;
    const items = read
      .filter((u) => query.mfaEnabled === undefined || u.mfaEnabled === query.mfaEnabled)
      .filter((u) => query.blocked === undefined || Boolean(u.blocked) === query.blocked)
      .map(copy);
    return { items, ...(cursor ? { cursor } : {}) };
  }
}

const userKey = (scope: UserScope, userId: string): string => `USERS#${scope.tenantId}#${scope.space}\u0000${userId}`;

export class InMemorySigningKeyStore implements SigningKeyStore {
  private readonly records = new Map<string, SigningKeyRecord>();

  async list(): Promise<SigningKeyRecord[]> {
    return [...this.records.values()].map(copy);
  }

  async put(record: SigningKeyRecord): Promise<void> {
    if (this.records.has(record.kid)) throw new Error(`signing key ${record.kid} already exists`);
    this.records.set(record.kid, copy(record));
  }
}

export class InMemoryServiceSecretStore implements ServiceSecretStore {
  private readonly secrets = new Map<string, string>();

  async get(name: string): Promise<string | undefined> {
    return this.secrets.get(name);
  }

  async putIfAbsent(name: string, encrypted: string): Promise<string> {
    if (!this.secrets.has(name)) this.secrets.set(name, encrypted);
    return this.secrets.get(name) as string;
  }
}

/** Records every message it accepts; `failWith` makes it refuse, like a provider that is down. */
export class RecordingSmsSender implements SmsSender {
  readonly sent: SmsMessage[] = [];
  failWith?: Error;
  private counter = 0;

  constructor(readonly name = 'recording-sms') {}

  async send(message: SmsMessage): Promise<{ provider: string; messageId: string }> {
    if (this.failWith) throw this.failWith;
    this.sent.push({ ...message });
    this.counter += 1;
    return { provider: this.name, messageId: `${this.name}-${this.counter}` };
  }

  /** The six-digit code in the last message sent. */
  lastCode(): string {
    const body = this.sent.at(-1)?.body ?? '';
    const code = /\b(\d{6})\b/.exec(body)?.[1];
    if (!code) throw new Error(`no code in the last SMS: "${body}"`);
    return code;
  }
}

export interface LogEntry {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly message: string;
  readonly extra: Record<string, unknown>[];
}

/** Writes nothing; keeps what would have been logged, so tests can check it leaks nothing (R28). */
export class SilentLog implements Log {
  readonly entries: LogEntry[] = [];

  debug(message: string, ...extra: Record<string, unknown>[]): void {
    this.entries.push({ level: 'debug', message, extra });
  }

  info(message: string, ...extra: Record<string, unknown>[]): void {
    this.entries.push({ level: 'info', message, extra });
  }

  warn(message: string, ...extra: Record<string, unknown>[]): void {
    this.entries.push({ level: 'warn', message, extra });
  }

  error(message: string, ...extra: Record<string, unknown>[]): void {
    this.entries.push({ level: 'error', message, extra });
  }
}

/** R30: answers a fixed type per number (and `fallback` for the rest), like PhoneNumberValidate would. */
export class FakePhoneClassifier implements PhoneClassifier {
  readonly asked: string[] = [];

  constructor(
    private readonly types: Record<string, PhoneType> = {},
    private readonly fallback: PhoneType = 'mobile',
  ) {}

  async classify(e164: string): Promise<PhoneType> {
    this.asked.push(e164);
    return this.types[e164] ?? this.fallback;
  }
}

/** Keeps every webhook POST; `answer` is what the receiver says (the real sender never throws). */
export class RecordingWebhookSender implements WebhookSender {
  readonly posts: { url: string; body: string; headers: Record<string, string> }[] = [];
  answer: { ok: boolean; status?: number } = { ok: true, status: 204 };

  async post(url: string, body: string, headers: Record<string, string>): Promise<{ ok: boolean; status?: number }> {
    this.posts.push({ url, body, headers: { ...headers } });
    return this.answer;
  }
}

/** A tenant as the operator creates it: default settings, and a provider unless `provider: undefined` is given. */
export function tenantFixture(tenantId: string, overrides: Partial<Tenant> = {}): Tenant {
  const provider: Provider = {
    providerId: `pv_${tenantId}`,
    billingModel: 'per_authentication',
    createdAt: new Date(T0).toISOString(),
    generation: 1,
    userSpace: `prov:pv_${tenantId}`,
  };
  const tenant: Tenant = {
    tenantId,
    name: `Tenant ${tenantId}`,
    createdAt: new Date(T0).toISOString(),
    provider,
    providerGeneration: 1,
    settings: DEFAULT_SETTINGS,
    ...overrides,
  };
  if ('provider' in overrides && overrides.provider === undefined) {
    const { provider: _none, ...rest } = tenant;
    return rest;
  }
  return tenant;
}

/** The caller a key of this tenant authenticates as (R27: the tenant comes with the key). */
export function principalOf(tenant: Tenant, scope: ApiScope = 'auth', extra: Partial<Principal> = {}): Principal {
  return { tenantId: tenant.tenantId, keyId: `${scope}-key-${tenant.tenantId}`, keyName: `${scope} key`, scope, tenant, ...extra };
}
