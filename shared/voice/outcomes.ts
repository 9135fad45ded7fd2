/**
 * How a voice call can end, and what each ending means for the challenge (R11–R14). Pure: no
 * AWS, no clock. The state machine's Choice state is generated from `decide`, so the rollover
 * policy is written once.
 */

/** What a call reports back through SendTaskSuccess, from Chime or from the local telephone. */
export const CALL_OUTCOMES = [
  /** R10: "#" pressed. */
  'approved',
  /** R11: answered, then hung up without "#". */
  'denied',
  /** R14: "0" then "#". */
  'fraud',
  /** R12: answered, no key within the wait after the prompt (typically voicemail). */
  'voicemail',
  /** R12: busy signal (SIP 486/600, or the callee declined). */
  'busy',
  /** R12: the number was in service once and is not any more (SIP 410). */
  'disconnected',
  /** R12: no such number (SIP 404/484/604). */
  'invalid_number',
  /** R12: rang until the network gave up (SIP 480/408/487). */
  'no_answer',
  /** The call could not be placed or broke before an answer for another reason. */
  'call_failed',
] as const;
export type CallOutcome = (typeof CALL_OUTCOMES)[number];

/**
 * What one attempt of the rollover ends with: a reported call outcome, `timeout` when the
 * call task ran past its TimeoutSeconds without a report, or `over_cap` when the number was
 * not dialled because it is over its hourly cap (R6). A failed call placement is `call_failed`.
 */
export const ATTEMPT_OUTCOMES = [...CALL_OUTCOMES, 'timeout', 'over_cap'] as const;
export type AttemptOutcome = (typeof ATTEMPT_OUTCOMES)[number];

export function isCallOutcome(value: unknown): value is CallOutcome {
  return typeof value === 'string' && (CALL_OUTCOMES as readonly string[]).includes(value);
}

export function isAttemptOutcome(value: unknown): value is AttemptOutcome {
  return typeof value === 'string' && (ATTEMPT_OUTCOMES as readonly string[]).includes(value);
}

/** Why a voice challenge was denied. `unreachable` is decided by the loop, not by one call (R13). */
export type VoiceDenialReason = 'denied' | 'fraud_reported' | 'unreachable';

/** What to do after one attempt. */
export type Decision =
  | { readonly kind: 'approve' }
  | { readonly kind: 'deny'; readonly reason: 'denied' | 'fraud_reported' }
  | { readonly kind: 'next' };

/** How a whole rollover ends. */
export type VoiceResult = { readonly kind: 'approve' } | { readonly kind: 'deny'; readonly reason: VoiceDenialReason };

/**
 * The rollover policy. Only a deliberate answer stops the rollover: "#" approves (R10), a hang-up
 * after answering denies (R11), "0#" denies as fraud (R14). Everything that says "nobody
 * answered this phone" tries the next number (R12), and so does a number skipped because it is
 * over its hourly cap (R6); running out of numbers is R13's business.
 */
export function decide(outcome: AttemptOutcome): Decision {
  switch (outcome) {
    case 'approved':
      return { kind: 'approve' };
    case 'denied':
      return { kind: 'deny', reason: 'denied' };
    case 'fraud':
      return { kind: 'deny', reason: 'fraud_reported' };
    case 'voicemail':
    case 'busy':
    case 'disconnected':
    case 'invalid_number':
    case 'no_answer':
    case 'call_failed':
    case 'timeout':
    case 'over_cap':
      return { kind: 'next' };
  }
}

/**
 * R7: voice prompts the user denies or ignores count towards MFA fatigue. A deliberate denial, a
 * fraud report, and a call that reached the user's phone but went unanswered (rang out, voicemail,
 * timed out) count; a busy line, a dead number or our own failure to place the call do not.
 */
export function countsTowardsFatigue(outcome: AttemptOutcome): boolean {
  switch (outcome) {
    case 'denied':
    case 'fraud':
    case 'voicemail':
    case 'no_answer':
    case 'timeout':
      return true;
    case 'approved':
    case 'busy':
    case 'disconnected':
    case 'invalid_number':
    case 'call_failed':
    case 'over_cap':
      return false;
  }
}
