/**
 * The RADIUS front end under load (issue 17): 1,000 Access-Requests at concurrency 20 from
 * FreeRADIUS's radclient (-p 20) to a client in `challenge` mode, whose first answer (the menu)
 * asks nothing of Tessera: the rate of the front end alone. Its Tessera port refuses every call,
 * so a request that reached Tessera would be answered wrongly and counted. The run through
 * Tessera (each request an SMS challenge) takes about a minute on a shared machine; its rate comes
 * from the load test of test/radius/radius.test.ts (test-output/radius-load.json).
 */
import { spawnSync } from 'node:child_process';
import { parseConfig } from '../../infra/radius/config';
import { startRadiusServer } from '../../infra/radius/server';
import { Refused, type TesseraPort } from '../../infra/radius/tessera';
import { fileReplies, lostOf, quoted, radclientFile } from '../radius/support';

export const RADIUS_LOAD = { requests: 1000, concurrency: 20 } as const;

export type RadiusLoadResult =
  | { kind: 'skipped'; reason: string }
  | {
      kind: 'measured';
      requests: number;
      concurrency: number;
      seconds: number;
      perSecond: number;
      answered: number;
      lost: number;
      wrong: number;
      serverErrors: number;
    };

const SECRET = 'bench-gateway-secret-0123';
const MENU = 'Second factor: ';

const unreachable = (): never => {
  throw new Refused('unavailable');
};
const noTessera: TesseraPort = { start: unreachable, verify: unreachable, status: unreachable };

export async function measureRadiusLoad(): Promise<RadiusLoadResult> {
  if (spawnSync('radclient', ['-v'], { stdio: 'ignore' }).error) return { kind: 'skipped', reason: 'radclient (FreeRADIUS utilities) is not installed' };
  const config = parseConfig({
    listen: { host: '127.0.0.1', port: 0 },
    tessera: { baseUrl: 'http://127.0.0.1:9', apiKey: 'bench-tessera-key-not-used-0123' },
    clients: [{ name: 'bench-menu', secret: SECRET, addresses: ['127.0.0.1'], primary: { kind: 'none' }, secondFactor: 'challenge', waitSeconds: 9 }],
  });
  const server = await startRadiusServer(config, { tessera: noTessera, log: () => undefined });
  try {
    const requests = Array.from({ length: RADIUS_LOAD.requests }, (_, i) => [
      `User-Name = bench${i % 200}`,
      `User-Password = ${quoted(`pw-${i}`)}`,
      'NAS-IP-Address = 192.0.2.10',
      'Message-Authenticator = 0x00',
    ]);
    const started = performance.now();
    const { stdout } = await radclientFile(server.port, SECRET, requests, RADIUS_LOAD.concurrency);
    const seconds = (performance.now() - started) / 1000;
    const replies = fileReplies(stdout);
    const wrong = replies.filter((r) => r.code !== 'Access-Challenge' || !r.message.startsWith(MENU) || !r.user.startsWith('bench')).length;
    return {
      kind: 'measured',
      ...RADIUS_LOAD,
      seconds: Math.round(seconds * 100) / 100,
      perSecond: Math.round(RADIUS_LOAD.requests / seconds),
      answered: replies.length,
      lost: lostOf(stdout) ?? RADIUS_LOAD.requests - replies.length,
      wrong,
      serverErrors: server.counters.errors,
    };
  } finally {
    await server.stop();
  }
}

export function printRadiusLoad(result: RadiusLoadResult): void {
  console.log('\n  RADIUS front end (radclient -p 20):');
  if (result.kind === 'skipped') {
    console.log(`    skipped: ${result.reason}`);
    return;
  }
  console.log(
    `    front end alone (challenge mode, menu answer): ${result.requests} Access-Requests at concurrency ${result.concurrency} in ${result.seconds} s, ${result.perSecond} requests/s; ${result.answered} answered, ${result.lost} lost, ${result.wrong} wrong, ${result.serverErrors} server errors`,
  );
  console.log('    through Tessera (each request an SMS challenge): not run here (about a minute); the figure comes from test/radius/radius.test.ts (test-output/radius-load.json)');
}
