/**
 * Remembered devices (issue 16): after an approved challenge a relying app may ask for a device
 * token bound to the tenant, the user and a binding value of its own (a hash of its long-lived
 * device cookie, say); before it challenges the user again it asks whether the token is still
 * good. Tokens are 256 random bits, shown once and stored as their SHA-256 (a token is not a
 * password a person chose: a slow hash would add nothing but cost to every check).
 *
 * Revocation never scans or deletes tokens: every token is stamped with the user's credential
 * epoch (a reset or a deletion draws a new one), the user's remembered-devices epoch (an admin's
 * "revoke all", a block, a fraud report, phishing-resistant only for the user draw a new one) and
 * the tenant's (remembered devices turned off, phishing-resistant only for the tenant). A token
 * whose stamp differs from the current epoch is `revoked` at once.
 */
import { randomBytes } from 'node:crypto';
import { REMEMBERED_DEVICE_DAYS, REMEMBERED_DEVICE_STEP_UP_SECONDS, REMEMBERED_DEVICES_LISTED } from '../rules';
import type { AuthLogStore, ChallengeStore, Clock, Log, RememberedDeviceRecord, RememberedDeviceStore, UserScope, UserStore } from '../ports';
import { attemptAudit } from './auth-log';
import { newRememberedEpoch, sameEpoch } from './credentials';
import { randomId, safeEqual, sha256Hex } from './crypto';
import { ConflictError, DeviceNotRememberedError, NotFoundError, PhishingResistantOnlyError, RememberedDevicesDisabledError, UserBlockedError } from './errors';
import { phishingResistantOnly } from './registration';
import { WAYS_BACK, type Principal, type RememberedDevicesPolicy, type TenantSettings, type User } from './types';
import { approvalRefusal, approvedAfterFor } from './step-up';
import { USER_WRITE_ATTEMPTS, userScope } from './users';

/** What a check answers; a binding that does not match is `unknown`, like a token never issued. */
export type RememberedCheck =
  | { readonly status: 'remembered'; readonly expiresAt: string }
  | { readonly status: 'expired' | 'revoked' | 'unknown' };

/** What an admin sees of a remembered device: never the token, its hash or the binding. */
export interface RememberedDeviceView {
  readonly deviceId: string;
  readonly createdAt: string;
  readonly expiresAt: string;
}

/** The policy in force: off with a 30-day window until the tenant sets it. */
export function rememberedPolicyOf(settings: TenantSettings): RememberedDevicesPolicy {
  return settings.rememberedDevices ?? { enabled: false, days: REMEMBERED_DEVICE_DAYS.default };
}

const DAY_MS = 24 * 3600 * 1000;

/** A new token: `rdt_` and 256 random bits, base64url. */
function newToken(): string {
  return `rdt_${randomBytes(32).toString('base64url')}`;
}

/**
 * Revokes all of a user's remembered devices by drawing a new epoch on the user item, written
 * conditional on the version read (re-read and retried when another write got there first). False
 * when there is no such user.
 */
export async function revokeRememberedDevices(users: UserStore, scope: UserScope, userId: string, now: number): Promise<boolean> {
  for (let attempt = 1; ; attempt++) {
    const user = await users.getUser(scope, userId);
    if (!user) return false;
    const write = await users.putUser(scope, { ...user, rememberedEpoch: newRememberedEpoch(), updatedAt: new Date(now).toISOString() }, user.version ?? 0);
    if (write.kind === 'written') return true;
    if (attempt >= USER_WRITE_ATTEMPTS) throw new ConflictError('The user kept changing while their remembered devices were revoked; try again');
  }
}

export class RememberedDeviceService {
  constructor(
    private readonly deps: {
      store: RememberedDeviceStore;
      users: UserStore;
      /** Reads the approved challenge a token is asked with. */
      challenges: Pick<ChallengeStore, 'get'>;
      clock: Clock;
      /** Where every check is logged (R23). */
      logs: AuthLogStore;
      log: Log;
    },
  ) {}

