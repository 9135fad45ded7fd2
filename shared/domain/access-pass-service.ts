/**
 * Temporary Access Passes (issue 16): an admin issues a pass for a user (10 minutes to 30 days,
 * one-time or multi-use, an optional start), lists them without the secret and revokes them.
 * Issue, use (factors/tap.ts) and revocation are logged with the admin key that did it.
 */
import { ACCESS_PASS_MAX_START_DAYS, ACCESS_PASSES_PER_USER } from '../rules';
import type { AccessPassRecord, AccessPassStore, Clock, Log, UserStore } from '../ports';
import { hashAccessPass, newAccessPass, passState, type AccessPassState } from './access-passes';
import { randomId } from './crypto';
import { ConflictError, NotFoundError, UserBlockedError, ValidationError } from './errors';
import { stillIssuedTo } from './recovery-codes';
import type { Principal, User } from './types';
import { USER_WRITE_ATTEMPTS, userScope } from './users';

/** What the API shows of a pass: never the pass or its hash. */
export interface AccessPassView {
  readonly passId: string;
  readonly startsAt: string;
  readonly expiresAt: string;
  readonly oneTime: boolean;
  readonly state: AccessPassState;
  readonly uses: number;
  readonly lastUsedAt?: string;
  readonly createdAt: string;
  readonly createdBy: string;
}

function view(p: AccessPassRecord, now: number): AccessPassView {
  return {
    passId: p.passId,
    startsAt: new Date(p.startsAt).toISOString(),
    expiresAt: new Date(p.expiresAt).toISOString(),
    oneTime: p.oneTime,
    state: passState(p, now),
    uses: p.uses,
    ...(p.lastUsedAt ? { lastUsedAt: p.lastUsedAt } : {}),
    createdAt: p.createdAt,
    createdBy: p.createdBy,
  };
}

export interface AccessPassServiceDeps {
  readonly store: AccessPassStore;
  readonly users: UserStore;
  readonly clock: Clock;
  readonly log: Log;
}

export class AccessPassService {
  constructor(private readonly deps: AccessPassServiceDeps) {}

  async issue(
    principal: Principal,
    userId: string,
    input: { lifetimeMinutes: number; oneTime: boolean; startsAt?: string | undefined },
  ): Promise<{ passId: string; pass: string; startsAt: string; expiresAt: string; oneTime: boolean }> {
    const scope = userScope(principal);
    const now = this.deps.clock.now();
    const user = await this.requireUser(principal, userId);
    if (user.blocked) throw new UserBlockedError('The user is blocked from MFA; an admin must unblock them first', { reason: user.blocked.reason });
    const startsAt = input.startsAt === undefined ? now : Date.parse(input.startsAt);
    // A start in the past is now; one too far ahead is a mistake.
    if (startsAt > now + ACCESS_PASS_MAX_START_DAYS * 86_400_000) {
      throw new ValidationError('The access pass is not valid', [{ pointer: '/startsAt', detail: `must be at most ${ACCESS_PASS_MAX_START_DAYS} days ahead` }]);
    }
    const start = Math.max(startsAt, now);
    const pass = newAccessPass();
    const record: AccessPassRecord = {
      tenantId: principal.tenantId,
      space: scope.space,
      userId,
      passId: randomId('tap', 12),
      passHash: hashAccessPass(pass),
      startsAt: start,
      expiresAt: start + input.lifetimeMinutes * 60_000,
      oneTime: input.oneTime,
      uses: 0,
      createdAt: new Date(now).toISOString(),
      createdBy: principal.keyId,
      ...(user.credentialEpoch ? { epoch: user.credentialEpoch } : {}),
    };
    // The cap holds under races: a pass is stored only if none was issued since the count was read.
    for (let attempt = 1; ; attempt++) {
      const { passes, issued } = await this.deps.store.issueState(scope, userId);
      const live = passes.filter((p) => stillIssuedTo(user, p) && passState(p, now) !== 'expired');
      if (live.length >= ACCESS_PASSES_PER_USER) {
        throw new ConflictError(`The user already has ${ACCESS_PASSES_PER_USER} access passes; revoke one first`, { max: ACCESS_PASSES_PER_USER });
      }
      if (await this.deps.store.putPass(record, issued)) break;
      if (attempt >= USER_WRITE_ATTEMPTS) throw new ConflictError('Other access passes kept being issued to this user meanwhile; try again');
    }
    this.deps.log.info('access pass issued', { userId, passId: record.passId, keyId: principal.keyId, oneTime: record.oneTime, expiresAt: new Date(record.expiresAt).toISOString() });
    return { passId: record.passId, pass, startsAt: new Date(record.startsAt).toISOString(), expiresAt: new Date(record.expiresAt).toISOString(), oneTime: record.oneTime };
  }

  /** The user's passes (current credential epoch, since the last block), newest first, without secrets. */
  async list(principal: Principal, userId: string): Promise<AccessPassView[]> {
    const user = await this.requireUser(principal, userId);
    const now = this.deps.clock.now();
    return (await this.deps.store.listPasses(userScope(principal), userId))
      .filter((p) => stillIssuedTo(user, p))
      .sort((a, b) => (a.createdAt < b.createdAt ? 1 : -1))
      .map((p) => view(p, now));
  }

  async revoke(principal: Principal, userId: string, passId: string): Promise<void> {
    await this.requireUser(principal, userId);
    if (!(await this.deps.store.deletePass(userScope(principal), userId, passId))) throw new NotFoundError('No such access pass');
    this.deps.log.info('access pass revoked', { userId, passId, keyId: principal.keyId });
  }

  private async requireUser(principal: Principal, userId: string): Promise<User> {
    const user = await this.deps.users.getUser(userScope(principal), userId);
    if (!user) throw new NotFoundError('No such user');
    return user;
  }
}
