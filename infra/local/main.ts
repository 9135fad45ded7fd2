/**
 * `npm start`: Tessera on this machine. DynamoDB Local keeps its data in .tessera/ (or in
 * memory with --in-memory), the real handlers answer on PORT (default 3000), text messages
 * land in the local outbox, and a demo tenant with a demo user is ready to sign in.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { localOutbox, localTelephone } from '../../shared/adapters/local/world';
import { maskPhone } from '../../shared/domain/mask';
import { startLocalRuntime } from './runtime';

const { values: args } = parseArgs({
  options: {
    'in-memory': { type: 'boolean', default: false },
    port: { type: 'string' },
    'data-dir': { type: 'string', default: '.tessera' },
  },
});

const inMemory = args['in-memory'] ?? false;
const dataDir = resolve(args['data-dir'] ?? '.tessera');
const port = Number(args.port ?? process.env.PORT ?? 3000);
/** How long an unanswered local call rings before the rollover moves on; the state machine's own timeout when unset. */
const callTimeoutMs = process.env.TESSERA_LOCAL_VOICE_CALL_TIMEOUT_MS ? Number(process.env.TESSERA_LOCAL_VOICE_CALL_TIMEOUT_MS) : undefined;
if (callTimeoutMs !== undefined && !(Number.isInteger(callTimeoutMs) && callTimeoutMs > 0)) {
  throw new Error(`Invalid TESSERA_LOCAL_VOICE_CALL_TIMEOUT_MS: ${process.env.TESSERA_LOCAL_VOICE_CALL_TIMEOUT_MS}`);
}
if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`Invalid port: ${args.port ?? process.env.PORT}`);

/** A value kept in the data directory across restarts (or made afresh for an in-memory run). */
function kept(name: string, make: () => string): string {
  if (inMemory) return make();
  mkdirSync(dataDir, { recursive: true });
  const file = join(dataDir, name);
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const value = make();
  writeFileSync(file, `${value}\n`, { mode: 0o600 });
  return value;
}

interface Demo {
  tenantId: string;
  adminKey: string;
  authKey: string;
}