  /**
   * A token for the device the user was just challenged on: the challenge must be this tenant's,
   * approved in the last ten minutes, for the user as they are now, and not have remembered a
   * device before (marked in the same transaction as the token is stored, so two racing requests
   * with one challenge get one token).
   */
  async remember(principal: Principal, challengeId: string, binding: string): Promise<{ token: string; deviceId: string; expiresAt: string }> {
    const policy = enabledPolicy(principal);
    const scope = userScope(principal);
    const now = this.deps.clock.now();
    const challenge = await this.deps.challenges.get(challengeId);
    // R27: another tenant's challenge gets the answer of one that does not exist.
    if (!challenge || challenge.tenantId !== principal.tenantId) throw new NotFoundError('No such challenge');
    const refuse = (reason: string, detail: string) => new DeviceNotRememberedError(detail, { reason });
    if (WAYS_BACK.includes(challenge.method) && challenge.status === 'approved') {
      throw refuse('method_not_rememberable', 'A recovery code or access pass sign-in cannot remember a device: it would outlive the way back it used');
    }
    const user = await this.deps.users.getUser(scope, challenge.userId);
    // The step-up's rules (step-up.ts): the same user space, the user as they are now, approved
    // in the window and after the user's last unblock or reset.
    const approvedAfter = user ? approvedAfterFor(user, now, REMEMBERED_DEVICE_STEP_UP_SECONDS) : now;
    switch (approvalRefusal(challenge, principal, user, approvedAfter)) {
      case 'not_found':
        throw new NotFoundError('No such challenge');
      case 'not_approved':
        throw refuse('not_approved', 'Only an approved challenge can remember a device');
      case 'user_changed':
        throw refuse('user_changed', 'The user was reset, deleted or recreated since the challenge was approved, or the challenge is of another user space');
      case 'too_old':
        throw refuse('too_old', `The challenge was approved more than ${REMEMBERED_DEVICE_STEP_UP_SECONDS / 60} minutes ago, or before the user's last unblock; approve a new one`);
      case undefined:
        break;
    }
    if (!user) throw new NotFoundError('No such challenge');
    if (user.blocked) throw new UserBlockedError('The user is blocked from MFA; an admin must unblock them', { reason: user.blocked.reason });
    if (phishingResistantOnly(user, principal.tenant.settings)) {
      throw new PhishingResistantOnlyError('Only passkeys are accepted for this user: a remembered device would skip them');
    }
    const token = newToken();
    const record: RememberedDeviceRecord = {
      tenantId: principal.tenantId,
      space: scope.space,
      userId: user.userId,
      deviceId: randomId('rd', 12),
      tokenHash: sha256Hex(token),
      bindingHash: sha256Hex(binding),
      createdAt: now,
      expiresAt: now + policy.days * DAY_MS,
      challengeId,
      ...(user.credentialEpoch ? { epoch: user.credentialEpoch } : {}),
      ...(user.rememberedEpoch ? { rememberedEpoch: user.rememberedEpoch } : {}),
      ...(policy.epoch ? { tenantEpoch: policy.epoch } : {}),
    };
    const use = { tenantId: principal.tenantId, challengeId, userId: user.userId, approvedAfter, now };
    if (!(await this.deps.store.remember(record, use))) throw refuse('already_used', 'This challenge has already remembered a device; approve a new one');
    this.deps.log.info('device remembered', { userId: user.userId, deviceId: record.deviceId, challengeId });
    return { token, deviceId: record.deviceId, expiresAt: new Date(record.expiresAt).toISOString() };
  }

  /**
   * Whether a token is still good for this user and binding. Every check is an auth-log line
   * (method `remembered_device`: approved when remembered, else denied with the status as reason);
   * it is not a verification request, so it is neither counted in usage nor billed (see
   * docs/factors.md).
   */
  async check(principal: Principal, userId: string, token: string, binding: string): Promise<RememberedCheck> {
    const now = this.deps.clock.now();
    const scope = userScope(principal);
    const user = await this.deps.users.getUser(scope, userId);
    const log = (result: 'approved' | 'denied', reason?: string) =>
      this.deps.logs.append(attemptAudit(principal, { userId, ...(user ? { user } : {}), method: 'remembered_device', event: 'verify', result, ...(reason ? { reason } : {}), now }));
    const policy = rememberedPolicyOf(principal.tenant.settings);
    if (!policy.enabled) {
      await log('denied', 'remembered_devices_disabled');
      enabledPolicy(principal);
    }
    const answer = await this.status(principal, scope, userId, user, token, binding, policy, now);
    await log(answer.status === 'remembered' ? 'approved' : 'denied', answer.status === 'remembered' ? undefined : answer.status);
    return answer;
  }

