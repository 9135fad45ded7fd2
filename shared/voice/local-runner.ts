import { randomBytes, randomUUID } from 'node:crypto';
import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import type { Clock, JsonValue, Log, ThrottleStore, VoiceDialer } from '../ports';
import { jsonCopy, type LocalCallbackRegistry } from './local-callbacks';
import { placeCall } from './place-call';
import { voiceRolloverSummarySchema, type VoiceRolloverInput, type VoiceRolloverSummary, type VoiceStep } from './schemas';
import { runRolloverStep } from './step';
import {
  LAMBDA_INVOKE,
  LAMBDA_INVOKE_WAIT_FOR_TASK_TOKEN,
  voiceRolloverDefinition,
  type AslDefinition,
  type JsonObject,
  type VoiceRolloverResources,
} from './state-machine';

/** A local stand-in for a Lambda function the definition invokes, keyed by its FunctionName. */
export type LocalFunction = (payload: JsonValue) => Promise<unknown> | unknown;

export interface LocalStateMachineOptions<O> {
  readonly definition: AslDefinition;
  /** Local handlers by the FunctionName (or Resource) the definition names. */
  readonly functions: Readonly<Record<string, LocalFunction>>;
  readonly callbacks: LocalCallbackRegistry;
  /** Checks and types the execution's output. */
  readonly parseOutput: (output: unknown) => O;
  /** For `$$.State.EnteredTime`; the local runtime's adjustable clock. */
  readonly clock?: Clock;
  readonly name?: string;
  /**
   * Milliseconds a task state waits instead of its TimeoutSeconds, by state name. Only ever
   * shorter: tests use it so that no test waits for a real timeout.
   */
  readonly taskTimeoutOverridesMs?: Readonly<Record<string, number>>;
  /** Milliseconds between retries instead of the Retry intervals, by state name. */
  readonly retryIntervalOverridesMs?: Readonly<Record<string, number>>;
  readonly log?: Log;
}

export interface LocalExecution<O> {
  /** An ARN-shaped id, as StartExecution returns on AWS. */
  readonly executionId: string;
  /** Settles when the execution ends: its output, or the reason it failed. */
  readonly done: Promise<O>;
  /**
   * The states the execution entered, in order, a retried state once more for each retry: what
   * Step Functions bills as state transitions. Settles once the execution has ended, however.
   */
  readonly transitions: Promise<readonly string[]>;
}

/** What the library hands a Task override: the state's input after Parameters. */
type TaskInput = { FunctionName?: unknown; Payload?: JsonValue } & Record<string, unknown>;

interface TaskPlan {
  readonly stateName: string;
  readonly fn: LocalFunction;
  readonly integration: 'invoke' | 'waitForTaskToken' | 'direct';
  readonly timeoutMs: number;
}

/**
 * What the local executions did, for the benchmark's cost figures: Step Functions bills a
 * Standard workflow per state transition, Lambda per invocation and duration of each task.
 */
export const localStepFunctionsUsage = {
  executions: 0,
  /** States entered, and retries (a retry enters again), as Step Functions counts transitions. */
  transitions: 0,
  /** Task functions called (each is a Lambda invocation on AWS) and their time, without any wait for a callback. */
  taskInvocations: 0,
  taskMs: 0,
};

async function timed<T>(work: () => Promise<T> | T): Promise<T> {
  const started = performance.now();
  try {
    return await work();
  } finally {
    localStepFunctionsUsage.taskInvocations++;
    localStepFunctionsUsage.taskMs += performance.now() - started;
  }
}

/** Definitions (as JSON text) that already passed the library's validation in this process. */
const VALIDATED = new Set<string>();

/** The library's default when a Task sets no TimeoutSeconds. */
const DEFAULT_TASK_TIMEOUT_SECONDS = 60;

/**
 * Issues the task token of the Task state being entered. The library reads `$$.Task.Token`
 * from the context object while it evaluates the state's Parameters, and calls the state's
 * override right after, in the same synchronous step; so the token read during one state entry
 * is the one the override takes, and the next entry reads a fresh one.
 */
class TaskTokenSlot {
  private current: string | undefined;

  read(): string {
    this.current ??= randomBytes(48).toString('base64url');
    return this.current;
  }

