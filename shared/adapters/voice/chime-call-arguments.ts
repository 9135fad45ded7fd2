/**
 * What travels with a Chime SDK PSTN audio call, from CreateSipMediaApplicationCall's
 * ArgumentsMap to the SIP media application's TransactionAttributes, and back to our handler on
 * every event of the call. Transaction attributes hold at most 10 keys of at most 1,024
 * characters each, and a Step Functions task token can be up to 2,048 characters, so the token
 * is split over numbered keys.
 */

export const CALL_ATTRIBUTE = {
  /** Prefix of the numbered keys that carry the task token: TaskToken0, TaskToken1, … */
  taskTokenPrefix: 'TaskToken',
  /** What the call says when answered (R10). */
  prompt: 'Prompt',
  /** Set once the callee answered: a hang-up after that is a deliberate denial (R11). */
  answered: 'Answered',
  /** Set once the call's outcome was decided, so the hang-up that follows reports nothing. */
  settled: 'Settled',
} as const;

/** Longest value a transaction attribute may hold. */
export const CALL_ATTRIBUTE_MAX_LENGTH = 1024;

/** Room left for the token once the other attributes are counted (10 keys in all). */
const MAX_TOKEN_PARTS = 10 - 3;

export function taskTokenAttributes(token: string): Record<string, string> {
  if (!token) throw new Error('empty task token');
  const parts: string[] = [];
  for (let at = 0; at < token.length; at += CALL_ATTRIBUTE_MAX_LENGTH) parts.push(token.slice(at, at + CALL_ATTRIBUTE_MAX_LENGTH));
  if (parts.length > MAX_TOKEN_PARTS) throw new Error('task token too long for the call attributes');
  return Object.fromEntries(parts.map((part, i) => [`${CALL_ATTRIBUTE.taskTokenPrefix}${i}`, part]));
}

/** Joins the numbered parts back, in order; undefined when the call carries no token. */
export function taskTokenFrom(attributes: Readonly<Record<string, string | undefined>>): string | undefined {
  const parts: string[] = [];
  for (let i = 0; i < MAX_TOKEN_PARTS; i++) {
    const part = attributes[`${CALL_ATTRIBUTE.taskTokenPrefix}${i}`];
    if (part === undefined) break;
    parts.push(part);
  }
  return parts.length ? parts.join('') : undefined;
}

/** The attributes our handler keeps from a call's arguments: the token parts and the prompt. */
export function callAttributesFrom(args: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const [key, value] of Object.entries(args)) {
    if (value === undefined) continue;
    if (key === CALL_ATTRIBUTE.prompt || key.startsWith(CALL_ATTRIBUTE.taskTokenPrefix)) kept[key] = value;
  }
  return kept;
}
