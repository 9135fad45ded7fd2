import type { CallbackDelivery, JsonValue, TaskCallbacks } from '../ports';

/**
 * A copy made the way data crosses Step Functions: through JSON text. (Not structuredClone:
 * aws-local-stepfunctions only walks plain objects of its own realm, which a test sandbox's
 * structuredClone does not return.)
 */
export function jsonCopy(value: unknown): JsonValue {
  return JSON.parse(JSON.stringify(value)) as JsonValue;
}

/** How a waiting task stopped waiting. */
export type TaskClosure = 'succeeded' | 'failed' | 'timed_out' | 'abandoned';

/** Rejects a waiting task the way Step Functions fails one: the error name is what Catch matches. */
export class TaskError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

/** A token that was never issued (Step Functions answers InvalidToken / TaskDoesNotExist). */
export class UnknownTaskTokenError extends Error {
  override readonly name = 'InvalidToken';
}

interface Waiting {
  readonly settle: (outcome: { ok: true; output: JsonValue } | { ok: false; error: TaskError }) => void;
  readonly timer: ReturnType<typeof setTimeout>;
}

/**
 * The local stand-in for Step Functions' task tokens: the local runner registers each
 * `.waitForTaskToken` task here under its token and waits; whoever holds the token (the
 * telephone simulator, a test) completes it with sendTaskSuccess / sendTaskFailure, exactly as
 * the Chime handler does on AWS. A task that waits past its timeout fails with States.Timeout,
 * and a late report on its token answers `expired`, like SendTaskSuccess' TaskTimedOut.
 */
export class LocalCallbackRegistry implements TaskCallbacks {
  private readonly waiting = new Map<string, Waiting>();
  private readonly closed = new Map<string, TaskClosure>();
  private readonly listeners: ((token: string, closure: TaskClosure) => void)[] = [];

  /**
   * Starts waiting on `token`. The promise settles with the task's output, or rejects with a
   * TaskError (the reported error, or States.Timeout after `timeoutMs`).
   */
  wait(token: string, timeoutMs: number): Promise<JsonValue> {
    if (this.waiting.has(token) || this.closed.has(token)) throw new Error('task token reused');
    return new Promise<JsonValue>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.close(token, 'timed_out');
        reject(new TaskError('States.Timeout', 'The task timed out waiting for its callback'));
      }, timeoutMs);
      this.waiting.set(token, {
        timer,
        settle: (outcome) => (outcome.ok ? resolve(outcome.output) : reject(outcome.error)),
      });
    });
  }

  /** Stops waiting without settling, when the task itself failed before anyone could report. */
  abandon(token: string): void {
    this.close(token, 'abandoned');
  }

  async sendTaskSuccess(token: string, output: JsonValue): Promise<CallbackDelivery> {
    const entry = this.take(token);
    if (!entry) return { kind: 'expired' };
    this.close(token, 'succeeded');
    // A copy, as if it had crossed the network: the reporter cannot change it afterwards.
    entry.settle({ ok: true, output: jsonCopy(output) });
    return { kind: 'delivered' };
  }

  async sendTaskFailure(token: string, failure: { error: string; cause?: string }): Promise<CallbackDelivery> {
    const entry = this.take(token);
    if (!entry) return { kind: 'expired' };
    this.close(token, 'failed');
    entry.settle({ ok: false, error: new TaskError(failure.error, failure.cause ?? '') });
    return { kind: 'delivered' };
  }

  /** Whether the task still waits, as SendTaskHeartbeat tells it: `expired` once it stopped. */
  async sendTaskHeartbeat(token: string): Promise<CallbackDelivery> {
    return this.take(token) ? { kind: 'delivered' } : { kind: 'expired' };
  }

  /** Stops every wait without settling it (the local runtime shutting down, a test ending). */
  abandonAll(): void {
    for (const token of [...this.waiting.keys()]) this.close(token, 'abandoned');
  }

  /** Called whenever a task stops waiting, however it stopped. */
  onClose(listener: (token: string, closure: TaskClosure) => void): void {
    this.listeners.push(listener);
  }

  /** Tokens still waiting for a report. */
  pending(): string[] {
    return [...this.waiting.keys()];
  }

  private take(token: string): Waiting | undefined {
    const entry = this.waiting.get(token);
    if (!entry && !this.closed.has(token)) throw new UnknownTaskTokenError('No task was ever given this token');
    return entry;
  }

  private close(token: string, closure: TaskClosure): void {
    const entry = this.waiting.get(token);
    if (!entry) return;
    clearTimeout(entry.timer);
    this.waiting.delete(token);
    this.closed.set(token, closure);
    for (const listener of this.listeners) listener(token, closure);
  }
}
