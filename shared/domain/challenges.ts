import {
  IDEMPOTENCY_TTL_SECONDS,
  MAX_WRONG_CODES,
  MESSAGES_PER_NUMBER_PER_HOUR,
  RESEND_COOLDOWN_SECONDS,
} from '../rules';
import type {
  Audit,
  AuthLogStore,
  ChallengeStore,
  Clock,
  IdempotencyRecord,
  Log,
  ThrottleRefusal,
  ThrottleStore,
  ThrottleWrites,
  UserStore,
  UserWithThrottleReader,
} from '../ports';
import type { AssertionSigner } from './assertions';
import { ChallengeStatusReader, MAX_SENDS, viewOf } from './challenge-status';
import { attemptAudit, auditOf, failedDeliveryAudit, throttledAudit } from './auth-log';
import { ContainerWindowCounter } from './request-caps';
import { admit, currentStreak, tenantLimits, type UserThrottleState } from './throttling';
import { canonicalJson, randomId, safeEqual, sha256Hex } from './crypto';
import {
  DeliveryFailedError,
  IdempotencyConflictError,
  MethodUnavailableError,
  MfaNotEnabledError,
  NotFoundError,
  ResendRefusedError,
  RetryLaterError,
  UserBlockedError,
} from './errors';
import { ownerOf, sameEpoch } from './credentials';
import type { Delivery, FactorModule, FactorRegistry } from './factors/factor';
import { createRefusalReason, NO_SUCH_USER, passkeysOnly, refusalOf, resendRefusal, revoke } from './refusals';
import { chooseMethod, phishingResistantOnly, usableMethods } from './registration';
import type { Challenge, ChallengeView, Factor, Gateway, Principal, User } from './types';
import { userScope } from './users';

export interface CreateChallengeInput {
  readonly userId: string;
  readonly method?: Factor;
  readonly context?: { readonly clientIp?: string; readonly appName?: string; readonly location?: string; readonly gateway?: Gateway };
}

export type { ChallengeView } from './types';

export interface ChallengeDeps {
  readonly challenges: ChallengeStore;
  readonly users: UserStore;
  readonly logs: AuthLogStore;
  readonly throttle: ThrottleStore;
  readonly clock: Clock;
  readonly signer: Pick<AssertionSigner, 'sign' | 'signingKey' | 'signWith'>;
  readonly log: Log;
  /** How each factor's challenge starts and is answered (./factors): one module per factor. */
  readonly factors: FactorRegistry;
  /** The user and the user's throttling state in one read, where the stores can; else `users` and `throttle` read them apart. */
  readonly usersWithThrottle?: UserWithThrottleReader;
}

/**
 * Start, resend and read challenges (R1–R4, R16, R20, R23). Their answers are checked by
 * ./challenge-verifier.ts, built on its own by the verify handler, from the same dependencies.
 */
export class ChallengeService {
  /** R6: the tenant's per-second challenge cap, counted in this container (see ContainerWindowCounter). */
  private readonly tenantChallenges: ContainerWindowCounter;
  private readonly status: ChallengeStatusReader;

  constructor(private readonly deps: ChallengeDeps) {
    this.tenantChallenges = new ContainerWindowCounter(deps.throttle);
    this.status = new ChallengeStatusReader(deps);
  }

  async create(
    principal: Principal,
    input: CreateChallengeInput,
    idempotencyKey?: string,
  ): Promise<{ view: ChallengeView; replayed: boolean }> {
    await this.takeTenantChallenge(principal);
    const now = this.deps.clock.now();
    // A lost race on the user's sliding log (another challenge got there first) is retried
    // with the state as it is now; every other outcome is final.
    for (let attempt = 0; ; attempt++) {
      const outcome = await this.tryCreate(principal, input, idempotencyKey).catch((error: unknown) => this.refusedCreate(principal, input, error, now));
      if (outcome.kind === 'done') return outcome.result;
      if (attempt >= 4) throw new RetryLaterError('Too many concurrent challenges for this user; try again', 1, { reason: 'user_rate' });
    }
  }

