import {
  FATIGUE_DENIALS,
  FATIGUE_PAUSE_SECONDS,
  FATIGUE_WINDOW_SECONDS,
  TENANT_CHALLENGES_PER_SECOND,
  TENANT_REQUESTS_PER_SECOND,
  USER_CHALLENGE_WINDOW_SECONDS,
  USER_CHALLENGES_PER_WINDOW,
  WRONG_CODE_COOLDOWN_BASE_SECONDS,
  WRONG_CODE_COOLDOWN_MAX_SECONDS,
  WRONG_CODE_STREAK_BEFORE_COOLDOWN,
  WRONG_CODE_STREAK_RESET_SECONDS,
} from '../rules';
import type { Tenant } from './types';

/**
 * A user's throttling state, one item per user (R6, R7, R8). `recent` is a sliding log of the
 * last challenge and resend times; `version` makes its update compare-and-set.
 */
export interface UserThrottleState {
  /** Epoch ms of the newest sends, at most USER_CHALLENGES_PER_WINDOW, oldest first. */
  readonly recent: readonly number[];
  readonly wrongStreak: number;
  readonly lastWrongAt?: number;
  /** Epoch ms of recent denied or ignored push/voice prompts (R7). */
  readonly denials: readonly number[];
  readonly pausedUntil?: number;
  readonly version: number;
}

export const EMPTY_THROTTLE: UserThrottleState = { recent: [], wrongStreak: 0, denials: [], version: 0 };

export type Admission =
  | { readonly kind: 'admit'; readonly recent: number[] }
  | { readonly kind: 'refuse'; readonly reason: 'user_rate' | 'wrong_code_cooldown' | 'fatigue_pause'; readonly retryAfterSeconds: number };

const seconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));

/** R8: how long a new challenge waits after a streak of wrong codes (0 below the threshold). */
export function wrongCodeCooldownSeconds(streak: number): number {
  if (streak < WRONG_CODE_STREAK_BEFORE_COOLDOWN) return 0;
  const doublings = Math.floor((streak - WRONG_CODE_STREAK_BEFORE_COOLDOWN) / WRONG_CODE_STREAK_BEFORE_COOLDOWN);
  return Math.min(WRONG_CODE_COOLDOWN_MAX_SECONDS, WRONG_CODE_COOLDOWN_BASE_SECONDS * 2 ** Math.min(doublings, 20));
}

/** The streak as it counts now: forgotten after an hour without wrong codes. */
export function currentStreak(state: UserThrottleState, now: number): number {
  if (!state.lastWrongAt || now - state.lastWrongAt >= WRONG_CODE_STREAK_RESET_SECONDS * 1000) return 0;
  return state.wrongStreak;
}

/** R7: until when push and voice are paused for the user, if they are. */
export function fatiguePausedUntil(state: UserThrottleState, now: number): number | undefined {
  return state.pausedUntil && state.pausedUntil > now ? state.pausedUntil : undefined;
}

/**
 * Whether one more challenge (or resend) may go out now, and the sliding log after it.
 * R6 is a sliding log: at most `limit` sends in ANY window of USER_CHALLENGE_WINDOW_SECONDS —
 * the worst-case burst is exactly `limit`, never more across a window edge.
 */
export function admit(
  state: UserThrottleState,
  now: number,
  /** R7: the factor prompts the user (push, voice), so a fatigue pause holds it back. */
  fatigues: boolean,
  limit: number = USER_CHALLENGES_PER_WINDOW,
  isResend = false,
): Admission {
  const pausedUntil = fatiguePausedUntil(state, now);
  if (pausedUntil && fatigues) {
    return { kind: 'refuse', reason: 'fatigue_pause', retryAfterSeconds: seconds(pausedUntil - now) };
  }
  if (!isResend) {
    const streak = currentStreak(state, now);
    const cooldown = wrongCodeCooldownSeconds(streak) * 1000;
    if (cooldown > 0 && state.lastWrongAt && now < state.lastWrongAt + cooldown) {
      return { kind: 'refuse', reason: 'wrong_code_cooldown', retryAfterSeconds: seconds(state.lastWrongAt + cooldown - now) };
    }
  }
  const windowStart = now - USER_CHALLENGE_WINDOW_SECONDS * 1000;
  const inWindow = state.recent.filter((t) => t > windowStart);
  if (inWindow.length >= limit) {
    const oldest = inWindow[inWindow.length - limit] as number;
    return { kind: 'refuse', reason: 'user_rate', retryAfterSeconds: seconds(oldest + USER_CHALLENGE_WINDOW_SECONDS * 1000 - now) };
  }
  return { kind: 'admit', recent: [...inWindow, now].slice(-limit) };
}