  take(): string | undefined {
    const token = this.current;
    this.current = undefined;
    return token;
  }
}

function containsTaskTokenPath(value: unknown): boolean {
  if (value === '$$.Task.Token') return true;
  if (Array.isArray(value)) return value.some(containsTaskTokenPath);
  if (value && typeof value === 'object') return Object.values(value).some(containsTaskTokenPath);
  return false;
}

/**
 * Runs an ASL definition in-process with aws-local-stepfunctions, the way Step Functions runs it
 * on AWS: Task states call local functions in place of Lambda (with the optimised integration's
 * input and output shapes), and each `.waitForTaskToken` task gets its own real token in
 * `$$.Task.Token`, then waits on the callback registry until someone reports on that token or
 * its TimeoutSeconds pass. The definition is not changed in any way for the local run.
 */
export class LocalStateMachine<I extends JsonValue, O> {
  private readonly machine: StateMachine;
  private readonly plans: TaskPlan[];
  private readonly name: string;

  constructor(private readonly options: LocalStateMachineOptions<O>) {
    this.name = options.name ?? 'local-state-machine';
    // A copy: the library annotates the definition it is given, and the caller's must stay as CDK sees it.
    // Its ASL validation is slow (a JSON schema compile), so each distinct definition is checked once.
    const text = JSON.stringify(options.definition);
    this.machine = new StateMachine(JSON.parse(text) as StateMachineDefinition, {
      validationOptions: { noValidate: VALIDATED.has(text) },
    });
    VALIDATED.add(text);
    this.plans = Object.entries(options.definition.States)
      .filter(([, state]) => state.Type === 'Task')
      .map(([stateName, state]) => this.plan(stateName, state));
  }

  startExecution(input: I, name: string = randomUUID()): LocalExecution<O> {
    const { callbacks, clock, parseOutput, retryIntervalOverridesMs } = this.options;
    const executionId = `arn:aws:states:local:000000000000:execution:${this.name}:${name}`;
    const slot = new TaskTokenSlot();
    const now = () => new Date(clock ? clock.now() : Date.now()).toISOString();
    const context = {
      Execution: { Id: executionId, Name: name },
      StateMachine: { Id: `arn:aws:states:local:000000000000:stateMachine:${this.name}`, Name: this.name },
      Task: {
        get Token() {
          return slot.read();
        },
      },
      State: {
        get EnteredTime() {
          return now();
        },
      },
    };
    const handlers = Object.fromEntries(this.plans.map((plan) => [plan.stateName, this.handler(plan, slot, callbacks)]));
    const run = this.machine.run(input, {
      context,
      overrides: { taskResourceLocalHandlers: handlers, retryIntervalOverrides: { ...retryIntervalOverridesMs } },
    });
    localStepFunctionsUsage.executions++;
    const transitions = (async () => {
      const entered: string[] = [];
      for await (const event of run.eventLogs) {
        if (event.type === 'StateEntered' || event.type === 'StateRetried') {
          entered.push(event.state.name);
          localStepFunctionsUsage.transitions++;
        }
      }
      return entered;
    })();
    transitions.catch(() => undefined);
    const done = run.result.then((output) => parseOutput(output));
    // The caller may never look at a failed execution; it must not crash the process for that.
    done.catch((error: unknown) => {
      this.options.log?.error('local execution failed', { executionId, error: String(error) });
    });
    return { executionId, done, transitions };
  }

  private plan(stateName: string, state: JsonObject): TaskPlan {
    const resource = String(state.Resource);
    const parameters = (state.Parameters ?? {}) as JsonObject;
    const integration =
      resource === LAMBDA_INVOKE_WAIT_FOR_TASK_TOKEN ? 'waitForTaskToken' : resource === LAMBDA_INVOKE ? 'invoke' : 'direct';
    const functionName = integration === 'direct' ? resource : parameters.FunctionName;
    if (typeof functionName !== 'string') {
      throw new Error(`${stateName}: the local runner needs a literal FunctionName`);
    }
    const fn = this.options.functions[functionName];
    if (!fn) throw new Error(`${stateName}: no local function named "${functionName}"`);
    if (integration === 'waitForTaskToken' && !containsTaskTokenPath(parameters)) {
      throw new Error(`${stateName}: a .waitForTaskToken task must pass $$.Task.Token`);
    }
    const timeoutSeconds = typeof state.TimeoutSeconds === 'number' ? state.TimeoutSeconds : DEFAULT_TASK_TIMEOUT_SECONDS;
    const override = this.options.taskTimeoutOverridesMs?.[stateName];
    return { stateName, fn, integration, timeoutMs: Math.min(override ?? Infinity, timeoutSeconds * 1000) };
  }