  /**
   * R6 per tenant: a cap on challenges and resends per second, taken before anything else they
   * do. Not logged per request: a flood would otherwise write a log line for every refusal.
   */
  private async takeTenantChallenge(principal: Principal): Promise<void> {
    const now = this.deps.clock.now();
    const limit = tenantLimits(principal.tenant).challengesPerSecond;
    if (!(await this.tenantChallenges.take({ name: 'tenant_rate', subject: principal.tenantId, limit, windowSeconds: 1, now }))) {
      throw new RetryLaterError(THROTTLE_TEXT.tenant_rate, Math.max(1, Math.ceil((1000 - (now % 1000)) / 1000)), { reason: 'tenant_rate' });
    }
  }

  private async tryCreate(
    principal: Principal,
    input: CreateChallengeInput,
    idempotencyKey?: string,
  ): Promise<{ kind: 'done'; result: { view: ChallengeView; replayed: boolean } } | { kind: 'retry' }> {
    const { clock, users, challenges } = this.deps;
    const now = clock.now();
    const { settings } = principal.tenant;
    const { user, throttle } = this.deps.usersWithThrottle
      ? await this.deps.usersWithThrottle.getUserWithThrottle(userScope(principal), input.userId)
      : await Promise.all([users.getUser(userScope(principal), input.userId), this.deps.throttle.getUserState(principal.tenantId, input.userId)]).then(([u, t]) => ({ user: u, throttle: t }));
    if (!user) throw new NotFoundError(NO_SUCH_USER);
    if (user.blocked) throw new UserBlockedError('The user is blocked from MFA; an admin must unblock them', { reason: user.blocked.reason });
    if (!user.mfaEnabled) throw new MfaNotEnabledError('MFA is not enabled for this user');
    const method = chooseMethod(user, settings, input.method);
    const factor = this.deps.factors[method];
    // What the user must have registered for this factor, and where its challenge goes.
    const prepared = factor.prepare({ principal, user, ...(input.context ? { context: input.context } : {}) });
    const admission = admit(throttle, now, factor.fatigues, tenantLimits(principal.tenant).challengesPerUserPerWindow);
    const requestHash = sha256Hex(canonicalJson({ userId: input.userId, method: input.method, context: input.context }));
    if (admission.kind === 'refuse') {
      // A retry of a request that already went through is answered as before, not throttled.
      const earlier = idempotencyKey ? await challenges.getIdempotency(principal.tenantId, idempotencyKey) : undefined;
      if (earlier && earlier.expiresAt > now) return { kind: 'done', result: await this.replay(earlier, requestHash, now) };
      await this.deps.logs.append(throttledAudit(principal, user, method, admission.reason, now, input.context?.clientIp, input.context?.gateway));
      throw new RetryLaterError(THROTTLE_TEXT[admission.reason], admission.retryAfterSeconds, { reason: admission.reason });
    }

    const challengeId = randomId('ch');
    const issued = await prepared.issue(challengeId);
    const keepPersonal = settings.logOptionalFields;
    const challenge: Challenge = {
      challengeId,
      tenantId: principal.tenantId,
      userId: user.userId,
      method,
      status: 'pending',
      ...(issued.codeHash ? { codeHash: issued.codeHash } : {}),
      wrongAttempts: 0,
      sends: 1,
      createdAt: now,
      lastSentAt: now,
      expiresAt: now + prepared.ttlSeconds * 1000,
      destination: prepared.destination,
      destinationE164: prepared.destinationE164,
      audit: {
        ...(keepPersonal && user.firstName ? { firstName: user.firstName } : {}),
        ...(keepPersonal && user.lastName ? { lastName: user.lastName } : {}),
        ...(keepPersonal && user.email ? { email: user.email } : {}),
        ...(input.context?.clientIp ? { clientIp: input.context.clientIp } : {}),
        ...(input.context?.appName ? { appName: input.context.appName } : {}),
        ...(input.context?.gateway ? { gateway: input.context.gateway } : {}),
        // Answered elsewhere, after this request returned: those events name the caller (R23).
        ...(factor.answer.kind === 'elsewhere' ? { caller: { keyId: principal.keyId, keyName: principal.keyName, ...(principal.sourceIp ? { sourceIp: principal.sourceIp } : {}) } } : {}),
      },
      ...issued.state,
      owner: ownerOf(userScope(principal).space, user),
      ...(throttle.wrongStreak > 0 ? { streakAtStart: true as const } : {}),
    };
    const idempotency: IdempotencyRecord | undefined = idempotencyKey
      ? {
          tenantId: principal.tenantId,
          key: idempotencyKey,
          requestHash,
          challengeId,
          expiresAt: now + IDEMPOTENCY_TTL_SECONDS * 1000,
          view: viewOf(factor, challenge, now),
        }
      : undefined;

    const audit: Audit = {
      ...auditOf(principal, challenge, { event: 'challenge', result: 'sent', now }),
      throttle: sendLimits(factor, challenge, throttle, admission.recent, now),
    };
    const outcome = await challenges.create(challenge, audit, idempotency);
    if (outcome.kind === 'throttled') {
      if (outcome.by === 'user_log_changed') return { kind: 'retry' };
      await this.refuseThrottled(principal, user, method, outcome, now, input.context?.clientIp, input.context?.gateway);
    }
    if (outcome.kind === 'replayed') return { kind: 'done', result: await this.replay(outcome.record, requestHash, now) };

    if (issued.delivery) await this.deliver(principal, challenge, async () => user, issued.delivery(challenge));
    this.deps.log.info('challenge created', { challengeId, method, ...(challenge.destinationE164 ? { destination: challenge.destination } : {}) });
    return { kind: 'done', result: { view: viewOf(factor, challenge, now), replayed: false } };
  }

