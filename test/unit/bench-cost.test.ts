import { costPerMillion, gbSeconds, PRICES, type AuthResources } from '../bench/cost';
import { renderChart } from '../bench/chart';

const NOTHING: AuthResources = {
  apiRequests: 0,
  lambdaInvocations: 0,
  lambdaBilledMs: 0,
  dynamoRequests: 0,
  dynamoReadUnits: 0,
  dynamoWriteUnits: 0,
  stepFunctionsTransitions: 0,
  kmsRequests: 0,
  pushNotifications: 0,
  smsMessages: 0,
  voiceCalls: 0,
  voiceMinutes: 0,
};

describe('cost per million authentications (npm run bench)', () => {
  it('the price list is dated, for one region, and names a source for every price', () => {
    expect(PRICES.asOf).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(PRICES.region).toBe('us-east-1');
    for (const group of [PRICES.infrastructure, PRICES.telephone, PRICES.monthly]) {
      for (const price of Object.values(group)) {
        expect(price.source).toMatch(/^https:\/\/aws\.amazon\.com\//);
        expect(price.usd).toBeGreaterThan(0);
      }
    }
  });

  it('prices each resource at its list price', () => {
    const cost = costPerMillion({ ...NOTHING, apiRequests: 2, lambdaInvocations: 2, lambdaBilledMs: 1000, dynamoReadUnits: 8, dynamoWriteUnits: 16, stepFunctionsTransitions: 4 });
    // $1.00 per million HTTP API requests, $0.20 per million invocations.
    expect(cost.infrastructure.apiGateway).toBe(2);
    expect(cost.infrastructure.lambdaRequests).toBe(0.4);
    // 1 s at 512 MB is 0.5 GB-s; at $0.0000133334 per GB-s, a million of them cost $6.67.
    expect(gbSeconds(1000)).toBe(0.5);
    expect(cost.infrastructure.lambdaDuration).toBe(6.67);
    // 8 × $0.125 + 16 × $0.625 per million units.
    expect(cost.infrastructure.dynamoDb).toBe(11);
    expect(cost.infrastructure.stepFunctions).toBe(100);
    expect(cost.infrastructureTotal).toBe(120.07);
  });

  it('keeps telephone charges out of the infrastructure cost', () => {
    const cost = costPerMillion({ ...NOTHING, smsMessages: 1, voiceMinutes: 2 });
    expect(cost.infrastructureTotal).toBe(0);
    expect(cost.telephone.sms).toBe(8810);
    expect(cost.telephone.voice).toBe(12_000);
    expect(cost.telephoneTotal).toBe(20_810);
  });
});

describe('results chart (npm run bench:chart)', () => {
  it('draws a bar per soak step and percentile, and one stacked bar per method', () => {
    const svg = renderChart({
      soak: { date: '2026-11-23', seconds: 120, approvalsPerSecond: 8.3, serverErrors: 0, latencyMsByStep: { 'create sms': { p50: 100, p90: 200, p99: 300 }, 'verify <sms>': { p50: 50, p90: 60, p99: 70 } } },
      cost: {
        asOf: '2026-11-23',
        methods: [
          { method: 'sms', costPerMillionUsd: { infrastructure: { apiGateway: 2, dynamoDb: 14 }, infrastructureTotal: 16, telephoneTotal: 8810 } },
          { method: 'app', costPerMillionUsd: { infrastructure: { apiGateway: 2, kms: 3 }, infrastructureTotal: 5, telephoneTotal: 0 } },
        ],
      },
    });
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    expect(svg.match(/<title>/g)).toHaveLength(2 * 3 + 4);
    expect(svg).toContain('verify &lt;sms&gt;');
    expect(svg).toContain('$16.00');
    expect(svg).toContain('+ telephone $8,810 (separate)');
    expect(svg).toContain('authenticator app');
  });
});
