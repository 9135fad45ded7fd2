import { randomId } from './crypto';
import type { PageCursors } from './cursors';
import { ValidationError } from './errors';
import type { Audit, AuthLogQuery, AuthLogStore, NotificationStore, Page, UsageRow, UsageStore } from '../ports';
import { maskPhone } from './mask';
import type { AuthLogEntry, Caller, Challenge, Factor, Gateway, LogMethod, LogResult, Notification, Principal, User } from './types';

/** R23: the gateway a relay named, as the log line's fields. */
function gatewayFields(gateway: Gateway | undefined): Pick<AuthLogEntry, 'gatewayName' | 'gatewayIp'> {
  return gateway ? { gatewayName: gateway.name, ...(gateway.ip ? { gatewayIp: gateway.ip } : {}) } : {};
}

/**
 * The auth-log line (R23) and the usage count for one event of a challenge. Names and email
 * come from the challenge's audit copy, which holds them only if the tenant keeps them.
 */
export function auditOf(
  principal: Caller,
  challenge: Challenge,
  entry: { event: AuthLogEntry['event']; result: LogResult; now: number; reason?: string; counted?: boolean; phone?: string; device?: string },
): Audit {
  const { event, result, now, reason } = entry;
  const time = new Date(now).toISOString();
  const { firstName, lastName, email, clientIp, gateway } = challenge.audit;
  const log: AuthLogEntry = {
    logId: randomId('lg', 12),
    tenantId: challenge.tenantId,
    time,
    userId: challenge.userId,
    ...(firstName ? { firstName } : {}),
    ...(lastName ? { lastName } : {}),
    ...(email ? { email } : {}),
    phone: entry.phone ?? challenge.destination,
    // R23: a push line names the device token (our device id), not only the platform; an answer
    // made on a device the factor names (a passkey: its credential id and model) names that.
    ...(entry.device ? { deviceToken: entry.device } : challenge.push ? { deviceToken: challenge.push.deviceId } : {}),
    method: challenge.method,
    event,
    result,
    ...(reason ? { reason } : {}),
    challengeId: challenge.challengeId,
    apiKeyId: principal.keyId,
    apiKeyName: principal.keyName,
    ...(principal.sourceIp ? { serverIp: principal.sourceIp } : {}),
    ...(clientIp ? { clientIp } : {}),
    ...gatewayFields(gateway),
  };
  const count = (r: LogResult, delta: number) => ({ tenantId: challenge.tenantId, day: time.slice(0, 10), method: challenge.method, result: r, delta });
  // Usage counts challenges sent and verification results; resends are logged but not counted.
  const usage = entry.counted === false ? [] : [count(result, 1)];
  // R24: a `sent` is billed to the provider in force when the request was made.
  const billedTo = 'tenant' in principal ? (principal as Principal).tenant.provider?.providerId : undefined;
  return { log, usage, ...(billedTo && usage.some((u) => u.result === 'sent') ? { billedTo } : {}) };
}

/** A challenge refused by throttling (R6–R8): logged and counted, but nothing is created or sent. */
export function throttledAudit(principal: Principal, user: User, method: Factor, reason: string, now: number, clientIp?: string, gateway?: Gateway): Audit {
  const time = new Date(now).toISOString();
  const keep = principal.tenant.settings.logOptionalFields;
  return {
    log: {
      logId: randomId('lg', 12),
      tenantId: principal.tenantId,
      time,
      userId: user.userId,
      ...(keep && user.firstName ? { firstName: user.firstName } : {}),
      ...(keep && user.lastName ? { lastName: user.lastName } : {}),
      ...(keep && user.email ? { email: user.email } : {}),
      ...(user.phones.primary ? { phone: maskPhone(user.phones.primary.e164) } : {}),
      ...(method === 'push' && user.push ? { deviceToken: user.push.deviceId } : {}),
      method,
      event: 'challenge',
      result: 'throttled',
      reason,
      apiKeyId: principal.keyId,
      apiKeyName: principal.keyName,
      ...(principal.sourceIp ? { serverIp: principal.sourceIp } : {}),
      ...(clientIp ? { clientIp } : {}),
      ...gatewayFields(gateway),
    },
    usage: [{ tenantId: principal.tenantId, day: time.slice(0, 10), method, result: 'throttled', delta: 1 }],
  };
}

/**
 * R23: an attempt that creates or changes no challenge (a refused create, a legacy sign-in with
 * an app password): one log line and nothing counted or billed. `userId` is the id as given,
 * which may name no user; `user`, when there is one, adds what the tenant keeps of them.
 */