  /** The answer to a repeated Idempotency-Key: the same challenge, or a conflict if the body differs. */
  private async replay(record: IdempotencyRecord, requestHash: string, now: number): Promise<{ view: ChallengeView; replayed: boolean }> {
    if (!safeEqual(record.requestHash, requestHash)) {
      throw new IdempotencyConflictError('This Idempotency-Key was already used with a different request');
    }
    const existing = await this.deps.challenges.get(record.challengeId);
    const view = existing ? viewOf(this.deps.factors[existing.method], existing, now) : { ...record.view, status: 'expired' as const };
    return { view, replayed: true };
  }

  /** R23: a create refused before a challenge exists is logged with the user id as given; then refused. */
  private async refusedCreate(principal: Principal, input: CreateChallengeInput, error: unknown, now: number): Promise<never> {
    const reason = createRefusalReason(error);
    if (reason) {
      await this.deps.logs.append(
        attemptAudit(principal, {
          userId: input.userId,
          ...(input.method ? { method: input.method } : {}),
          event: 'challenge',
          result: 'denied',
          reason,
          now,
          ...(input.context?.clientIp ? { clientIp: input.context.clientIp } : {}),
          ...(input.context?.gateway ? { gateway: input.context.gateway } : {}),
        }),
      );
    }
    throw error;
  }

  /** A counter in the store was full (per number, per tenant): logged, then a 429. */
  private async refuseThrottled(
    principal: Principal,
    user: User,
    method: Factor,
    outcome: ThrottleRefusal,
    now: number,
    clientIp?: string,
    gateway?: Gateway,
  ): Promise<never> {
    const reason: ThrottleReason = outcome.by === 'number_rate' ? 'number_rate' : outcome.by === 'tenant_rate' ? 'tenant_rate' : 'user_rate';
    await this.deps.logs.append(throttledAudit(principal, user, method, reason, now, clientIp, gateway));
    const retryAfter = reason === 'number_rate' ? Math.ceil((3_600_000 - (now % 3_600_000)) / 1000) : 1;
    throw new RetryLaterError(THROTTLE_TEXT[reason], retryAfter, { reason });
  }

  /** The challenge as it is now, with the assertion of an approval given elsewhere (./challenge-status.ts). */
  async get(principal: Principal, challengeId: string): Promise<ChallengeView & { assertion?: string }> {
    return this.status.get(principal, challengeId);
  }

