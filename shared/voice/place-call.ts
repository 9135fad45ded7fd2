import type { VoiceDialer } from '../ports';
import { voicePrompt } from './rules';
import { placeCallPayloadSchema } from './schemas';

/**
 * The call task's function, the same on AWS (the place-call Lambda) and locally: checks the
 * payload, words the prompt (R10) and starts the call from the tenant's caller ID (R15). It
 * returns as soon as the call is placed; the outcome comes back later with the task token. A
 * throw fails the task, which the state machine treats as a failed attempt and rolls over.
 */
export async function placeCall(payload: unknown, dialer: VoiceDialer): Promise<{ callId: string }> {
  const call = placeCallPayloadSchema.parse(payload);
  const { callId } = await dialer.dial({
    to: call.to,
    callerId: call.callerId,
    prompt: voicePrompt(call.appName),
    taskToken: call.taskToken,
  });
  return { callId };
}
