import type { Clock, JsonValue, Log, ThrottleStore, VoiceDialer, VoiceRollover } from '../../ports';
import type { LocalCallbackRegistry } from '../../voice/local-callbacks';
import type { LocalStateMachine, localVoiceRollover } from '../../voice/local-runner';
import { voiceRolloverInputSchema, type VoiceRolloverInput, type VoiceRolloverSummary } from '../../voice/schemas';
import { VOICE_STATES } from '../../voice/state-machine';

export interface LocalVoiceRolloverOptions {
  /**
   * The in-process Step Functions runner (aws-local-stepfunctions). The local runtime passes it
   * in, so that the Lambda bundles, which share this module through the composition, never
   * include the runner.
   */
  readonly runner: typeof localVoiceRollover;
  /** The step task's function: the voice-finish handler, as the local runtime loads it. */
  readonly finish: (payload: JsonValue) => Promise<unknown>;
  /** R6: the throttle store the handlers use, whose per-number hourly cap each dial takes. */
  readonly throttle: Pick<ThrottleStore, 'take'>;
  /**
   * Milliseconds a call may ring unanswered before the rollover moves on, instead of the
   * definition's TimeoutSeconds. Only ever shorter; tests use it so no test waits a minute.
   */
  readonly callTimeoutMs?: number;
  readonly log?: Log;
}

/**
 * The local runtime's Step Functions: runs the voice rollover definition that CDK deploys
 * (state-machine.ts), in-process, with the telephone simulator as the dialer and the in-process
 * callback registry for task tokens. The local runtime binds the step task to the same
 * handler module the finish Lambda runs, as CDK binds the Lambda ARNs into the definition.
 */
export class LocalVoiceRollover implements VoiceRollover {
  private machine?: LocalStateMachine<VoiceRolloverInput, VoiceRolloverSummary>;

  constructor(private readonly deps: { readonly dialer: VoiceDialer; readonly callbacks: LocalCallbackRegistry; readonly clock: Clock }) {}

  configure(options: LocalVoiceRolloverOptions): void {
    this.machine = options.runner({
      ...this.deps,
      throttle: options.throttle,
      stepFunction: options.finish,
      ...(options.log ? { log: options.log } : {}),
      ...(options.callTimeoutMs ? { taskTimeoutOverridesMs: { [VOICE_STATES.placeCall]: options.callTimeoutMs } } : {}),
    });
  }

  async start(input: VoiceRolloverInput): Promise<string> {
    if (!this.machine) throw new Error('The local voice rollover is not running');
    // Named after the challenge, as on AWS: one execution per challenge.
    return this.machine.startExecution(voiceRolloverInputSchema.parse(input), input.challengeId).executionId;
  }

  /** Stops every call still waiting for an answer (the local runtime shutting down). */
  stop(): void {
    this.deps.callbacks.abandonAll();
  }
}