async function call(url: string, method: string, key: string, body?: unknown): Promise<Response> {
  return fetch(url, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
}

async function seedDemo(url: string, operatorKey: string): Promise<Demo> {
  const file = join(dataDir, 'demo.json');
  if (!inMemory && existsSync(file)) {
    const demo = JSON.parse(readFileSync(file, 'utf8')) as Demo;
    if ((await call(`${url}/v1/admin/users/alice`, 'GET', demo.adminKey)).status !== 401) return demo;
  }
  const created = await call(`${url}/v1/operator/tenants`, 'POST', operatorKey, {
    name: 'Demo Company',
    provider: { billingModel: 'per_authentication' },
    // R15: the operator assigns the caller-ID number the demo tenant then chooses.
    callerIds: ['+14155550199'],
  });
  if (created.status !== 201) throw new Error(`Could not create the demo tenant: ${await created.text()}`);
  const demo = (await created.json()) as Demo;
  // R15: voice calls need the tenant's caller ID.
  const settings = await call(`${url}/v1/admin/settings`, 'PATCH', demo.adminKey, { callerId: '+14155550199' });
  if (settings.status >= 300) throw new Error(`Could not set the demo caller ID: ${await settings.text()}`);
  const user = await call(`${url}/v1/admin/users/alice`, 'PUT', demo.adminKey, {
    mfaEnabled: true,
    phones: { primary: '+14155550100', backup: ['+14155550101'] },
  });
  if (user.status >= 300) throw new Error(`Could not create the demo user: ${await user.text()}`);
  const keep = { tenantId: demo.tenantId, adminKey: demo.adminKey, authKey: demo.authKey };
  if (!inMemory) writeFileSync(file, `${JSON.stringify(keep, null, 2)}\n`, { mode: 0o600 });
  return keep;
}

/**
 * Passkeys on the demo tenant: the relying party is `localhost` and the pages of this runtime
 * (http://localhost:<port>, WebAuthn's one exception to https) its origin. An origin already in
 * the policy stays; one of a new port is added, so the demo works on whatever port it runs.
 */
async function demoPasskeys(url: string, demo: Demo): Promise<void> {
  const origin = `http://localhost:${new URL(url).port}`;
  const settings = (await (await call(`${url}/v1/admin/settings`, 'GET', demo.adminKey)).json()) as { passkeys?: { rpId: string; origins: string[] } | null };
  const current = settings.passkeys;
  if (current && (current.rpId !== 'localhost' || current.origins.includes(origin))) return;
  const passkeys = current
    ? { ...current, origins: [...current.origins.slice(-9), origin] }
    : { rpId: 'localhost', rpName: 'Demo Company', origins: [origin] };
  const set = await call(`${url}/v1/admin/settings`, 'PATCH', demo.adminKey, { passkeys });
  if (set.status >= 300) throw new Error(`Could not set the demo passkey policy: ${await set.text()}`);
}

async function main(): Promise<void> {
  const runtime = await startLocalRuntime({
    port,
    ...(inMemory ? {} : { dataDir: join(dataDir, 'dynamodb') }),
    operatorKey: process.env.TESSERA_OPERATOR_KEY || kept('operator.key', () => `tsr_operator_${randomBytes(24).toString('base64url')}`),
    masterKey: kept('master.key', () => randomBytes(32).toString('base64')),
    logLevel: process.env.POWERTOOLS_LOG_LEVEL ?? 'WARN',
    ...(callTimeoutMs ? { voiceCallTimeoutMs: callTimeoutMs } : {}),
    // R26: the billing run writes billing/YYYY-MM.csv and .json here (on the 1st, or npm run billing).
    exportDir: dataDir,
  });
  localOutbox.onMessage((m) => console.log(`📱 SMS to ${maskPhone(m.to)} via ${m.provider}: ${m.body}`));
  localTelephone.onCall((c) =>
    console.log(
      `📞 Call to ${maskPhone(c.number)} (${localTelephone.scriptOf(c.number)}): "${c.prompt}"\n` +
        `   answer it: curl -s -X POST ${runtime.url}/local/phone/${encodeURIComponent(c.number)}/answer -H 'content-type: application/json' -d '{"action":"press#"}'`,
    ),
  );
  const demo = await seedDemo(runtime.url, runtime.operatorKey);
  await demoPasskeys(runtime.url, demo);
  const u = runtime.url;
  console.log(`
Tessera is running at ${u}  (DynamoDB Local: ${runtime.dynamoEndpoint}, data: ${inMemory ? 'in memory' : dataDir})

  Operator key      ${runtime.operatorKey}
  Demo tenant       ${demo.tenantId}
  Demo admin key    ${demo.adminKey}
  Demo auth key     ${demo.authKey}
  Demo user         alice (+1 415 555 0100, backup +1 415 555 0101)
  Passkeys          relying party localhost: open the pages at http://localhost:${new URL(u).port}/ to use them

In a browser:
  Admin console     ${u}/console/         (sign in with the demo admin key)
  Demo sign-in app  ${u}/local/demo/      (the demo auth key, user alice)
  Device simulator  ${u}/local/simulator/ (texts, ringing phones, push prompts)
  API reference     ${u}/docs             (OpenAPI document: ${u}/openapi.json)

Try a sign-in (the code arrives in ${u}/local/outbox and on this console):
  curl -s -X POST ${u}/v1/challenges -H 'authorization: Bearer ${demo.authKey}' -H 'content-type: application/json' -d '{"userId":"alice","method":"sms"}'

Or a phone call (it rings at ${u}/local/phone/%2B14155550100; answer it there, then poll the challenge):
  curl -s -X POST ${u}/v1/challenges -H 'authorization: Bearer ${demo.authKey}' -H 'content-type: application/json' -d '{"userId":"alice","method":"voice"}'

Press Ctrl-C to stop.
`);
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    console.log('\nStopping Tessera and DynamoDB Local…');
    await runtime.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
