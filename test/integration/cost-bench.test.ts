/**
 * The cost measurement of `npm run bench` (test/bench/cost-flows.ts) on two authentications per
 * method, so the flows and the counters behind them (DynamoDB consumed capacity, Step Functions
 * transitions, KMS calls, texts, pushes, calls) keep working without a benchmark run.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dynamoRequests } from '../../shared/adapters/dynamo/client';
import { COST_METHODS, measureMethods, SMA_INVOCATIONS_PER_ANSWERED_CALL, type MethodMeasurement } from '../bench/cost-flows';
import { costPerMillion } from '../bench/cost';
import { TestApi } from '../support/runtime';

let api: TestApi;
let measured: Record<string, MethodMeasurement>;

beforeAll(async () => {
  api = await TestApi.start();
  const methods = await measureMethods({ url: api.url, operatorKey: api.runtime.operatorKey, auths: 2, concurrency: 1, firstPhone: 0 });
  measured = Object.fromEntries(methods.map((m) => [m.method, m]));
  // The per-method figures, for reading without a benchmark run (git-ignored).
  mkdirSync('test-output', { recursive: true });
  writeFileSync(
    'test-output/cost-per-auth.json',
    JSON.stringify(
      methods.map((m) => ({ method: m.method, requests: m.perAuth.dynamoRequests, rru: m.perAuth.dynamoReadUnits, wru: m.perAuth.dynamoWriteUnits, byTable: m.dynamoByTable })),
      null,
      2,
    ),
  );
}, 120_000);

afterAll(() => api.stop());

describe('cost per authentication (npm run bench)', () => {
  it('approves every authentication of every method', () => {
    expect(Object.keys(measured)).toEqual([...COST_METHODS]);
    for (const m of Object.values(measured)) expect({ method: m.method, failures: m.failures }).toEqual({ method: m.method, failures: 0 });
  });

  it('SMS: two API requests, one text, and the capacity DynamoDB reported for its reads and transactions', () => {
    const sms = measured.sms!.perAuth;
    expect(sms).toMatchObject({ apiRequests: 2, lambdaInvocations: 2, smsMessages: 1, stepFunctionsTransitions: 0, kmsRequests: 0, voiceCalls: 0 });
    expect(sms.dynamoRequests).toBeGreaterThanOrEqual(4);
    // Issue 18: at most 4 — create: the user with its throttle state (one BatchGetItem) and one
    // transaction; verify: the challenge and one transaction. The key and tenant are remembered
    // (API_KEY_CACHE_SECONDS) and the tenant's caps counted in the container.
    expect(sms.dynamoRequests).toBeLessThanOrEqual(4);
    expect(sms.dynamoReadUnits).toBeGreaterThan(0);
    // Issue 18: at most 10 WRU, every item billed (2 WRU each up to 1 KB): create writes the
    // challenge (carrying its log line, usage and meter for the stream's projection) and the
    // user's and number's throttle items; verify the approval and the check of the user. The SMS
    // user is a long one (email as user id, names, IPv6 client, long key name): 10 WRU holds only
    // while each challenge image, with the line riding on it, stays within 1 KB.
    expect(sms.dynamoWriteUnits).toBeGreaterThanOrEqual(10);
    expect(sms.dynamoWriteUnits).toBeLessThanOrEqual(10);
    expect(sms.lambdaBilledMs).toBeGreaterThan(0);
  });

  it('voice: one call, the state machine transitions and tasks, and the SIP media application invocations', () => {
    const voice = measured.voice!.perAuth;
    expect(voice).toMatchObject({ voiceCalls: 1, voiceMinutes: 1, smsMessages: 0 });
    // A call answered with #: HaveNumber, PlaceCall, Decide, Finish (at most five per call attempt).
    expect(voice.stepFunctionsTransitions).toBe(4);
    expect(costPerMillion(voice).infrastructure.stepFunctions).toBe(100);
    // The API requests, the SIP media application's invocations, and two state machine tasks (place the call, finish).
    expect(voice.lambdaInvocations).toBe(voice.apiRequests + SMA_INVOCATIONS_PER_ANSWERED_CALL + 2);
  });

  it('push: the phone answer is an API request; one notification; the device key opened with KMS', () => {
    expect(measured.push!.perAuth).toMatchObject({ apiRequests: 3, pushNotifications: 1, kmsRequests: 1, smsMessages: 0 });
  });

  it('authenticator app and hardware token: one KMS request for the secret, nothing sent', () => {
    for (const method of ['app', 'oath']) {
      expect(measured[method]!.perAuth).toMatchObject({ apiRequests: 2, kmsRequests: 1, smsMessages: 0, pushNotifications: 0, voiceCalls: 0 });
    }
  });

  it('asks DynamoDB for consumed capacity only while measuring', () => {
    expect(dynamoRequests.measureCapacity).toBe(false);
  });
});