  private async status(
    principal: Principal,
    scope: UserScope,
    userId: string,
    user: User | undefined,
    token: string,
    binding: string,
    policy: RememberedDevicesPolicy,
    now: number,
  ): Promise<RememberedCheck> {
    const record = await this.deps.store.get(scope, userId, sha256Hex(token));
    if (!record || !safeEqual(record.bindingHash, sha256Hex(binding))) return { status: 'unknown' };
    const revoked =
      !user ||
      !sameEpoch(user, record.epoch) ||
      (user.rememberedEpoch ?? '') !== (record.rememberedEpoch ?? '') ||
      (policy.epoch ?? '') !== (record.tenantEpoch ?? '') ||
      Boolean(user.blocked) ||
      phishingResistantOnly(user, principal.tenant.settings);
    if (revoked) return { status: 'revoked' };
    const expiresAt = effectiveExpiry(record, policy);
    return now < expiresAt ? { status: 'remembered', expiresAt: new Date(expiresAt).toISOString() } : { status: 'expired' };
  }

  /** The user's live remembered devices (not revoked, not expired), newest first. */
  async list(principal: Principal, userId: string): Promise<{ count: number; items: RememberedDeviceView[] }> {
    const scope = userScope(principal);
    const user = await this.deps.users.getUser(scope, userId);
    if (!user) throw new NotFoundError('No such user');
    const policy = rememberedPolicyOf(principal.tenant.settings);
    const now = this.deps.clock.now();
    const stored: RememberedDeviceRecord[] = [];
    // Every page: revoked and expired tokens stay stored (until TTL), so a first page may hold none that is live.
    let cursor: string | undefined;
    do {
      const page = await this.deps.store.list(scope, userId, REMEMBERED_DEVICES_LISTED, cursor);
      stored.push(...page.items);
      cursor = page.cursor;
    } while (cursor !== undefined);
    const live = stored.filter(
      (r) =>
        sameEpoch(user, r.epoch) &&
        (user.rememberedEpoch ?? '') === (r.rememberedEpoch ?? '') &&
        (policy.epoch ?? '') === (r.tenantEpoch ?? '') &&
        now < effectiveExpiry(r, policy),
    );
    const items = live.sort((a, b) => b.createdAt - a.createdAt).map((r) => ({ deviceId: r.deviceId, createdAt: new Date(r.createdAt).toISOString(), expiresAt: new Date(effectiveExpiry(r, policy)).toISOString() }));
    return { count: items.length, items };
  }

  /** An admin's "revoke all": how many were live before. */
  async revokeAll(principal: Principal, userId: string): Promise<{ revoked: number }> {
    const { count } = await this.list(principal, userId);
    if (!(await revokeRememberedDevices(this.deps.users, userScope(principal), userId, this.deps.clock.now()))) throw new NotFoundError('No such user');
    this.deps.log.info('remembered devices revoked', { userId, count });
    return { revoked: count };
  }
}

/** A lower window shortens tokens already issued; a higher one does not lengthen them. */
function effectiveExpiry(record: RememberedDeviceRecord, policy: RememberedDevicesPolicy): number {
  return Math.min(record.expiresAt, record.createdAt + policy.days * DAY_MS);
}

function enabledPolicy(principal: Principal): RememberedDevicesPolicy {
  const policy = rememberedPolicyOf(principal.tenant.settings);
  if (!policy.enabled) throw new RememberedDevicesDisabledError('Remembered devices are turned off for this tenant (settings.rememberedDevices.enabled)');
  return policy;
}
