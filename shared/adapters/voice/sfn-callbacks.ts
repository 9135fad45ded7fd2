import { SendTaskFailureCommand, SendTaskHeartbeatCommand, SendTaskSuccessCommand, type SFNClient } from '@aws-sdk/client-sfn';
import type { CallbackDelivery, JsonValue, TaskCallbacks } from '../../ports';

/** Step Functions' answers for a token whose task no longer waits (timed out, or execution over). */
const EXPIRED = new Set(['TaskTimedOut', 'TaskDoesNotExist']);

function expiredOrThrow(error: unknown): CallbackDelivery {
  if (error instanceof Error && EXPIRED.has(error.name)) return { kind: 'expired' };
  throw error;
}

/**
 * Completes `.waitForTaskToken` tasks on AWS. A report that comes after its task timed out (a
 * "#" pressed after the rollover moved on) is `expired`, not an error: it changes nothing, and
 * the caller decides what to tell the callee.
 */
export class SfnTaskCallbacks implements TaskCallbacks {
  constructor(private readonly sfn: SFNClient) {}

  async sendTaskSuccess(taskToken: string, output: JsonValue): Promise<CallbackDelivery> {
    try {
      await this.sfn.send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(output) }));
      return { kind: 'delivered' };
    } catch (error) {
      return expiredOrThrow(error);
    }
  }

  /** The task has no HeartbeatSeconds: this only asks whether it still waits. */
  async sendTaskHeartbeat(taskToken: string): Promise<CallbackDelivery> {
    try {
      await this.sfn.send(new SendTaskHeartbeatCommand({ taskToken }));
      return { kind: 'delivered' };
    } catch (error) {
      return expiredOrThrow(error);
    }
  }

  async sendTaskFailure(taskToken: string, failure: { error: string; cause?: string }): Promise<CallbackDelivery> {
    try {
      await this.sfn.send(new SendTaskFailureCommand({ taskToken, error: failure.error, cause: failure.cause }));
      return { kind: 'delivered' };
    } catch (error) {
      return expiredOrThrow(error);
    }
  }
}
