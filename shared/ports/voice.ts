// Voice factor (R10–R15).

import type { Challenge, DenialReason, VoiceAttemptRecord } from '../domain/types';
import type { VoiceRolloverInput } from '../voice/schemas';
import type { Audit } from './auth-log';
import type { ConditionalOutcome, OwnerCheck, SettleOutcome } from './challenges';

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** One call to place: the callee answers it by pressing keys (R10). */
export interface VoiceCall {
  /** E.164 number to call. */
  readonly to: string;
  /** E.164 number shown to the callee: the tenant's caller ID (R15, best effort). */
  readonly callerId: string;
  /** What the call says (R10). */
  readonly prompt: string;
  /** The Step Functions task token the call's outcome is reported with. Never logged. */
  readonly taskToken: string;
}

/**
 * Places voice calls: Chime SDK PSTN audio on AWS, the telephone simulator locally. `dial` only
 * starts the call; its outcome arrives later, through TaskCallbacks, with the call's task token.
 * Throws when the call cannot be placed.
 */
export interface VoiceDialer {
  dial(call: VoiceCall): Promise<{ readonly callId: string }>;
}

/**
 * Whether a callback reached a waiting task. `expired`: the task is no longer waiting (it timed
 * out, or its execution ended), so the report changed nothing.
 */
export type CallbackDelivery = { readonly kind: 'delivered' } | { readonly kind: 'expired' };

/**
 * Completes a `.waitForTaskToken` task: Step Functions' SendTaskSuccess / SendTaskFailure on AWS,
 * the in-process callback registry locally. Throws for a token that was never issued.
 */
export interface TaskCallbacks {
  sendTaskSuccess(taskToken: string, output: JsonValue): Promise<CallbackDelivery>;
  sendTaskFailure(taskToken: string, failure: { readonly error: string; readonly cause?: string }): Promise<CallbackDelivery>;
  /** Whether the task still waits (SendTaskHeartbeat): `expired` once it timed out or its execution ended. Changes nothing. */
  sendTaskHeartbeat(taskToken: string): Promise<CallbackDelivery>;
}

/**
 * Starts one voice rollover (R13): a Standard Step Functions execution on AWS, the same
 * definition run in-process locally. Returns at once with the execution's id; the result comes
 * back through the finish step, never through the caller.
 */
export interface VoiceRollover {
  start(input: VoiceRolloverInput): Promise<string>;
}

/**
 * The voice rollover's writes to its challenge (R10–R14). Kept apart from ChallengeStore because
 * only the finish step makes them; DynamoDB's challenge store implements both.
 */
export interface VoiceChallengeStore {
  get(challengeId: string): Promise<Challenge | undefined>;
  /**
   * Appends one finished call to a pending challenge, only if it is the next one
   * (`attempt.index` equals the calls recorded so far): a retried step records nothing twice.
   */
  recordAttempt(input: { challengeId: string; tenantId: string; attempt: VoiceAttemptRecord }): Promise<ConditionalOutcome>;
  /**
   * Approves or denies a pending challenge with every call of the rollover, atomically with
   * the audits (one per call, one for the result). An approval also needs the challenge
   * unexpired at `now`. Refused when it is no longer pending: the finish step is idempotent.
   */
  finish(
    input: {
      challengeId: string;
      tenantId: string;
      result: { kind: 'approve' } | { kind: 'deny'; reason: DenialReason };
      attempts: readonly VoiceAttemptRecord[];
      now: number;
      owner?: OwnerCheck;
      /** R14: the fraud report's effects are owed from this time (epoch ms) until `fraudReportDone`. */
      fraudReportPendingSince?: number;
    },
    audits: readonly Audit[],
  ): Promise<SettleOutcome>;
  /** R14: the fraud report's effects are all done; a retried finish step has nothing left to do. */
  fraudReportDone(input: { challengeId: string; tenantId: string }): Promise<void>;
}