  /** R3/R6: a new code; a refusal on an existing challenge of the tenant is logged (R23). */
  async resend(principal: Principal, challengeId: string): Promise<ChallengeView> {
    // Bounded like creates by the tenant's per-second cap (unlogged), so refusals cannot be a cheap stream of log writes.
    await this.takeTenantChallenge(principal);
    const now = this.deps.clock.now();
    try {
      return await this.resendCode(principal, challengeId);
    } catch (error) {
      const refusal = resendRefusal(error);
      const challenge = refusal ? await this.deps.challenges.get(challengeId) : undefined;
      if (refusal && challenge && challenge.tenantId === principal.tenantId) {
        await this.deps.logs.append(auditOf(principal, challenge, { event: 'resend', ...refusal, now, counted: false }));
      }
      throw error;
    }
  }

  private async resendCode(principal: Principal, challengeId: string): Promise<ChallengeView> {
    const { challenges, clock } = this.deps;
    const now = clock.now();
    const challenge = await challenges.get(challengeId);
    if (!challenge || challenge.tenantId !== principal.tenantId) throw new NotFoundError('No such challenge');
    const factor = this.deps.factors[challenge.method];
    const resend = factor.resend;
    if (resend.kind === 'refused') throw new MethodUnavailableError(resend.message, { method: challenge.method });
    const refusal = refusalOf(factor, challenge, now);
    if (refusal) throw refusal.error;
    // R6: a resend counts like a challenge towards the user's limit and the number's.
    const [throttle, owner] = await Promise.all([
      this.deps.throttle.getUserState(principal.tenantId, challenge.userId),
      challenge.owner ? this.deps.users.getUser({ tenantId: principal.tenantId, space: challenge.owner.space }, challenge.userId) : undefined,
    ]);
    // R19: no new code goes to the number of a user deleted, reset or blocked since the challenge started.
    if (challenge.owner && (!sameEpoch(owner, challenge.owner.epoch) || owner?.blocked)) await revoke(this.deps.challenges, principal, challenge, now, 'resend');
    if (owner && phishingResistantOnly(owner, principal.tenant.settings)) throw passkeysOnly(challenge);
    const admission = admit(throttle, now, factor.fatigues, tenantLimits(principal.tenant).challengesPerUserPerWindow, true);
    if (admission.kind === 'refuse') {
      throw new RetryLaterError(THROTTLE_TEXT[admission.reason], admission.retryAfterSeconds, { reason: admission.reason });
    }
    const reissued = await resend.reissue(challenge);
    const outcome = await challenges.replaceCode(
      {
        challengeId,
        tenantId: principal.tenantId,
        codeHash: reissued.codeHash,
        now,
        expiresAt: now + resend.ttlSeconds * 1000,
        maxWrong: MAX_WRONG_CODES,
        maxSends: MAX_SENDS,
        sentBefore: now - RESEND_COOLDOWN_SECONDS * 1000,
      },
      {
        ...auditOf(principal, challenge, { event: 'resend', result: 'sent', now, counted: false }),
        throttle: sendLimits(factor, challenge, throttle, admission.recent, now),
      },
    );
    if (outcome.kind === 'throttled') {
      const reason: ThrottleReason = outcome.by === 'number_rate' ? 'number_rate' : 'user_rate';
      const retryAfter = reason === 'number_rate' ? Math.ceil((3_600_000 - (now % 3_600_000)) / 1000) : 1;
      throw new RetryLaterError(THROTTLE_TEXT[reason], retryAfter, { reason });
    }
    if (outcome.kind === 'refused') {
      const current = outcome.current;
      if (!current || current.tenantId !== principal.tenantId) throw new NotFoundError('No such challenge');
      const now2 = refusalOf(factor, current, now);
      if (now2) throw now2.error;
      if (current.sends >= MAX_SENDS) {
        throw new ResendRefusedError('No resends left for this challenge; start a new one', { resendsRemaining: 0 });
      }
      const wait = Math.max(1, Math.ceil((current.lastSentAt + RESEND_COOLDOWN_SECONDS * 1000 - now) / 1000));
      throw new RetryLaterError('A code was sent moments ago; wait before asking for another', wait, { reason: 'resend_cooldown' });
    }
    const resent: Challenge = { ...challenge, expiresAt: now + resend.ttlSeconds * 1000, lastSentAt: now, sends: challenge.sends + 1 };
    await this.deliver(principal, resent, () => this.deps.users.getUser(userScope(principal), challenge.userId), reissued.delivery(resent), 'resend');
    this.deps.log.info('code resent', { challengeId, sends: resent.sends });
    return viewOf(factor, resent, now);
  }

