import { CreateSipMediaApplicationCallCommand, type ChimeSDKVoiceClient } from '@aws-sdk/client-chime-sdk-voice';
import type { VoiceCall, VoiceDialer } from '../../ports';
import { CALL_ATTRIBUTE, taskTokenAttributes } from './chime-call-arguments';

/**
 * Places the press-# call with Chime SDK PSTN audio: CreateSipMediaApplicationCall from the
 * tenant's caller ID (R15; it must be a number in the account's Chime inventory, and carriers
 * may still not show it). The task token and the prompt ride in the ArgumentsMap, which the SIP
 * media application handler keeps as the call's TransactionAttributes.
 */
export class ChimeVoiceDialer implements VoiceDialer {
  constructor(
    private readonly chime: ChimeSDKVoiceClient,
    private readonly sipMediaApplicationId: string,
  ) {}

  async dial(call: VoiceCall): Promise<{ callId: string }> {
    const out = await this.chime.send(
      new CreateSipMediaApplicationCallCommand({
        FromPhoneNumber: call.callerId,
        ToPhoneNumber: call.to,
        SipMediaApplicationId: this.sipMediaApplicationId,
        ArgumentsMap: { ...taskTokenAttributes(call.taskToken), [CALL_ATTRIBUTE.prompt]: call.prompt },
      }),
    );
    const callId = out.SipMediaApplicationCall?.TransactionId;
    if (!callId) throw new Error('Chime placed no call');
    return { callId };
  }
}
