import { BatchGetCommand, GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { setTimeout as sleep } from 'node:timers/promises';
import { RetryLaterError } from '../../domain/errors';
import type { User } from '../../domain/types';
import { maybeRecordOf } from './items';
import { tenantKeys } from './tenant-store';
import { createHmac } from 'node:crypto';
import { EMPTY_THROTTLE, type UserThrottleState } from '../../domain/throttling';
import { FATIGUE_PAUSE_SECONDS, USER_CHALLENGE_WINDOW_SECONDS, WRONG_CODE_STREAK_RESET_SECONDS } from '../../rules';
import type { CounterName, ThrottleStore, ThrottleWrites, UserScope, UserWithThrottleReader } from '../../ports';
import { isConditionFailure, isLocalLockTimeout } from './errors';
import type { TransactItem } from './transact';


/** The service secret that keys counters of phone numbers (`ThrottleKey`). */
export interface SubjectKey {
  get(): Promise<Uint8Array>;
}

/**
 * R28: counters whose subject is a phone number are keyed by an HMAC of it with a service
 * secret; a plain hash of a number is reversed by hashing every number of its country. A tenant
 * id or a source address (already in the access log) is kept as it is.
 */
const SUBJECT_IS_PHONE_NUMBER: Record<CounterName, boolean> = {
  number_rate: true,
  tenant_rate: false,
  tenant_requests: false,
  source_rate: false,
};

/**
 * The subject part of a counter's key: the one place it is derived, so that every counter of a
 * number (primary or backup, text or call, whichever handler counts it) lands on the same item.
 */
export async function counterSubject(name: CounterName, subject: string, key: SubjectKey | undefined): Promise<string> {
  if (!SUBJECT_IS_PHONE_NUMBER[name]) return subject;
  if (!key) throw new Error(`The ${name} counter needs the throttle service secret`);
  return createHmac('sha256', await key.get()).update(subject).digest('base64url');
}

/**
 * Keys of the throttle table (pk only, every item with a TTL):
 * - a user's state     U#<tenantId>#<userId>
 * - a window counter   C#<counter name>#<subject>#<window index>  (see `counterSubject`: a phone
 *   number is an HMAC, so no number is stored, in clear or as a reversible hash)
 */
export const throttleKeys = {
  user: (tenantId: string, userId: string) => `U#${tenantId}#${userId}`,
  counter: (name: string, subject: string, windowSeconds: number, now: number) => `C#${name}#${subject}#${Math.floor(now / (windowSeconds * 1000))}`,
};

/** The user item lives as long as anything in it can still matter. */
const USER_TTL_SECONDS = Math.max(USER_CHALLENGE_WINDOW_SECONDS, WRONG_CODE_STREAK_RESET_SECONDS, FATIGUE_PAUSE_SECONDS) + 3600;
const ttlAfter = (now: number, seconds: number) => Math.ceil(now / 1000) + seconds;

/**
 * An update of a user's throttle item, compare-and-set on the version read (a missing item counts
 * as version 0): sets `set`, removes `remove`, bumps the version and keeps the item as long as
 * anything in it can still matter, counted from `now`.
 */
function userItemUpdate(
  tableName: string,
  user: { tenantId: string; userId: string; expectedVersion: number; now: number },
  set: Readonly<Record<string, unknown>>,
  remove: readonly string[] = [],
) {
  const { tenantId, userId, expectedVersion, now } = user;
  const names = Object.keys(set);
  return {
    TableName: tableName,
    Key: { pk: throttleKeys.user(tenantId, userId) },
    UpdateExpression: `SET ${names.map((name) => `${name} = :${name}`).join(', ')}, version = :next, #ttl = :ttl${remove.length > 0 ? ` REMOVE ${remove.join(', ')}` : ''}`,
    ConditionExpression: expectedVersion === 0 ? 'attribute_not_exists(version) OR version = :expected' : 'version = :expected',
    ExpressionAttributeNames: { '#ttl': 'ttl' },
    ExpressionAttributeValues: {
      ...Object.fromEntries(names.map((name) => [`:${name}`, set[name]])),
      ':next': expectedVersion + 1,
      ':ttl': ttlAfter(now, USER_TTL_SECONDS),
      ':expected': expectedVersion,
    },
  };
}

/** R7: the update of a user's fatigue part. */
function fatigueUpdate(
  tableName: string,
  fatigue: { tenantId: string; userId: string; denials: readonly number[]; pausedUntil?: number; expectedVersion: number },
) {
  const { denials, pausedUntil } = fatigue;
  const now = denials.at(-1) ?? pausedUntil ?? 0;
  return pausedUntil
    ? userItemUpdate(tableName, { ...fatigue, now }, { denials, pausedUntil })
    : userItemUpdate(tableName, { ...fatigue, now }, { denials }, ['pausedUntil']);
}

/**
 * The transaction items for throttle writes, and which limit a failed condition at each
 * position stands for. Counters are ADD with `count < limit`; the user's log is
 * compare-and-set on `version`; the streak is a plain ADD or reset.
 */
export async function throttleItems(
  tableName: string,
  writes: ThrottleWrites | undefined,
  subjectKey: SubjectKey | undefined,
): Promise<{ items: TransactItem[]; refusals: (CounterName | 'user_log_changed' | undefined)[] }> {
  const items: TransactItem[] = [];
  const refusals: (CounterName | 'user_log_changed' | undefined)[] = [];
  if (!writes) return { items, refusals };
  if (writes.userLog) {
    const { recent, resetStreak } = writes.userLog;
    // A streak found stale (an hour without wrong codes) is forgotten here, before any new wrong code.
    items.push({ Update: userItemUpdate(tableName, { ...writes.userLog, now: recent.at(-1) ?? 0 }, { recent }, resetStreak ? ['wrongStreak', 'lastWrongAt'] : []) });
    refusals.push('user_log_changed');
  }
  for (const counter of writes.counters ?? []) {
    const windowEnd = (Math.floor(counter.now / (counter.windowSeconds * 1000)) + 1) * counter.windowSeconds * 1000;
    items.push({
      Update: {
        TableName: tableName,
        Key: { pk: throttleKeys.counter(counter.name, await counterSubject(counter.name, counter.subject, subjectKey), counter.windowSeconds, counter.now) },
        UpdateExpression: 'ADD #count :one SET #ttl = :ttl',
        ConditionExpression: 'attribute_not_exists(#count) OR #count < :limit',
        ExpressionAttributeNames: { '#count': 'count', '#ttl': 'ttl' },
        ExpressionAttributeValues: { ':one': 1, ':limit': counter.limit, ':ttl': Math.ceil(windowEnd / 1000) + 60 },
      },
    });
    refusals.push(counter.name);
  }
  if (writes.streak) {
    const { tenantId, userId, change, now } = writes.streak;
    items.push({
      Update: {
        TableName: tableName,
        Key: { pk: throttleKeys.user(tenantId, userId) },
        ...(change === 'wrong'
          ? {
              UpdateExpression: 'SET wrongStreak = if_not_exists(wrongStreak, :zero) + :one, lastWrongAt = :now, #ttl = :ttl',
              ExpressionAttributeValues: { ':zero': 0, ':one': 1, ':now': now, ':ttl': ttlAfter(now, USER_TTL_SECONDS) },
            }
          : { UpdateExpression: 'SET wrongStreak = :zero, #ttl = :ttl', ExpressionAttributeValues: { ':zero': 0, ':ttl': ttlAfter(now, USER_TTL_SECONDS) } }),
        ExpressionAttributeNames: { '#ttl': 'ttl' },
      },
    });
    refusals.push(undefined);
  }
  if (writes.fatigue) {
    items.push({ Update: fatigueUpdate(tableName, writes.fatigue) });
    // Another change of the user's state got there first: read it again and retry.
    refusals.push('user_log_changed');
  }
  return { items, refusals };
}

/** A user's throttle item as the domain sees it (none: nothing counted yet). */
function throttleStateOf(item: Record<string, unknown> | undefined): UserThrottleState {
  if (!item) return EMPTY_THROTTLE;
  return {
    recent: (item.recent as number[] | undefined) ?? [],
    wrongStreak: Number(item.wrongStreak ?? 0),
    ...(item.lastWrongAt ? { lastWrongAt: Number(item.lastWrongAt) } : {}),
    denials: (item.denials as number[] | undefined) ?? [],
    ...(item.pausedUntil ? { pausedUntil: Number(item.pausedUntil) } : {}),
    version: Number(item.version ?? 0),
  };
}

/**
 * The user (tenants table) and the user's throttle item (throttle table) in one BatchGetItem,
 * both strongly consistent: one request where starting a challenge made two.
 */
export class DynamoUserWithThrottle implements UserWithThrottleReader {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tables: { readonly tenantsTable: string; readonly throttleTable: string },
  ) {}

  async getUserWithThrottle(scope: UserScope, userId: string): Promise<{ user?: User; throttle: UserThrottleState }> {
    const { tenantsTable, throttleTable } = this.tables;
    let request: Record<string, { Keys: Record<string, unknown>[]; ConsistentRead: boolean }> = {
      [tenantsTable]: { Keys: [{ pk: tenantKeys.users(scope), sk: userId }], ConsistentRead: true },
      [throttleTable]: { Keys: [{ pk: throttleKeys.user(scope.tenantId, userId) }], ConsistentRead: true },
    };
    const found: Record<string, Record<string, unknown> | undefined> = {};
    // BatchGetItem may leave keys unprocessed under load: ask again for those (a few times, then it is a failure).
    // DynamoDB Local's lock timeout (a read of an item a transaction holds) counts as unprocessed.
    for (let attempt = 0; Object.keys(request).length > 0; attempt++) {
      if (attempt >= 5) throw new RetryLaterError('DynamoDB left a read unprocessed; try again', 1);
      const out = await this.db.send(new BatchGetCommand({ RequestItems: request })).catch((error: unknown) => {
        if (isLocalLockTimeout(error)) return { Responses: {} as Record<string, Record<string, unknown>[]>, UnprocessedKeys: request };
        throw error;
      });
      for (const table of [tenantsTable, throttleTable]) {
        const item = out.Responses?.[table]?.[0];
        if (item) found[table] = item;
      }
      request = (out.UnprocessedKeys ?? {}) as typeof request;
      if (Object.keys(request).length > 0) await sleep(20 * 2 ** attempt);
    }
    const user = maybeRecordOf<User>(found[tenantsTable]);
    return { ...(user ? { user } : {}), throttle: throttleStateOf(found[throttleTable]) };
  }
}

