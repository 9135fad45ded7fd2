import type { Clock } from '../ports';

/** The wall clock, as Lambda has it. */
export const systemClock: Clock = { now: () => Date.now() };
