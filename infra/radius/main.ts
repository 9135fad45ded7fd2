/**
 * `npm run radius -- --config <file>`: the RADIUS front end for VPN gateways. `--check-config`
 * checks the file (and the `env:` secrets it names) and exits: 0 when it holds, 1 with one line
 * per problem when not. Nothing starts half-configured. `--config env:NAME` reads the JSON from
 * that environment variable instead of a file (a container's configuration).
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import { ConfigError, parseConfig, warningsOf, type RadiusConfig } from './config';
import { startRadiusServer, type RadiusServer } from './server';

function fail(message: string): never {
  console.error(message);
  process.exit(1);
}

/** The file's text, or with `env:NAME` the text of that variable (a container's configuration). */
function source(file: string): string {
  if (!file.startsWith('env:')) return readFileSync(file, 'utf8');
  const value = process.env[file.slice(4)];
  if (!value) throw Object.assign(new Error('not set'), { code: `${file.slice(4)} is not set` });
  return value;
}

function load(file: string): RadiusConfig {
  let json: unknown;
  try {
    json = JSON.parse(source(file));
  } catch (error) {
    fail(`cannot read ${file}: ${error instanceof SyntaxError ? `not JSON (${error.message})` : (error as NodeJS.ErrnoException).code ?? 'unreadable'}`);
  }
  try {
    return parseConfig(json);
  } catch (error) {
    if (error instanceof ConfigError) fail(`${file}: ${error.message}`);
    throw error;
  }
}

let args: { config?: string | undefined; 'check-config'?: boolean | undefined };
try {
  args = parseArgs({ options: { config: { type: 'string' }, 'check-config': { type: 'boolean', default: false } } }).values;
} catch (error) {
  fail(`${(error as Error).message}\nusage: npm run radius -- --config <file> [--check-config]`);
}
if (!args.config) fail('usage: npm run radius -- --config <file> [--check-config]');
const config = load(args.config);
if (args['check-config']) {
  for (const warning of warningsOf(config)) console.log(`warning: ${warning}`);
  console.log(`${args.config}: configuration is valid (${config.clients.length} client${config.clients.length === 1 ? '' : 's'}: ${config.clients.map((c) => `${c.name} ${c.primary.kind}/${c.secondFactor}`).join(', ')})`);
  process.exit(0);
}

/** `GET /health`: 200 with the counters while the UDP socket is open; anything else 404. */
function serveHealth(listen: { host: string; port: number }, server: RadiusServer): Promise<void> {
  const http = createServer((request, response) => {
    const ok = request.method === 'GET' && request.url === '/health';
    response.writeHead(ok ? 200 : 404, { 'content-type': 'application/json' });
    response.end(ok ? JSON.stringify({ status: 'ok', counters: server.counters }) : '{}');
  });
  return new Promise((resolve, reject) => {
    http.once('error', reject);
    http.listen(listen.port, listen.host, () => resolve());
  });
}

async function serve(config: RadiusConfig): Promise<void> {
  const server = await startRadiusServer(config);
  if (config.health) await serveHealth(config.health, server);
  console.log(JSON.stringify({ time: new Date().toISOString(), event: 'listening', address: server.address, port: server.port, clients: config.clients.map((c) => c.name) }));
  // The counters, every minute they change and at exit (a dropped packet is never an error log line on its own).
  let last = '';
  const report = () => {
    const now = JSON.stringify(server.counters);
    if (now !== last) console.log(JSON.stringify({ time: new Date().toISOString(), event: 'counters', ...server.counters }));
    last = now;
  };
  const timer = setInterval(report, 60_000);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      clearInterval(timer);
      report();
      void server.stop().then(() => process.exit(0));
    });
  }
}

// The server catches what it can; this is the net under it: a stray rejection is logged, not fatal.
process.on('unhandledRejection', (reason) => {
  console.log(JSON.stringify({ time: new Date().toISOString(), event: 'unhandled_rejection', error: reason instanceof Error ? reason.name : typeof reason }));
});
serve(config).catch((error: unknown) => fail(`cannot start: ${error instanceof Error ? error.message : String(error)}`));