export function attemptAudit(
  principal: Principal,
  entry: {
    userId: string;
    user?: User;
    method?: LogMethod;
    event: AuthLogEntry['event'];
    result: LogResult;
    reason?: string;
    now: number;
    clientIp?: string;
    gateway?: Gateway;
  },
): Audit {
  const { user } = entry;
  const keep = principal.tenant.settings.logOptionalFields;
  return {
    log: {
      logId: randomId('lg', 12),
      tenantId: principal.tenantId,
      time: new Date(entry.now).toISOString(),
      userId: entry.userId,
      ...(keep && user?.firstName ? { firstName: user.firstName } : {}),
      ...(keep && user?.lastName ? { lastName: user.lastName } : {}),
      ...(keep && user?.email ? { email: user.email } : {}),
      ...(entry.method ? { method: entry.method } : {}),
      event: entry.event,
      result: entry.result,
      ...(entry.reason ? { reason: entry.reason } : {}),
      apiKeyId: principal.keyId,
      apiKeyName: principal.keyName,
      ...(principal.sourceIp ? { serverIp: principal.sourceIp } : {}),
      ...(entry.clientIp ? { clientIp: entry.clientIp } : {}),
      ...gatewayFields(entry.gateway),
    },
    usage: [],
  };
}

/** Delivery failed after the challenge was counted as sent: count it as failed instead. */
export function failedDeliveryAudit(principal: Principal, challenge: Challenge, now: number): Audit {
  const audit = auditOf(principal, challenge, { event: 'challenge', result: 'failed', reason: 'delivery_failed', now });
  const [failed] = audit.usage as [Audit['usage'][number]];
  const billedTo = principal.tenant.provider?.providerId;
  return { log: audit.log, usage: [failed, { ...failed, result: 'sent', delta: -1 }], ...(billedTo ? { billedTo } : {}) };
}

export interface UsageReport {
  readonly month: string;
  readonly days: UsageRow[];
  readonly totals: { readonly byMethod: Record<string, number>; readonly byResult: Record<string, number>; readonly all: number };
}

/** The auth-log query as asked: without a time range, the last 30 days up to now. */
export type AuthLogRequest = Omit<AuthLogQuery, 'from' | 'to'> & { readonly from?: string; readonly to?: string };

const DEFAULT_LOG_RANGE_MS = 30 * 24 * 60 * 60 * 1000;

/** The console's auth-log query, notifications and usage report (R23). */
export class AuthLogService {
  constructor(private readonly deps: { logs: AuthLogStore; usage: UsageStore; notifications: NotificationStore; cursors: PageCursors }) {}

  /**
   * Newest first. A cursor pages only the tenant and query it came from (R29), within the time
   * range of the first page, so "up to now" does not move while the admin pages.
   */
  async list(principal: Principal, request: AuthLogRequest, now: number): Promise<Page<AuthLogEntry>> {
    const { limit, cursor, ...filters } = request;
    const binding = { tenantId: principal.tenantId, list: 'auth-logs', query: filters } as const;
    const state = await this.deps.cursors.open(cursor, binding);
    const to = state?.window?.to ?? request.to ?? new Date(now).toISOString();
    const from = state?.window?.from ?? request.from ?? new Date(Date.parse(to) - DEFAULT_LOG_RANGE_MS).toISOString();
    if (Date.parse(from) > Date.parse(to)) {
      throw new ValidationError('The time range is empty', [{ pointer: '/from', detail: 'must not be after "to" (default: now)' }]);
    }
    const page = await this.deps.logs.list(principal.tenantId, { ...filters, from, to, limit, ...(state ? { cursor: state.position } : {}) });
    return this.deps.cursors.seal(binding, page, { from, to });
  }

  /** Blocks, unblocks and fraud reports (R14), newest first. */
  async notifications(principal: Principal, query: { limit: number; cursor?: string | undefined }): Promise<Page<Notification>> {
    const binding = { tenantId: principal.tenantId, list: 'notifications', query: {} } as const;
    const state = await this.deps.cursors.open(query.cursor, binding);
    const page = await this.deps.notifications.listNotifications(principal.tenantId, { limit: query.limit, ...(state ? { cursor: state.position } : {}) });
    return this.deps.cursors.seal(binding, page);
  }

  async usage(principal: Principal, month: string): Promise<UsageReport> {
    const days = (await this.deps.usage.month(principal.tenantId, month)).sort(
      (a, b) => a.day.localeCompare(b.day) || a.method.localeCompare(b.method) || a.result.localeCompare(b.result),
    );
    const byMethod: Record<string, number> = {};
    const byResult: Record<string, number> = {};
    let all = 0;
    for (const row of days) {
      byMethod[row.method] = (byMethod[row.method] ?? 0) + row.count;
      byResult[row.result] = (byResult[row.result] ?? 0) + row.count;
      all += row.count;
    }
    return { month, days, totals: { byMethod, byResult, all } };
  }
}
