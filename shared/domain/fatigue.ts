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
