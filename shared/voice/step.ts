import type { Clock, Log } from '../ports';
import { decide, type AttemptOutcome, type VoiceResult } from './outcomes';
import { NUMBER_OVER_CAP_ERROR } from './place-call';
import {
  rolloverStepSchema,
  type Attempt,
  type CallResult,
  type RolloverState,
  type VoiceRolloverSummary,
  type VoiceStep,
} from './schemas';

/**
 * Call-task errors that are attempt outcomes of their own; any other error the task fails with
 * (a failed placement, a SendTaskFailure) is `call_failed`. The state machine's Decide state
 * rolls all of them over, which `voiceRolloverDefinition` checks against `decide`.
 */
export const CALL_ERROR_OUTCOMES: Readonly<Record<string, AttemptOutcome>> = {
  /** R12: nobody reported on the call within the task's TimeoutSeconds. */
  'States.Timeout': 'timeout',
  /** R6: the number was not dialled. */
  [NUMBER_OVER_CAP_ERROR]: 'over_cap',
};

/** The outcome of one attempt, from what its call task ended with. */
export function attemptOutcomeOf(call: CallResult): AttemptOutcome {
  if ('outcome' in call) return call.outcome;
  return CALL_ERROR_OUTCOMES[call.Error] ?? 'call_failed';
}

/** R10–R14: how the rollover ends after its last attempt (none: there was no number to call). */
export function verdictAfter(last: AttemptOutcome | undefined): VoiceResult {
  const decision = last === undefined ? undefined : decide(last);
  if (!decision || decision.kind === 'next') return { kind: 'deny', reason: 'unreachable' };
  return decision;
}

export interface RolloverStepDeps {
  /** The recorder: each attempt as it ends (progress), then the result with every attempt. */
  readonly record: (step: VoiceStep) => Promise<void>;
  /** When an attempt ended is when its step runs. */
  readonly clock: Clock;
  readonly log: Log;
}

/**
 * The rollover's step task, the same on AWS (the voice-finish Lambda) and locally: what the
 * state machine does between one call and the next, in one task instead of a chain of states
 * (each state entered is a billed transition). It turns the call's ending into an attempt,
 * records it as progress (best effort: the finish records every attempt again, so a failure
 * here never stops the rollover), and then either
 * - `next`: returns the state for the next number (the head of `numbers` dropped, the attempt
 *   appended), or
 * - `finish`: records the result (R10–R14, and a fraud report's effects) with every attempt and
 *   returns the summary, which becomes the execution's output. This throws when the record
 *   fails, so that the state machine retries it; it is idempotent.
 *
 * Which one runs is decided by the state machine's Decide state, generated from `decide`; `next`
 * refuses an attempt that `decide` would not roll over, so the two cannot silently disagree.
 */
export async function runRolloverStep(payload: unknown, deps: RolloverStepDeps): Promise<RolloverState | VoiceRolloverSummary> {
  const { step, rollover } = rolloverStepSchema.parse(payload);
  const { call, attempts = [], ...input } = rollover;
  const attempt = call ? await recordAttempt(rollover, call, attempts.length, deps) : undefined;
  const all = attempt ? [...attempts, attempt] : attempts;
  if (step === 'next') {
    if (!attempt || decide(attempt.outcome).kind !== 'next' || input.numbers.length < 2) {
      throw new Error('The rollover cannot go on to a next number from this state');
    }
    return { ...input, numbers: input.numbers.slice(1), attempts: all };
  }
  const summary: VoiceRolloverSummary = {
    challengeId: input.challengeId,
    tenantId: input.tenantId,
    result: verdictAfter(attempt?.outcome),
    attempts: all,
  };
  await deps.record(summary);
  return summary;
}

async function recordAttempt(rollover: RolloverState, call: CallResult, index: number, deps: RolloverStepDeps): Promise<Attempt> {
  const number = rollover.numbers[0];
  if (!number) throw new Error('A call ended, but the rollover has no number it was placed to');
  const attempt: Attempt = { index, number, outcome: attemptOutcomeOf(call), at: new Date(deps.clock.now()).toISOString() };
  try {
    await deps.record({ challengeId: rollover.challengeId, tenantId: rollover.tenantId, attempt });
  } catch (error) {
    deps.log.warn('voice attempt not recorded as progress', {
      challengeId: rollover.challengeId,
      index,
      error: error instanceof Error ? error.name : 'unknown',
    });
  }
  return attempt;
}