  private handler(plan: TaskPlan, slot: TaskTokenSlot, callbacks: LocalCallbackRegistry) {
    return async (raw: unknown): Promise<JsonValue> => {
      // Every task entry clears the slot, so a token is never handed to two tasks.
      const token = slot.take();
      const input = raw as TaskInput;
      switch (plan.integration) {
        case 'direct':
          return toJson(await timed(() => plan.fn(raw as JsonValue)));
        case 'invoke':
          return { ExecutedVersion: '$LATEST', Payload: toJson(await timed(() => plan.fn(input.Payload ?? null))), StatusCode: 200 };
        case 'waitForTaskToken': {
          if (!token) throw new Error(`${plan.stateName}: no task token was issued`);
          const reported = callbacks.wait(token, plan.timeoutMs);
          reported.catch(() => undefined);
          try {
            await timed(() => plan.fn(input.Payload ?? null));
          } catch (error) {
            callbacks.abandon(token);
            throw error;
          }
          return reported;
        }
      }
    };
  }
}

/** What a Lambda answer becomes on the wire. */
function toJson(value: unknown): JsonValue {
  return value === undefined ? null : jsonCopy(value);
}

/** The names the local runtime gives the voice machine's two functions. */
export const LOCAL_VOICE_RESOURCES: VoiceRolloverResources = {
  placeCallResource: 'tessera-voice-place-call',
  finishResource: 'tessera-voice-finish',
};

interface LocalVoiceRolloverBase {
  /** The telephone simulator. */
  readonly dialer: VoiceDialer;
  /** R6: the per-number hourly cap the place-call step takes before each dial, as on AWS. */
  readonly throttle: Pick<ThrottleStore, 'take'>;
  readonly callbacks: LocalCallbackRegistry;
  readonly clock?: Clock;
  readonly log?: Log;
  readonly taskTimeoutOverridesMs?: Readonly<Record<string, number>>;
}

export type LocalVoiceRolloverDeps = LocalVoiceRolloverBase &
  (
    | {
        /**
         * The record step: each attempt as it ends, then the result with every attempt (what the
         * recorder does on AWS). The runner runs the step function (step.ts) over it.
         */
        readonly finish: (step: VoiceStep) => Promise<void>;
      }
    | {
        /** The step function as deployed: the voice-finish handler module, which runs step.ts itself. */
        readonly stepFunction: LocalFunction;
      }
  );

const WALL_CLOCK: Clock = { now: () => Date.now() };
const QUIET: Log = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

/** The voice rollover machine, ready for the local runtime: the same definition CDK deploys. */
export function localVoiceRollover(deps: LocalVoiceRolloverDeps): LocalStateMachine<VoiceRolloverInput, VoiceRolloverSummary> {
  const clock = deps.clock ?? WALL_CLOCK;
  const log = deps.log ?? QUIET;
  const step: LocalFunction = 'stepFunction' in deps ? deps.stepFunction : (payload) => runRolloverStep(payload, { record: deps.finish, clock, log });
  return new LocalStateMachine<VoiceRolloverInput, VoiceRolloverSummary>({
    name: 'tessera-voice-rollover',
    definition: voiceRolloverDefinition(LOCAL_VOICE_RESOURCES),
    functions: {
      [LOCAL_VOICE_RESOURCES.placeCallResource]: (payload) => placeCall(payload, { dialer: deps.dialer, throttle: deps.throttle, clock, log }),
      [LOCAL_VOICE_RESOURCES.finishResource]: step,
    },
    callbacks: deps.callbacks,
    parseOutput: (output) => voiceRolloverSummarySchema.parse(output),
    clock: deps.clock,
    log: deps.log,
    taskTimeoutOverridesMs: deps.taskTimeoutOverridesMs,
  });
}
