/**
 * `npm run bench:chart`: draws the chart of docs/results.md from bench-results/soak.json (latency of each
 * step of the soak) and bench-results/bench.json (infrastructure cost per million
 * authentications by method and service) into test/bench/results.svg. Plain SVG, no library.
 */
import { readFileSync, writeFileSync } from 'node:fs';

export interface ChartInput {
  readonly soak: {
    readonly date: string;
    readonly seconds: number;
    readonly approvalsPerSecond: number;
    readonly serverErrors: number;
    readonly latencyMsByStep: Record<string, { p50: number; p90: number; p99: number }>;
  };
  readonly cost: {
    readonly asOf: string;
    readonly methods: readonly { method: string; costPerMillionUsd: { infrastructure: Record<string, number>; infrastructureTotal: number; telephoneTotal: number } }[];
  };
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const FONT = 'font-family="system-ui, -apple-system, Segoe UI, sans-serif"';
const PERCENTILES = [
  ['p50', '#4c78a8'],
  ['p90', '#f58518'],
  ['p99', '#e45756'],
] as const;
const SERVICES: Record<string, string> = {
  apiGateway: '#4c78a8',
  lambdaRequests: '#72b7b2',
  lambdaDuration: '#54a24b',
  dynamoDb: '#eeca3b',
  stepFunctions: '#b279a2',
  kms: '#ff9da6',
  snsPush: '#9d755d',
};
/** The soak's steps in the order of a flow; others follow. */
const STEP_ORDER = ['create sms', 'verify sms', 'verify wrong code', 'verify sms after a wrong code', 'read challenge', 'create app', 'verify app'];
const METHOD_NAMES: Record<string, string> = { sms: 'SMS', voice: 'voice', push: 'push', app: 'authenticator app', oath: 'hardware token' };

function niceMax(value: number): number {
  const magnitude = 10 ** Math.floor(Math.log10(Math.max(value, 1)));
  return [1, 2, 2.5, 5, 10].map((f) => f * magnitude).find((m) => m >= value) ?? value;
}

/** The two panels, side by side: soak latency per step, and cost per million by method. */
export function renderChart(input: ChartInput): string {
  const width = 1060;
  const out: string[] = [];
  const text = (x: number, y: number, s: string, attrs = '') =>
    out.push(`<text x="${x}" y="${y}" ${FONT}${attrs.includes('font-size') ? '' : ' font-size="12"'} ${attrs}>${esc(s)}</text>`);

  // Left: latency of each soak step, p50 / p90 / p99, horizontal bars.
  const rank = (step: string) => (STEP_ORDER.indexOf(step) + STEP_ORDER.length + 1) % (STEP_ORDER.length + 1);
  const steps = Object.entries(input.soak.latencyMsByStep).sort(([a], [b]) => rank(a) - rank(b));
  const left = { x: 215, y: 60, w: 260, row: 36 };
  const latencyMax = niceMax(Math.max(...steps.map(([, s]) => s.p99), 1));
  text(20, 24, `Soak latency per step (ms), ${input.soak.seconds} s, ${input.soak.approvalsPerSecond} approvals/s, ${input.soak.serverErrors} × 5xx`, 'font-weight="600" font-size="13"');
  steps.forEach(([step, s], i) => {
    const y = left.y + i * left.row;
    text(left.x - 8, y + 16, step, 'text-anchor="end"');
    PERCENTILES.forEach(([p, color], j) => {
      const value = s[p];
      const w = (value / latencyMax) * left.w;
      out.push(`<rect x="${left.x}" y="${y + j * 10}" width="${w.toFixed(1)}" height="9" fill="${color}"><title>${esc(`${step} ${p} ${value} ms`)}</title></rect>`);
      if (p === 'p99') text(left.x + w + 4, y + j * 10 + 9, `${Math.round(value)}`, 'font-size="10" fill="#444"');
    });
  });
  const leftBottom = left.y + steps.length * left.row + 4;
  out.push(`<line x1="${left.x}" y1="${leftBottom}" x2="${left.x + left.w}" y2="${leftBottom}" stroke="#999"/>`);
  for (let t = 0; t <= 4; t++) text(left.x + (left.w * t) / 4, leftBottom + 14, `${(latencyMax * t) / 4}`, 'text-anchor="middle" font-size="10" fill="#555"');
  PERCENTILES.forEach(([p, color], j) => {
    out.push(`<rect x="${left.x + j * 60}" y="${leftBottom + 24}" width="10" height="10" fill="${color}"/>`);
    text(left.x + j * 60 + 14, leftBottom + 33, p, 'font-size="11"');
  });

  // Right: infrastructure cost per million authentications, stacked by service.
  const right = { x: 700, y: 60, w: 260, row: 44 };
  const methods = input.cost.methods;
  const costMax = niceMax(Math.max(...methods.map((m) => m.costPerMillionUsd.infrastructureTotal), 1));
  text(560, 24, `AWS cost per million authentications (USD, ${input.cost.asOf} prices)`, 'font-weight="600" font-size="13"');
  methods.forEach((m, i) => {
    const y = right.y + i * right.row;
    text(right.x - 8, y + 16, METHOD_NAMES[m.method] ?? m.method, 'text-anchor="end"');
    let x = right.x;
    for (const [service, color] of Object.entries(SERVICES)) {
      const usd = m.costPerMillionUsd.infrastructure[service] ?? 0;
      const w = (usd / costMax) * right.w;
      if (w <= 0) continue;
      out.push(`<rect x="${x.toFixed(1)}" y="${y + 4}" width="${w.toFixed(1)}" height="18" fill="${color}"><title>${esc(`${m.method} ${service} $${usd}`)}</title></rect>`);
      x += w;
    }
    text(x + 4, y + 17, `$${m.costPerMillionUsd.infrastructureTotal.toFixed(2)}`, 'font-size="11"');
    const phone = m.costPerMillionUsd.telephoneTotal;
    if (phone > 0) text(right.x, y + 36, `+ telephone $${phone.toLocaleString('en-US', { maximumFractionDigits: 0 })} (separate)`, 'font-size="10" fill="#777"');
  });
  const rightBottom = right.y + methods.length * right.row + 4;
  out.push(`<line x1="${right.x}" y1="${rightBottom}" x2="${right.x + right.w}" y2="${rightBottom}" stroke="#999"/>`);
  for (let t = 0; t <= 4; t++) text(right.x + (right.w * t) / 4, rightBottom + 14, `${(costMax * t) / 4}`, 'text-anchor="middle" font-size="10" fill="#555"');
  Object.entries(SERVICES).forEach(([service, color], j) => {
    const x = 560 + (j % 4) * 118;
    const y = rightBottom + 24 + Math.floor(j / 4) * 16;
    out.push(`<rect x="${x}" y="${y}" width="10" height="10" fill="${color}"/>`);
    text(x + 14, y + 9, service, 'font-size="11"');
  });

  const height = Math.max(leftBottom + 50, rightBottom + 64) + 10;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="Soak latency per step and cost per million authentications per method">`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    ...out,
    '</svg>',
    '',
  ].join('\n');
}

function main(): void {
  const soak = JSON.parse(readFileSync('bench-results/soak.json', 'utf8')) as ChartInput['soak'];
  const bench = JSON.parse(readFileSync('bench-results/bench.json', 'utf8')) as {
    costPerAuthentication?: { prices: { asOf: string }; methods: ChartInput['cost']['methods'] };
  };
  if (!bench.costPerAuthentication) throw new Error('bench-results/bench.json has no cost figures: run `npm run bench` first');
  const svg = renderChart({ soak, cost: { asOf: bench.costPerAuthentication.prices.asOf, methods: bench.costPerAuthentication.methods } });
  writeFileSync('test/bench/results.svg', svg);
  console.log('Written to test/bench/results.svg');
}

if (process.argv[1]?.endsWith('chart.ts')) main();
