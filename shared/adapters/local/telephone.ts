import { randomUUID } from 'node:crypto';
import { NotFoundError } from '../../domain/errors';
import type { Clock } from '../../ports';
import type { LocalCallbackRegistry } from '../../voice/local-callbacks';
import type { AttemptOutcome, CallOutcome } from '../../voice/outcomes';
import type { VoiceCall, VoiceDialer } from '../../ports';
import { VOICE_GOODBYE, VOICE_TASK_ENDED } from '../../voice/rules';

/** What the person (or voicemail, or network) at a number does with a call. */
export const PHONE_ACTIONS = ['press#', 'press0#', 'hangup', 'voicemail', 'busy', 'disconnected', 'invalid', 'no-answer'] as const;
export type PhoneAction = (typeof PHONE_ACTIONS)[number];

/** A number's script: an action taken at once when the call arrives, or `manual` to let it ring. */
export type PhoneScript = PhoneAction | 'manual';

/** The outcome the call reports for each action, as Chime's handler reports it on AWS. */
const OUTCOME_OF: Record<PhoneAction, CallOutcome> = {
  'press#': 'approved',
  'press0#': 'fraud',
  hangup: 'denied',
  voicemail: 'voicemail',
  busy: 'busy',
  disconnected: 'disconnected',
  invalid: 'invalid_number',
  'no-answer': 'no_answer',
};

export function isPhoneAction(value: unknown): value is PhoneAction {
  return typeof value === 'string' && (PHONE_ACTIONS as readonly string[]).includes(value);
}

export interface RingingCall {
  readonly callId: string;
  readonly number: string;
  readonly callerId: string;
  readonly prompt: string;
  /** ISO 8601. */
  readonly startedAt: string;
}

export interface CallRecord extends RingingCall {
  readonly state: 'ringing' | 'ended';
  /** What was done with the call; absent while it rings and when it rang until the task gave up. */
  readonly action?: PhoneAction;
  /** What the state machine learnt: the reported outcome, or `timeout`. */
  readonly outcome?: AttemptOutcome;
  readonly endedAt?: string;
  /**
   * What the call said after a key, before hanging up: the goodbye, or, when the key reached a
   * task that had already ended, that nothing was approved (as the Chime handler says on AWS).
   */
  readonly said?: string;
}

interface Call {
  record: CallRecord;
  readonly taskToken: string;
}

/**
 * The local phone network for the voice factor. Each number follows a script (`press#`,
 * `hangup`, `voicemail`, `busy`, …; a default covers unscripted numbers) or, with `manual`,
 * rings until someone answers it through `answer` (the `/local/phone/{number}` endpoints).
 * Either way the outcome goes back through the callback registry with the call's task token,
 * as the Chime handler sends it with SendTaskSuccess on AWS.
 *
 * A scripted `no-answer` rings with nobody there and nothing reported, so the call task's own
 * timeout rolls the challenge over; answering by hand with `no-answer` reports `no_answer` at
 * once, as the network does when it gives up ringing (SIP 480). A call that outlives its task
 * is hung up: one whose task timed out stops ringing with the outcome `timeout`, one whose task
 * ended otherwise (its execution failed or stopped) stops ringing too; a key that reaches a task
 * already ended approves nothing, and the call says so.
 */
export class LocalTelephone implements VoiceDialer {
  private readonly scripts = new Map<string, PhoneScript>();
  private readonly history: Call[] = [];
  private readonly listeners: ((call: RingingCall) => void)[] = [];

  constructor(
    private readonly deps: { readonly callbacks: LocalCallbackRegistry; readonly clock: Clock },
    private defaultScript: PhoneScript = 'manual',
  ) {
    // A call outlives its task when the task stops waiting without it (timed out, or its
    // execution failed or stopped): it is hung up, as the Chime handler hangs up on AWS.
    deps.callbacks.onClose((token, closure) => {
      const call = this.history.find((c) => c.taskToken === token && c.record.state === 'ringing');
      if (call) this.end(call, closure === 'timed_out' ? { outcome: 'timeout' } : {});
    });
  }

  /** Scripts a number; `manual` makes it ring until answered. */
  script(number: string, script: PhoneScript): void {
    this.scripts.set(number, script);
  }

  /** What unscripted numbers do. */
  setDefault(script: PhoneScript): void {
    this.defaultScript = script;
  }

  scriptOf(number: string): PhoneScript {
    return this.scripts.get(number) ?? this.defaultScript;
  }

  /** Forgets scripts and calls; the default stays. */
  reset(): void {
    this.scripts.clear();
    this.history.length = 0;
  }

  async dial(call: VoiceCall): Promise<{ callId: string }> {
    const entry: Call = {
      taskToken: call.taskToken,
      record: {
        callId: randomUUID(),
        number: call.to,
        callerId: call.callerId,
        prompt: call.prompt,
        startedAt: this.now(),
        state: 'ringing',
      },
    };
    this.history.push(entry);
    for (const listener of this.listeners) listener(this.ringingOf(entry));
    const script = this.scriptOf(call.to);
    if (script !== 'manual' && script !== 'no-answer') {
      // As on a real network, the outcome arrives after the call was placed, never within it.
      // The call record keeps the outcome even if no task was waiting for it any more.
      setImmediate(() => this.settle(entry, script).catch(() => undefined));
    }
    return { callId: entry.record.callId };
  }

  /** Calls ringing at a number now, oldest first, with what each will say when answered. */
  ringing(number: string): RingingCall[] {
    return this.history.filter((c) => c.record.number === number && c.record.state === 'ringing').map((c) => this.ringingOf(c));
  }

  /** Called whenever a call is placed (the local runtime prints it, as it prints texts). */
  onCall(listener: (call: RingingCall) => void): void {
    this.listeners.push(listener);
  }

  private ringingOf({ record: { callId, number, callerId, prompt, startedAt } }: Call): RingingCall {
    return { callId, number, callerId, prompt, startedAt };
  }

  /** Answers the oldest call ringing at the number. NotFoundError when none rings. */
  async answer(number: string, action: PhoneAction): Promise<CallRecord> {
    const call = this.history.find((c) => c.record.number === number && c.record.state === 'ringing');
    if (!call) throw new NotFoundError('No call is ringing at this number');
    return this.settle(call, action);
  }

  /** Every call placed, oldest first, optionally for one number only. */
  calls(number?: string): CallRecord[] {
    return this.history.filter((c) => number === undefined || c.record.number === number).map((c) => ({ ...c.record }));
  }

  private async settle(call: Call, action: PhoneAction): Promise<CallRecord> {
    if (call.record.state !== 'ringing') return { ...call.record };
    const outcome = OUTCOME_OF[action];
    this.end(call, { action, outcome });
    const delivery = await this.deps.callbacks.sendTaskSuccess(call.taskToken, { outcome });
    // The task gave up on this call just before it was answered: nothing was decided by it,
    // and a key pressed is told so rather than thanked.
    const keyed = action === 'press#' || action === 'press0#';
    if (delivery.kind === 'expired') call.record = { ...call.record, outcome: 'timeout', ...(keyed ? { said: VOICE_TASK_ENDED } : {}) };
    else if (keyed) call.record = { ...call.record, said: VOICE_GOODBYE };
    return { ...call.record };
  }

  private end(call: Call, result: { action?: PhoneAction; outcome?: AttemptOutcome }): void {
    call.record = { ...call.record, ...result, state: 'ended', endedAt: this.now() };
  }

  private now(): string {
    return new Date(this.deps.clock.now()).toISOString();
  }
}