/** Per-user throttling state in the throttle table. */
export class DynamoThrottleStore implements ThrottleStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
    /** Keys the counters of phone numbers (R28); only handlers that count numbers need it. */
    private readonly subjectKey?: SubjectKey,
  ) {}

  async getUserState(tenantId: string, userId: string): Promise<UserThrottleState> {
    const out = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: { pk: throttleKeys.user(tenantId, userId) }, ConsistentRead: true }),
    );
    return throttleStateOf(out.Item);
  }

  async take(counter: { name: CounterName; subject: string; limit: number; windowSeconds: number; now: number }): Promise<boolean> {
    const [item] = (await throttleItems(this.tableName, { counters: [counter] }, this.subjectKey)).items;
    try {
      await this.db.send(new UpdateCommand(item?.Update as ConstructorParameters<typeof UpdateCommand>[0]));
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async add(counter: { name: CounterName; subject: string; windowSeconds: number; now: number; units: number }): Promise<number> {
    const windowEnd = (Math.floor(counter.now / (counter.windowSeconds * 1000)) + 1) * counter.windowSeconds * 1000;
    const out = await this.db.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: throttleKeys.counter(counter.name, await counterSubject(counter.name, counter.subject, this.subjectKey), counter.windowSeconds, counter.now) },
        UpdateExpression: 'ADD #count :units SET #ttl = :ttl',
        ExpressionAttributeNames: { '#count': 'count', '#ttl': 'ttl' },
        ExpressionAttributeValues: { ':units': counter.units, ':ttl': Math.ceil(windowEnd / 1000) + 60 },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    return Number(out.Attributes?.count ?? counter.units);
  }

  async clear(tenantId: string, userId: string): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: throttleKeys.user(tenantId, userId) },
        UpdateExpression: 'SET denials = :none, wrongStreak = :zero REMOVE pausedUntil, lastWrongAt ADD version :one',
        ExpressionAttributeValues: { ':none': [], ':zero': 0, ':one': 1 },
      }),
    );
  }
}
