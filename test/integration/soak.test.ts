/**
 * The soak's machinery (`npm run soak`) for 240 requests, so it stays working without a
 * two-minute run: autocannon drives the mix, every answer is what the flow expects, and the
 * reconciliation holds (R2, R23, R24). Then the reconciliation is fed tampered record sets, to
 * show it catches what it is there to catch.
 */
import { reconcile, type ClientRecords, type StoredRecords } from '../bench/soak/reconcile';
import { runSoak, type SoakRun } from '../bench/soak/run';
import { TestApi } from '../support/runtime';

let api: TestApi;
let run: SoakRun;

beforeAll(async () => {
  api = await TestApi.start();
  run = await runSoak({
    url: api.url,
    operatorKey: api.runtime.operatorKey,
    dynamoEndpoint: api.runtime.dynamoEndpoint,
    // Bounded by request count, not time, so a busy machine does the same work, only slower; the
    // mix starts every scenario within its first three iterations. The duration is only a backstop.
    durationSeconds: 90,
    connections: 4,
    maxRequests: 240,
    tenants: 2,
    smsUsers: 30,
    totpUsers: 10,
  });
}, 120_000);

afterAll(() => api.stop());

describe('soak machinery', () => {
  it('drives SMS, wrong-code and authenticator-app authentications with no 5xx and only the answers each flow expects', () => {
    const { result } = run;
    // All in one object, so a failure shows every answer of the run.
    expect({ serverErrors: result.serverErrors, unexpected: result.unexpected, connectionErrors: result.connectionErrors, statusByStep: result.statusByStep }).toEqual({
      serverErrors: 0,
      unexpected: 0,
      connectionErrors: 0,
      statusByStep: expect.any(Object),
    });
    expect(result.completed.sms).toBeGreaterThan(0);
    expect(result.completed.wrong).toBeGreaterThan(0);
    expect(result.completed.totp).toBeGreaterThan(0);
    expect(result.approvals).toBe(result.completed.sms + result.completed.wrong + result.completed.totp);
    // A wrong code is always a 422; the end of the run may cut off the right code that follows it.
    expect(Object.keys(result.statusByStep['verify wrong code'] ?? {})).toEqual(['422']);
    expect(result.statusByStep['verify wrong code']?.[422]).toBeGreaterThanOrEqual(result.completed.wrong);
    expect(result.statusByStep['verify sms']).toEqual({ 200: result.completed.sms });
  });

  it('reconciles: every approval has one auth-log line, one usage unit and an approved challenge; every send is billed once', () => {
    const { reconciliation } = run.result;
    expect(reconciliation.problems).toEqual([]);
    expect(reconciliation.ok).toBe(true);
    const f = reconciliation.figures;
    expect(f.approvalsSeenByClients).toBe(run.result.approvals);
    expect(f.approvedLogLines).toBe(f.approvalsSeenByClients + f.approvalsCutOffByEndOfRun);
    expect(f.approvedUsageUnits).toBe(f.approvedLogLines);
    expect(f.approvedChallengeItems).toBe(f.approvedLogLines);
    expect(f.billedUnits).toBe(f.sentUsageUnits);
  });
});

describe('the reconciliation catches tampering', () => {
  const tampered = (change: (client: ClientRecords, stored: StoredRecords) => [ClientRecords, StoredRecords]) => {
    const copy = structuredClone({ client: run.client, stored: run.stored });
    const [client, stored] = change(copy.client, copy.stored);
    return reconcile(client, stored);
  };
  const approvedLine = (stored: StoredRecords) => {
    const line = stored.logs.find((l) => l.event === 'verify' && l.result === 'approved');
    if (!line) throw new Error('the run approved nothing');
    return line;
  };

  it('an approval logged twice', () => {
    const r = tampered((c, s) => [c, { ...s, logs: [...s.logs, approvedLine(s)] }]);
    expect(r.ok).toBe(false);
    expect(r.problems.join('\n')).toMatch(/has 2 approved auth-log lines, not 1/);
  });

  it('an approval metered twice, or not at all', () => {
    const bump = (delta: number) =>
      tampered((c, s) => {
        const i = s.usage.findIndex((u) => u.result === 'approved');
        const usage = s.usage.map((u, j) => (j === i ? { ...u, count: u.count + delta } : u));
        return [c, { ...s, usage }];
      });
    expect(bump(1).problems.join('\n')).toMatch(/approved usage units but/);
    expect(bump(-1).ok).toBe(false);
  });

  it('a challenge approved twice for clients (R2)', () => {
    const r = tampered((c, s) => [{ ...c, approvals: [...c.approvals, c.approvals[0] as ClientRecords['approvals'][number]] }, s]);
    expect(r.problems.join('\n')).toMatch(/was approved 2 times for clients/);
  });

  it('an approval in the tables that no client received', () => {
    const r = tampered((c, s) => [{ ...c, approvals: c.approvals.slice(1) }, s]);
    expect(r.problems.join('\n')).toMatch(/no client received its approval/);
  });

  it('a send billed twice (R24)', () => {
    const r = tampered((c, s) => [c, { ...s, billing: [...s.billing, { ...(s.billing[0] as StoredRecords['billing'][number]), count: 1 }] }]);
    expect(r.problems.join('\n')).toMatch(/sent usage units but \d+ billed units/);
  });

  it('an approved challenge missing from the challenges table', () => {
    const cid = run.client.approvals[0]?.challengeId;
    const r = tampered((c, s) => [c, { ...s, challenges: s.challenges.filter((x) => x.challengeId !== cid) }]);
    expect(r.problems).toContain(`approved challenge ${cid} is not approved in the challenges table`);
  });

  it('an assertion that did not verify', () => {
    const r = tampered((c, s) => [{ ...c, invalidAssertions: 1 }, s]);
    expect(r.problems).toContain('1 assertion(s) did not verify against the JWKS');
  });
});
