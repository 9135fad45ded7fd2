import { maskPhone } from '../domain/mask';
import type { Clock, Log, ThrottleStore, VoiceDialer } from '../ports';
import { MESSAGES_PER_NUMBER_PER_HOUR } from '../rules';
import { voicePrompt } from './rules';
import { placeCallPayloadSchema } from './schemas';

/**
 * The error name the place-call function fails its task with when the number is over its
 * hourly cap (R6). The state machine catches it by this name and records the attempt as
 * `over_cap`, without a call; it must not look like a failed placement.
 */
export const NUMBER_OVER_CAP_ERROR = 'Tessera.NumberOverCap';

/** Thrown instead of dialling a number over its hourly cap (R6); its name is what the state machine's Catch matches. */
export class NumberOverCapError extends Error {
  override readonly name = NUMBER_OVER_CAP_ERROR;
}

export interface PlaceCallDeps {
  readonly dialer: VoiceDialer;
  /** R6: the per-number hourly counter, the one texts take too. */
  readonly throttle: Pick<ThrottleStore, 'take'>;
  readonly clock: Clock;
  readonly log: Log;
}

/**
 * The call task's function, the same on AWS (the place-call Lambda) and locally: checks the
 * payload, takes one unit of the number's hourly cap (R6: every number dialled counts, the
 * backups too), words the prompt (R10) and starts the call from the tenant's caller ID (R15).
 * It returns as soon as the call is placed; the outcome comes back later with the task token.
 * A number over its cap is not dialled: the task fails with NumberOverCapError, which the state
 * machine records as `over_cap` and rolls over. Any other throw fails the task, which the state
 * machine treats as a failed attempt and rolls over.
 */
export async function placeCall(payload: unknown, deps: PlaceCallDeps): Promise<{ callId: string }> {
  const call = placeCallPayloadSchema.parse(payload);
  // One conditional write, right before the dial: two rollovers racing for the last unit of
  // the hour cannot both ring the number.
  const admitted = await deps.throttle.take({
    name: 'number_rate',
    subject: call.to,
    limit: MESSAGES_PER_NUMBER_PER_HOUR,
    windowSeconds: 3600,
    now: deps.clock.now(),
  });
  if (!admitted) {
    deps.log.warn('voice call skipped: the number is over its hourly cap', {
      challengeId: call.challengeId,
      attempt: call.attempt,
      number: maskPhone(call.to),
    });
    throw new NumberOverCapError('The number was called or texted too often this hour; not dialled');
  }
  const { callId } = await deps.dialer.dial({
    to: call.to,
    callerId: call.callerId,
    prompt: voicePrompt(call.appName),
    taskToken: call.taskToken,
  });
  return { callId };
}