/** R7: one more denied or ignored push/voice prompt; the third within the window starts a pause. */
export function afterDenial(state: UserThrottleState, now: number): { denials: number[]; pausedUntil?: number } {
  const denials = [...state.denials.filter((t) => t > now - FATIGUE_WINDOW_SECONDS * 1000), now];
  if (denials.length >= FATIGUE_DENIALS) return { denials: [], pausedUntil: now + FATIGUE_PAUSE_SECONDS * 1000 };
  return { denials, ...(fatiguePausedUntil(state, now) ? { pausedUntil: state.pausedUntil as number } : {}) };
}

/** What the console shows of a user's throttling (issue: counters, pauses, cool-downs). */
export function throttleView(state: UserThrottleState, now: number, limit: number = USER_CHALLENGES_PER_WINDOW) {
  const windowStart = now - USER_CHALLENGE_WINDOW_SECONDS * 1000;
  const recent = state.recent.filter((t) => t > windowStart);
  const streak = currentStreak(state, now);
  const cooldown = wrongCodeCooldownSeconds(streak) * 1000;
  const coolDownUntil = cooldown && state.lastWrongAt && state.lastWrongAt + cooldown > now ? state.lastWrongAt + cooldown : undefined;
  const paused = fatiguePausedUntil(state, now);
  const iso = (t: number) => new Date(t).toISOString();
  return {
    challengesInWindow: recent.length,
    challengeLimit: limit,
    windowSeconds: USER_CHALLENGE_WINDOW_SECONDS,
    ...(recent.length >= limit ? { nextChallengeAt: iso((recent[recent.length - limit] as number) + USER_CHALLENGE_WINDOW_SECONDS * 1000) } : {}),
    wrongCodeStreak: streak,
    ...(coolDownUntil ? { coolDownUntil: iso(coolDownUntil) } : {}),
    fatigue: {
      recentDenials: state.denials.filter((t) => t > now - FATIGUE_WINDOW_SECONDS * 1000).length,
      ...(paused ? { pausedUntil: iso(paused), reason: `${FATIGUE_DENIALS} push or voice prompts denied or ignored within ${FATIGUE_WINDOW_SECONDS / 60} minutes` } : {}),
    },
  };
}

/** R6: a tenant's ceilings: the rule's per-user limit, and the per-second caps the operator set (or the defaults). */
export function tenantCeilings(tenant: Pick<Tenant, 'caps'>) {
  return {
    challengesPerUserPerWindow: USER_CHALLENGES_PER_WINDOW,
    challengesPerSecond: tenant.caps?.challengesPerSecond ?? TENANT_CHALLENGES_PER_SECOND,
    requestsPerSecond: tenant.caps?.requestsPerSecond ?? TENANT_REQUESTS_PER_SECOND,
  };
}

/**
 * R6: the limits in force for a tenant. Its own settings may only lower a ceiling: a value above
 * one (stored before the ceiling existed, or above a cap the operator lowered since) counts as
 * the ceiling.
 */
export function tenantLimits(tenant: Pick<Tenant, 'caps' | 'settings'>) {
  const ceilings = tenantCeilings(tenant);
  const own = tenant.settings.limits;
  return {
    challengesPerUserPerWindow: Math.min(own?.challengesPerUserPerWindow ?? Infinity, ceilings.challengesPerUserPerWindow),
    challengesPerSecond: Math.min(own?.challengesPerSecond ?? Infinity, ceilings.challengesPerSecond),
    requestsPerSecond: ceilings.requestsPerSecond,
  };
}
