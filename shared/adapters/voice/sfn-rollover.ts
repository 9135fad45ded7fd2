import { ExecutionAlreadyExists, StartExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import type { VoiceRollover } from '../../ports';
import type { VoiceRolloverInput } from '../../voice/schemas';

/**
 * Starts the voice rollover's Standard workflow. The execution is named after the challenge,
 * so a retried start cannot call the user twice: Step Functions answers the same name with the
 * same input idempotently, and refuses it with other input.
 */
export class SfnVoiceRollover implements VoiceRollover {
  constructor(
    private readonly sfn: SFNClient,
    private readonly stateMachineArn: string,
  ) {}

  async start(input: VoiceRolloverInput): Promise<string> {
    try {
      const out = await this.sfn.send(
        new StartExecutionCommand({ stateMachineArn: this.stateMachineArn, name: input.challengeId, input: JSON.stringify(input) }),
      );
      if (!out.executionArn) throw new Error('Step Functions started no execution');
      return out.executionArn;
    } catch (error) {
      if (error instanceof ExecutionAlreadyExists) throw new Error('A rollover already runs for this challenge', { cause: error });
      throw error;
    }
  }
}
