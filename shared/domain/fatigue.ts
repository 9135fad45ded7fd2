import type { Log, ThrottleStore } from '../ports';
import { afterDenial, type UserThrottleState } from './throttling';

/** R7: the user's fatigue part after these denied or ignored prompts (epoch ms each). */
export function fatigueAfter(state: UserThrottleState, times: readonly number[]): { denials: number[]; pausedUntil?: number } {
  let next: UserThrottleState = state;
  for (const time of times) {
    const { denials, pausedUntil } = afterDenial(next, time);
    next = { ...next, denials, pausedUntil };
  }
  return { denials: [...next.denials], ...(next.pausedUntil ? { pausedUntil: next.pausedUntil } : {}) };
}

/** Compare-and-set rounds for the fatigue count before giving up (R7). */
const FATIGUE_CAS_ROUNDS = 5;

/**
 * R7: counts denied or ignored push/voice prompts (epoch ms each) for the user; the third in the
 * window pauses push and voice. Compare-and-set on the user's throttle state, so concurrent
 * denials are all counted.
 */
export async function countFatigue(
  deps: { readonly throttle: ThrottleStore; readonly log: Log },
  challenge: { readonly tenantId: string; readonly userId: string; readonly challengeId: string },
  times: readonly number[],
): Promise<void> {
  if (times.length === 0) return;
  const { throttle, log } = deps;
  for (let round = 0; round < FATIGUE_CAS_ROUNDS; round++) {
    const state = await throttle.getUserState(challenge.tenantId, challenge.userId);
    let next: UserThrottleState = state;
    for (const time of times) {
      const { denials, pausedUntil } = afterDenial(next, time);
      next = { ...next, denials, pausedUntil };
    }
    const fatigue = { denials: next.denials, ...(next.pausedUntil ? { pausedUntil: next.pausedUntil } : {}) };
    if (await throttle.setFatigue(challenge.tenantId, challenge.userId, fatigue, state.version)) {
      if (next.pausedUntil && next.pausedUntil !== state.pausedUntil) {
        log.info('push and voice paused for fatigue', { challengeId: challenge.challengeId, until: new Date(next.pausedUntil).toISOString() });
      }
      return;
    }
  }
  log.error('fatigue not counted: the throttle state kept changing', { challengeId: challenge.challengeId });
}
