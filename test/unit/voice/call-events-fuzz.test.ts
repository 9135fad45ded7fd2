import fc from 'fast-check';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { smaEventHandler } from '../../../shared/adapters/voice/chime-sip-handler';
import type { CallbackDelivery, JsonValue, TaskCallbacks } from '../../../shared/ports';
import { CALL_OUTCOMES } from '../../../shared/voice/outcomes';
import { SilentLog } from '../../support/fakes';

/*
 * R29 for the telephony callback: Chime's SIP media application invokes the voice-call-events
 * handler with whatever it sends (or whatever reaches the Lambda). Hostile or mangled events must
 * never throw, always get a well-formed answer, and report only a known outcome.
 * TESSERA_FUZZ_SEED / TESSERA_FUZZ_RUNS reproduce or deepen a run (see docs/testing.md).
 */

const seed = process.env.TESSERA_FUZZ_SEED ? Number(process.env.TESSERA_FUZZ_SEED) : undefined;
const numRuns = Number(process.env.TESSERA_FUZZ_RUNS ?? 200);
const params = { numRuns, ...(seed === undefined ? {} : { seed }) };

const FIXTURES = join(__dirname, 'fixtures', 'chime');
const fixtures = readdirSync(FIXTURES).map((name) => JSON.parse(readFileSync(join(FIXTURES, name), 'utf8')) as Record<string, unknown>);

class RecordingCallbacks implements TaskCallbacks {
  readonly reports: { token: string; output: JsonValue }[] = [];
  async sendTaskSuccess(taskToken: string, output: JsonValue): Promise<CallbackDelivery> {
    this.reports.push({ token: taskToken, output });
    return { kind: 'delivered' };
  }
  async sendTaskFailure(): Promise<CallbackDelivery> {
    return { kind: 'delivered' };
  }
  async sendTaskHeartbeat(): Promise<CallbackDelivery> {
    return { kind: 'delivered' };
  }
}

/** Replaces the value at a random path of a fixture with anything, or deletes it. */
function mutate(value: unknown, path: readonly number[], replacement: unknown): unknown {
  if (path.length === 0 || value === null || typeof value !== 'object') return replacement;
  const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value);
  if (entries.length === 0) return replacement;
  const [head, ...rest] = path as [number, ...number[]];
  const index = head % entries.length;
  const copy = (Array.isArray(value) ? [...(value as unknown[])] : { ...value }) as Record<string, unknown>;
  const key = entries[index]?.[0] as string;
  if (rest.length === 0 && replacement === undefined) delete copy[key];
  else copy[key] = mutate(entries[index]?.[1], rest, replacement);
  return copy;
}

const event = fc.oneof(
  fc.anything(),
  fc.jsonValue(),
  fc
    .tuple(fc.constantFrom(...fixtures), fc.array(fc.nat(), { minLength: 1, maxLength: 6 }), fc.oneof(fc.constant(undefined), fc.jsonValue(), fc.string({ unit: 'grapheme', maxLength: 3000 })))
    .map(([fixture, path, replacement]) => mutate(fixture, path, replacement)),
);

describe('R29 voice-call-events: hostile SIP media application events', () => {
  it('never throws; always answers SchemaVersion 1.0 with a list of actions; reports only known outcomes', async () => {
    await fc.assert(
      fc.asyncProperty(event, async (raw) => {
        const callbacks = new RecordingCallbacks();
        const answer = await smaEventHandler({ callbacks, log: new SilentLog() })(raw);
        expect(answer.SchemaVersion).toBe('1.0');
        expect(Array.isArray(answer.Actions)).toBe(true);
        for (const report of callbacks.reports) {
          expect(CALL_OUTCOMES).toContain((report.output as { outcome: string }).outcome);
          expect(report.token.length).toBeGreaterThan(0);
        }
      }),
      params,
    );
  });
});