  /**
   * Sends the text, places the call or notifies the phone (the factor's delivery); if it cannot
   * go out, the challenge is denied and the caller told what to try next.
   */
  private async deliver(
    principal: Principal,
    challenge: Challenge,
    loadUser: () => Promise<User | undefined>,
    delivery: Delivery,
    event: 'challenge' | 'resend' = 'challenge',
  ): Promise<void> {
    try {
      const fields = await delivery.send();
      this.deps.log.info(delivery.sent, { challengeId: challenge.challengeId, ...fields });
    } catch (error) {
      this.deps.log.warn(delivery.notSent, { challengeId: challenge.challengeId, error: delivery.describe(error) });
      await this.failDelivery(principal, challenge, loadUser, delivery.problem, event);
    }
  }

  /** Denies the challenge as undeliverable (R16), and says which methods the relying app could try instead. */
  private async failDelivery(
    principal: Principal,
    challenge: Challenge,
    loadUser: () => Promise<User | undefined>,
    message: string,
    event: 'challenge' | 'resend' = 'challenge',
  ): Promise<never> {
    const now = this.deps.clock.now();
    // A failed resend is logged as such; the challenge's first send was delivered and stays counted.
    const audit =
      event === 'resend'
        ? auditOf(principal, challenge, { event: 'resend', result: 'failed', reason: 'delivery_failed', now, counted: false })
        : failedDeliveryAudit(principal, challenge, now);
    await this.deps.challenges.deny({ challengeId: challenge.challengeId, reason: 'delivery_failed' }, audit);
    const user = await loadUser();
    const next = user ? usableMethods(user, principal.tenant.settings).filter((m) => m !== challenge.method) : [];
    throw new DeliveryFailedError(message, { nextMethods: next });
  }
}

type ThrottleReason = 'user_rate' | 'wrong_code_cooldown' | 'fatigue_pause' | 'number_rate' | 'tenant_rate';

const THROTTLE_TEXT: Record<ThrottleReason, string> = {
  user_rate: 'Too many challenges for this user in the last 5 minutes',
  wrong_code_cooldown: 'Too many wrong codes recently: wait before starting another challenge',
  fatigue_pause: 'Push and voice are paused for this user after repeated denied or ignored prompts; use a code method',
  number_rate: 'Too many messages to this phone number this hour',
  tenant_rate: "Too many challenges for this tenant right now",
};

/** The throttle writes that let one more send go out: the user's sliding log and the number's hour (R6). */
function sendLimits(
  factor: FactorModule,
  challenge: Challenge,
  state: UserThrottleState,
  recent: number[],
  now: number,
): ThrottleWrites {
  return {
    userLog: {
      tenantId: challenge.tenantId,
      userId: challenge.userId,
      recent,
      expectedVersion: state.version,
      ...(state.wrongStreak > 0 && currentStreak(state, now) === 0 ? { resetStreak: true } : {}),
    },
    // Only a challenge sent to a number takes that number's hour here; a factor may count it
    // elsewhere (a voice rollover, right before each number is dialled).
    counters: challenge.destinationE164 && factor.countsNumberPerSend
      ? [{ name: 'number_rate', subject: challenge.destinationE164, limit: MESSAGES_PER_NUMBER_PER_HOUR, windowSeconds: 3600, now }]
      : [],
  };
}
