/**
 * `npm run soak`: starts the local runtime (in-memory DynamoDB Local), then drives a steady mix
 * of SMS, wrong-code and authenticator-app authentications through it with autocannon on
 * loopback for a fixed time (see soak/run.ts), and reconciles what the clients were told with
 * what DynamoDB holds. Prints the figures and writes them to bench-results/soak.json.
 *
 *   npm run soak                                  # 120 s, 8 connections, 6,000 + 1,500 users
 *   npm run soak -- --duration 10 --users 1500 --totp-users 500   # a smoke run
 *   SOAK_DURATION_SECONDS=300 npm run soak -- --users 15000 --totp-users 3750
 *
 * The user pools must be large enough for the run (R6: 5 challenges per user per 5 minutes);
 * when they are not, the soak reports `starved` iterations instead of provoking 429s.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { startLocalRuntime } from '../../infra/local/runtime';
import { runSoak } from './soak/run';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: process.env.SOAK_DURATION_SECONDS ?? '120' },
    connections: { type: 'string', default: '8' },
    tenants: { type: 'string', default: '4' },
    // At ~90 approvals a second, 120 s with fewer users runs the pools dry (R6), see docs/results.md.
    users: { type: 'string', default: '6000' },
    'totp-users': { type: 'string', default: '1500' },
    'max-requests': { type: 'string', default: '1000000' },
  },
});

async function main(): Promise<void> {
  const runtime = await startLocalRuntime({ logLevel: 'SILENT' });
  try {
    const loadBefore = loadavg()[0] ?? 0;
    const { result } = await runSoak({
      url: runtime.url,
      operatorKey: runtime.operatorKey,
      dynamoEndpoint: runtime.dynamoEndpoint,
      durationSeconds: Number(values.duration),
      connections: Number(values.connections),
      tenants: Number(values.tenants),
      smsUsers: Number(values.users),
      totpUsers: Number(values['totp-users']),
      maxRequests: Number(values['max-requests']),
      log: (line) => console.log(line),
    });
    const conditions = {
      date: new Date().toISOString(),
      node: process.version,
      cpus: cpus().length,
      loadAverageBefore: loadBefore,
      loadAverageAfter: loadavg()[0] ?? 0,
    };
    mkdirSync('bench-results', { recursive: true });
    writeFileSync('bench-results/soak.json', `${JSON.stringify({ ...conditions, ...result }, null, 2)}\n`);

    const r = result.reconciliation;
    console.log(`\n${result.seconds} s, ${result.options.connections} connections: ${result.requests} requests (${result.requestsPerSecond}/s), ${result.approvals} approvals (${result.approvalsPerSecond}/s)`);
    console.log(`  completed: ${JSON.stringify(result.completed)}; starved iterations: ${result.starved}`);
    console.log(`  latency, every request: p50 ${result.latencyMs.p50} ms  p90 ${result.latencyMs.p90} ms  p99 ${result.latencyMs.p99} ms  max ${result.latencyMs.max} ms`);
    for (const [step, s] of Object.entries(result.latencyMsByStep)) {
      console.log(`    ${step.padEnd(32)} n=${String(s.count).padStart(6)}  p50 ${s.p50}  p90 ${s.p90}  p99 ${s.p99}  max ${s.max} ms  ${JSON.stringify(result.statusByStep[step])}`);
    }
    console.log(`  status codes: ${JSON.stringify(result.statusCounts)}; 5xx: ${result.serverErrors}; unexpected answers: ${result.unexpected}; connection errors: ${result.connectionErrors}; timeouts: ${result.timeouts}`);
    console.log(`  reconciliation: ${r.ok ? 'OK' : `${r.problemCount} PROBLEM(S)`} ${JSON.stringify(r.figures)}`);
    for (const p of r.problems) console.log(`    ${p}`);
    console.log(`  load average ${conditions.loadAverageBefore.toFixed(2)} → ${conditions.loadAverageAfter.toFixed(2)} on ${conditions.cpus} CPUs`);
    console.log('\nWritten to bench-results/soak.json');
    if (!r.ok || result.serverErrors > 0) process.exitCode = 1;
  } finally {
    await runtime.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
