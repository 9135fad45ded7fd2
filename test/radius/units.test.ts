import { execFile, spawn } from 'node:child_process';
import { createSocket, type RemoteInfo } from 'node:dgram';
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as radius from 'radius';
import { clientMatcher, ConfigError, parseConfig, warningsOf } from '../../infra/radius/config';
import { RadiusFlow, type Attempt } from '../../infra/radius/flow';
import { ATTR, checkReply, checkRequest, CODE, decryptPassword, encodeReply, octets, otherAuthentication, parsePacket, textAttribute, type Attribute } from '../../infra/radius/packet';
import { retransmitWindowOf, sendSafely, startRadiusServer } from '../../infra/radius/server';
import { SessionStore } from '../../infra/radius/sessions';
import { Refused, tesseraOverHttp, type TesseraPort } from '../../infra/radius/tessera';
import { checkUpstream, type PrimaryResult } from '../../infra/radius/upstream';

/** The RADIUS front end's parts without a network: configuration, packets, States and the flow's refusals. */

const SECRET = 'a-shared-secret-of-24-chars';

const valid = () => ({
  tessera: { baseUrl: 'https://mfa.example.com', apiKey: 'env:RADIUS_UNIT_KEY' },
  clients: [{ name: 'vpn-1', secret: 'env:RADIUS_UNIT_SECRET', addresses: ['10.0.0.0/24', '2001:db8::7'], primary: { kind: 'none' }, secondFactor: 'auto' }],
});

async function freeTcpPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function problemsOf(input: unknown): string[] {
  try {
    parseConfig(input);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

beforeEach(() => {
  process.env.RADIUS_UNIT_KEY = 'tsr_auth_t_k_0123456789abcdef';
  process.env.RADIUS_UNIT_SECRET = SECRET;
});

describe('configuration', () => {
  it('takes secrets from env:NAME and fills the defaults (UDP 1812, 25 s wait)', () => {
    const config = parseConfig(valid());
    expect(config.listen).toEqual({ host: '0.0.0.0', port: 1812 });
    expect(config.tessera.apiKey).toBe('tsr_auth_t_k_0123456789abcdef');
    expect(config.clients[0]).toMatchObject({ secret: SECRET, waitSeconds: 25 });
  });

  it('the example configuration of the docs holds', () => {
    const names = ['RADIUS_TESSERA_AUTH_KEY', 'RADIUS_VPN_HQ_SECRET', 'RADIUS_UPSTREAM_SECRET', 'RADIUS_WIFI_SECRET', 'RADIUS_RDG_SECRET'];
    for (const name of names) process.env[name] = `${name.toLowerCase()}-0123456789`;
    try {
      const config = parseConfig(JSON.parse(readFileSync('infra/radius/radius.example.json', 'utf8')));
      expect(config.clients.map((c) => `${c.name} ${c.primary.kind}/${c.secondFactor}`)).toEqual(['vpn-hq upstream/auto', 'wifi-controllers none/challenge', 'rd-gateway upstream/append']);
    } finally {
      for (const name of names) delete process.env[name];
    }
  });

  it('names every problem by its path, and never prints a secret', () => {
    delete process.env.RADIUS_UNIT_SECRET;
    const input = valid();
    const problems = problemsOf({
      ...input,
      clients: [
        { ...input.clients[0], addresses: ['10.0.0.0/33', 'gateway.example'] },
        { ...input.clients[0], secret: 'short', secondFactor: 'sometimes', primary: { kind: 'upstream', host: 'radius.example', secret: 'also-short' } },
      ],
      extra: true,
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        'clients.0.secret: environment variable RADIUS_UNIT_SECRET is not set',
        'clients.0.addresses.0: must be an IPv4 or IPv6 address, or a network in CIDR form',
        'clients.0.addresses.1: must be an IPv4 or IPv6 address, or a network in CIDR form',
        'clients.1.secret: must be at least 16 characters',
        'clients.1.primary.secret: must be at least 16 characters',
        expect.stringMatching(/^clients\.1\.secondFactor: /),
        expect.stringMatching(/^\(file\): .*extra/),
      ]),
    );
    expect(problems.join('\n')).not.toMatch(/short/);
    process.env.RADIUS_UNIT_SECRET = SECRET;
    expect(problemsOf({ ...input, clients: [input.clients[0], { ...input.clients[0], addresses: ['10.9.0.1'] }] })).toEqual(['clients.1.name: duplicate client name "vpn-1"']);
  });

  it('http:// only to this host; a network of every address only with allowAnySource; overlaps are warned about, the first client wins', () => {
    const withUrl = (baseUrl: string) => problemsOf({ ...valid(), tessera: { ...valid().tessera, baseUrl } });
    expect(withUrl('http://mfa.example.com')).toEqual([expect.stringMatching(/^tessera\.baseUrl: must be https:\/\//)]);
    expect(withUrl('http://10.0.0.5:3000')).toHaveLength(1);
    for (const ok of ['https://mfa.example.com', 'http://127.0.0.1:3000', 'http://localhost:3000', 'http://[::1]:3000']) expect(withUrl(ok)).toEqual([]);

    const anywhere = { ...valid().clients[0], addresses: ['0.0.0.0/0', '::/0'] };
    expect(problemsOf({ ...valid(), clients: [anywhere] })).toEqual([
      'clients.0.addresses.0: a network of every address: set allowAnySource to true if you mean it',
      'clients.0.addresses.1: a network of every address: set allowAnySource to true if you mean it',
    ]);
    const open = parseConfig({ ...valid(), clients: [{ ...anywhere, allowAnySource: true }] });
    expect(warningsOf(open)).toEqual(['clients.0 (vpn-1): takes packets from any address (allowAnySource)']);

    const overlapping = parseConfig({
      ...valid(),
      clients: [
        { ...valid().clients[0], addresses: ['10.0.0.5'] },
        { ...valid().clients[0], name: 'vpn-2', addresses: ['10.0.0.0/24', '10.1.0.0/24'] },
        { ...valid().clients[0], name: 'vpn-3', addresses: ['10.1.0.128/25'] },
      ],
    });
    expect(warningsOf(overlapping)).toEqual([
      'clients.1 (vpn-2): 10.0.0.0/24 overlaps vpn-1, which comes first and takes those packets',
      'clients.2 (vpn-3): 10.1.0.128/25 overlaps vpn-2, which comes first and takes those packets',
    ]);
    expect(clientMatcher(overlapping.clients)('10.0.0.5')?.name).toBe('vpn-1');
    expect(warningsOf(parseConfig(valid()))).toEqual([]);
  });

  it('finds the client by source address: networks, single addresses, IPv4 seen through a dual-stack socket', () => {
    const match = clientMatcher(parseConfig(valid()).clients);
    expect(match('10.0.0.200')?.name).toBe('vpn-1');
    expect(match('::ffff:10.0.0.9')?.name).toBe('vpn-1');
    expect(match('2001:db8::7')?.name).toBe('vpn-1');
    expect(match('10.0.1.1')).toBeUndefined();
    expect(match('2001:db8::8')).toBeUndefined();
  });
});

describe('--check-config', () => {
  const run = promisify(execFile);
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'radius-config-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('exits 0 for a good file and 1 with the problems for a bad one; nothing starts', async () => {
    const good = join(dir, 'good.json');
    const bad = join(dir, 'bad.json');
    writeFileSync(good, JSON.stringify(valid()));
    writeFileSync(bad, JSON.stringify({ ...valid(), clients: [] }));
    const env = { ...process.env, RADIUS_UNIT_KEY: 'tsr_auth_t_k_0123456789abcdef', RADIUS_UNIT_SECRET: SECRET };
    const ok = await run('npx', ['tsx', 'infra/radius/main.ts', '--config', good, '--check-config'], { env });
    expect(ok.stdout).toContain('configuration is valid (1 client: vpn-1 none/auto)');
    await expect(run('npx', ['tsx', 'infra/radius/main.ts', '--config', bad, '--check-config'], { env })).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringContaining('clients: Too small'),
    });
  }, 30_000);
});

describe('npm run radius', () => {
  it('reads the configuration from env:NAME, listens, answers GET /health with the counters, and stops on SIGTERM', async () => {
    const healthPort = await freeTcpPort();
    const config = { ...valid(), listen: { host: '127.0.0.1', port: 0 }, health: { host: '127.0.0.1', port: healthPort } };
    const child = spawn('node_modules/.bin/tsx', ['infra/radius/main.ts', '--config', 'env:RADIUS_UNIT_CONFIG'], {
      env: { ...process.env, RADIUS_UNIT_CONFIG: JSON.stringify(config) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (output += d.toString('utf8')));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      for (let i = 0; i < 200 && !output.includes('"event":"listening"'); i++) await new Promise((resolve) => setTimeout(resolve, 50));
      expect(output).toContain('"event":"listening"');
      const health = await fetch(`http://127.0.0.1:${healthPort}/health`);
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({ status: 'ok', counters: { received: 0, dropped: { unknown_client: 0 } } });
      expect((await fetch(`http://127.0.0.1:${healthPort}/other`)).status).toBe(404);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(output).not.toContain(SECRET);
  }, 30_000);
});

describe('packets (RFC 2865, RFC 3579)', () => {
  const request = (attributes: unknown[], secret = SECRET) =>
    parsePacket(radius.encode({ code: 'Access-Request', secret, identifier: 7, attributes, add_message_authenticator: true }))!;

  it('only MS-CHAP\'s own Microsoft attributes make a request MS-CHAP, and a User-Password makes it PAP', () => {
    const microsoft = (vendorType: number): Attribute => ({ type: ATTR.vendorSpecific, value: Buffer.concat([Buffer.from([0, 0, 1, 55, vendorType, 6]), Buffer.alloc(4)]) });
    const packetOf = (attributes: Attribute[]) => ({ code: CODE.accessRequest, identifier: 1, authenticator: Buffer.alloc(16), attributes, raw: Buffer.alloc(20) });
    const password: Attribute = { type: ATTR.userPassword, value: Buffer.alloc(16) };
    for (const vendorType of [1, 11, 25]) expect(otherAuthentication(packetOf([microsoft(vendorType)]))).toBe('mschap');
    // MS-MPPE-Encryption-Policy (7), MS-RAS-Vendor (9): sent by gateways alongside PAP.
    expect(otherAuthentication(packetOf([microsoft(7), microsoft(9)]))).toBeUndefined();
    expect(otherAuthentication(packetOf([password, microsoft(11)]))).toBeUndefined();
    expect(otherAuthentication(packetOf([{ type: ATTR.vendorSpecific, value: Buffer.from([0, 0, 0, 9, 1, 6, 0, 0, 0, 0]) }]))).toBeUndefined();
  });

  it('a signed request is taken; a missing, wrong or doubled Message-Authenticator is refused', () => {
    expect(checkRequest(request([['User-Name', 'ann']]), SECRET)).toBeUndefined();
    expect(checkRequest(request([['User-Name', 'ann']], 'another-secret-of-24-chars'), SECRET)).toBe('bad_message_authenticator');
    const unsigned = parsePacket(radius.encode({ code: 'Access-Request', secret: SECRET, attributes: [['User-Name', 'ann']], add_message_authenticator: false }))!;
    expect(checkRequest(unsigned, SECRET)).toBe('missing_message_authenticator');
    const doubled = request([['User-Name', 'ann'], ['Message-Authenticator', Buffer.alloc(16)]]);
    expect(checkRequest(doubled, SECRET)).toBe('malformed');
  });

  it('framing that does not add up is malformed', () => {
    const good = request([['User-Name', 'ann']]).raw;
    expect(parsePacket(good.subarray(0, 19))).toBeUndefined();
    const zeroLength = Buffer.from(good);
    zeroLength[21] = 0;
    expect(parsePacket(zeroLength)).toBeUndefined();
    const longer = Buffer.from(good);
    longer.writeUInt16BE(good.length + 1, 2);
    expect(parsePacket(longer)).toBeUndefined();
    const lengthOne = Buffer.from(good);
    lengthOne[21] = 1;
    expect(parsePacket(lengthOne)).toBeUndefined();
  });

  it('a hidden password of 0 octets, of a length not a multiple of 16, or over 128 octets is refused', () => {
    const authenticator = Buffer.alloc(16, 7);
    expect(decryptPassword(Buffer.alloc(0), SECRET, authenticator)).toBeUndefined();
    expect(decryptPassword(Buffer.alloc(17), SECRET, authenticator)).toBeUndefined();
    expect(decryptPassword(Buffer.alloc(15), SECRET, authenticator)).toBeUndefined();
    expect(decryptPassword(Buffer.alloc(144), SECRET, authenticator)).toBeUndefined();
    expect(decryptPassword(Buffer.alloc(128), SECRET, authenticator)).toEqual(expect.any(String));
  });

  it('the password is recovered as encrypted by another implementation (the radius package)', () => {
    const packet = request([['User-Name', 'ann'], ['User-Password', 'a password longer than sixteen octets']]);
    expect(decryptPassword(octets(packet, ATTR.userPassword)!, SECRET, packet.authenticator)).toBe('a password longer than sixteen octets');
  });

  it('a reply has the Message-Authenticator first, signed over the request authenticator, and checks with the radius package', () => {
    const packet = request([['User-Name', 'ann'], ['Proxy-State', Buffer.from('hop-1')]]);
    const reply = encodeReply(packet, CODE.accessChallenge, [textAttribute(ATTR.replyMessage, 'Enter 42'), { type: ATTR.state, value: Buffer.alloc(32, 1) }], SECRET);
    const parsed = parsePacket(reply)!;
    expect(parsed.attributes.map((a) => a.type)).toEqual([ATTR.messageAuthenticator, ATTR.replyMessage, ATTR.state, ATTR.proxyState]);
    expect(radius.verify_response({ request: Buffer.from(packet.raw), response: Buffer.from(reply), secret: SECRET })).toBe(true);
    expect(checkReply(parsed, packet, SECRET)).toBe(true);
    const forged = Buffer.from(reply);
    forged[forged.length - 1] = (forged[forged.length - 1] as number) ^ 1;
    expect(checkReply(parsePacket(forged)!, packet, SECRET)).toBe(false);
    expect(checkReply(parsed, packet, 'another-secret-of-24-chars')).toBe(false);
  });
});

describe('States', () => {
  it('unguessable, bound to client and user, taken once, short-lived', () => {
    let now = 0;
    const store = new SessionStore(60_000, () => now);
    const state = store.openStep({ kind: 'choice' }, 'vpn-1', 'ann');
    expect(state).toHaveLength(32);
    expect(store.take(state, 'vpn-2', 'ann')).toBeUndefined();
    expect(store.take(state, 'vpn-1', 'bob')).toBeUndefined();
    expect(store.take(Buffer.alloc(32), 'vpn-1', 'ann')).toBeUndefined();
    expect(store.take(state, 'vpn-1', 'ann')).toEqual({ kind: 'choice' });
    expect(store.take(state, 'vpn-1', 'ann')).toBeUndefined();
    const later = store.openStep({ kind: 'choice' }, 'vpn-1', 'ann');
    now = 60_000;
    expect(store.take(later, 'vpn-1', 'ann')).toBeUndefined();
  });
});

describe('the flow', () => {
  const client = () => parseConfig({ ...valid(), clients: [{ ...valid().clients[0], secret: SECRET, secondFactor: 'append' }] }).clients[0]!;
  const unreachable: TesseraPort = {
    start: () => Promise.reject(new Refused('unavailable')),
    verify: () => Promise.reject(new Refused('unavailable')),
    status: () => Promise.reject(new Refused('unavailable')),
  };
  const flow = (tessera: TesseraPort = unreachable) =>
    new RadiusFlow({ tessera, sessions: new SessionStore(60_000, Date.now), primary: () => Promise.resolve({ kind: 'accept' }), pollMs: 1, sleep: () => Promise.resolve(), now: Date.now });
  const attempt = (extra: Partial<Attempt>): Attempt => ({ client: client(), userName: 'ann', origin: { gatewayName: 'vpn-1' }, ...extra });

  it('MS-CHAP and EAP are refused with a message; no password at all too', async () => {
    expect(await flow().handle(attempt({ otherAuthentication: 'mschap' }))).toMatchObject({ kind: 'reject', reason: 'mschap_refused', message: expect.stringMatching(/PAP only/) });
    expect(await flow().handle(attempt({ otherAuthentication: 'eap' }))).toMatchObject({ kind: 'reject', reason: 'eap_refused' });
    expect(await flow().handle(attempt({}))).toMatchObject({ kind: 'reject', reason: 'no_password' });
  });

  it('a menu answer that is no choice starts nothing, whatever it is ("constructor", "toString", "4")', async () => {
    const started: string[] = [];
    const tessera: TesseraPort = { ...unreachable, start: (_user, method) => (started.push(String(method)), Promise.reject(new Refused('unavailable'))) };
    const menuClient = { ...client(), secondFactor: 'challenge' as const };
    const menuFlow = flow(tessera);
    for (const typed of ['constructor', 'toString', '__proto__', '4', '12345']) {
      const menu = (await menuFlow.handle(attempt({ client: menuClient, password: 'pw' }))) as { state: Buffer };
      expect(await menuFlow.handle(attempt({ client: menuClient, password: typed, state: menu.state }))).toMatchObject({ kind: 'reject', reason: 'unknown_choice' });
    }
    expect(started).toEqual([]);
  });

  it('Tessera unreachable: rejected (fail closed), never accepted', async () => {
    expect(await flow().handle(attempt({ password: 'pw,123456' }))).toMatchObject({ kind: 'reject', reason: 'unavailable' });
    expect(await flow().handle(attempt({ password: 'pw' }))).toMatchObject({ kind: 'reject', reason: 'unavailable' });
  });

  it('a push being waited for: a throttled or failed poll keeps waiting; the wait ends at the deadline', async () => {
    let now = 0;
    const polls: string[] = [];
    const answers = [new Refused('retry-later'), new Refused('unavailable'), { kind: 'approved' } as const];
    const tessera: TesseraPort = {
      start: () => Promise.resolve({ challengeId: 'ch_1', method: 'push', destination: 'iPhone', number: 42 }),
      verify: () => Promise.reject(new Error('not asked')),
      status: () => {
        const next = answers.shift() ?? { kind: 'pending' as const };
        polls.push(next instanceof Refused ? next.code : next.kind);
        return next instanceof Refused ? Promise.reject(next) : Promise.resolve(next);
      },
    };
    const waiting = new RadiusFlow({ tessera, sessions: new SessionStore(60_000, () => now), primary: () => Promise.resolve({ kind: 'accept' }), pollMs: 1000, sleep: async (ms) => void (now += ms), now: () => now });
    const pushClient = { ...client(), secondFactor: 'auto' as const, waitSeconds: 5 };
    const challenge = await waiting.handle(attempt({ client: pushClient, password: 'pw' }));
    expect(challenge).toMatchObject({ kind: 'challenge', message: expect.stringContaining('enter 42') });
    const state = (challenge as { state: Buffer }).state;
    expect(await waiting.handle(attempt({ client: pushClient, password: '', state }))).toEqual({ kind: 'accept' });
    expect(polls).toEqual(['retry-later', 'unavailable', 'approved']);

    const again = (await waiting.handle(attempt({ client: pushClient, password: 'pw' }))) as { state: Buffer };
    const started = now;
    expect(await waiting.handle(attempt({ client: pushClient, password: '', state: again.state }))).toMatchObject({ kind: 'reject', reason: 'wait_timeout' });
    expect(now - started).toBeLessThanOrEqual(5000);
    expect(now - started).toBeGreaterThanOrEqual(4000);
  });

  it('appended factor words are taken in any case; a push with no number asks for approval, never "enter ?"', async () => {
    const asked: (string | undefined)[] = [];
    const tessera: TesseraPort = {
      ...unreachable,
      start: (_user, method) => (asked.push(method), Promise.resolve({ challengeId: 'ch_1', method: method ?? 'push', destination: 'iPhone' })),
    };
    const push = await flow(tessera).handle(attempt({ password: 'pw,PUSH' }));
    expect(push).toMatchObject({ kind: 'challenge', message: 'Open the app on iPhone and approve the sign-in, then continue.' });
    expect(await flow(tessera).handle(attempt({ password: 'pw,Sms' }))).toMatchObject({ kind: 'challenge' });
    expect(asked).toEqual(['push', 'sms']);
  });

  it('waitSeconds is a deadline from the request\'s arrival: the start call counts, and each call gets what is left, 10 s at most', async () => {
    let now = 0;
    const calls: string[] = [];
    const tessera: TesseraPort = {
      start: async (_user, _method, _origin, timeoutMs) => {
        calls.push(`start ${timeoutMs}`);
        now += 4000; // a slow start of a call
        return { challengeId: 'ch_1', method: 'voice', destination: '••••0100' };
      },
      verify: () => Promise.reject(new Error('not asked')),
      status: async (_id, timeoutMs) => (calls.push(`status ${timeoutMs}`), { kind: 'pending' }),
    };
    const timed = new RadiusFlow({ tessera, sessions: new SessionStore(60_000, () => now), primary: () => Promise.resolve({ kind: 'accept' }), pollMs: 400, sleep: async (ms) => void (now += ms), now: () => now });
    expect(await timed.handle(attempt({ client: { ...client(), secondFactor: 'auto', waitSeconds: 5 }, password: 'pw' }))).toMatchObject({ kind: 'reject', reason: 'wait_timeout' });
    expect(now).toBeLessThanOrEqual(5000);
    expect(calls).toEqual(['start 5000', 'status 1000', 'status 600', 'status 200']);

    now = 0;
    calls.length = 0;
    await timed.handle(attempt({ client: { ...client(), secondFactor: 'auto', waitSeconds: 60 }, password: 'pw' }));
    expect(calls[0]).toBe('start 10000');
  });

  it('the retransmission window outlasts the slowest answer, upstream tries included', () => {
    const slowUpstream = { kind: 'upstream', host: '10.0.5.10', secret: 'upstream-secret-0123456', timeoutMs: 30_000, tries: 5 };
    const config = parseConfig({ ...valid(), clients: [{ ...valid().clients[0], primary: slowUpstream, waitSeconds: 25 }] });
    expect(retransmitWindowOf(config)).toBeGreaterThan(25_000 + 150_000);
  });

  it("the upstream's authorization attributes reach the final Access-Accept through the menu and the code's State; an upstream challenge is a clear reject", async () => {
    const grant: Attribute[] = [textAttribute(25, 'vpn-admins'), textAttribute(11, 'full-tunnel')];
    const tessera: TesseraPort = {
      ...unreachable,
      start: () => Promise.resolve({ challengeId: 'ch_1', method: 'sms', destination: '••••0100' }),
      verify: () => Promise.resolve({ kind: 'approved' }),
    };
    const sessions = new SessionStore(60_000, Date.now);
    let primary: PrimaryResult = { kind: 'accept', attributes: grant };
    const granting = new RadiusFlow({ tessera, sessions, primary: () => Promise.resolve(primary), pollMs: 1, sleep: () => Promise.resolve(), now: Date.now });
    const menuClient = { ...client(), secondFactor: 'challenge' as const, primary: { kind: 'upstream' as const, host: '10.0.5.10', port: 1812, secret: 'upstream-secret-0123456', timeoutMs: 100, tries: 1, replyAttributes: [25, 11] } };
    const menu = (await granting.handle(attempt({ client: menuClient, password: 'pw' }))) as { state: Buffer };
    const code = (await granting.handle(attempt({ client: menuClient, password: '3', state: menu.state }))) as { state: Buffer };
    expect(code).toMatchObject({ kind: 'challenge' });
    expect(await granting.handle(attempt({ client: menuClient, password: '123456', state: code.state }))).toEqual({ kind: 'accept', attributes: grant });
    primary = { kind: 'challenge' };
    expect(await granting.handle(attempt({ client: menuClient, password: 'pw' }))).toMatchObject({ kind: 'reject', reason: 'primary_challenge', message: expect.stringMatching(/asked a further question/) });
  });

  it('an appended code goes to the app, else to the hardware token the user has', async () => {
    const asked: (string | undefined)[] = [];
    const tessera: TesseraPort = {
      start: (_user, method) => {
        asked.push(method);
        return method === 'app'
          ? Promise.reject(new Refused('method-unavailable', ['sms', 'oath']))
          : Promise.resolve({ challengeId: 'ch_1', method: 'oath', destination: 'token' });
      },
      verify: (_id, code) => Promise.resolve(code === '12345678' ? { kind: 'approved' } : { kind: 'denied', reason: 'wrong_code' }),
      status: () => Promise.resolve({ kind: 'pending' }),
    };
    expect(await flow(tessera).handle(attempt({ password: 'pw,12345678' }))).toEqual({ kind: 'accept' });
    expect(asked).toEqual(['app', 'oath']);
    expect(await flow(tessera).handle(attempt({ password: 'pw,87654321' }))).toMatchObject({ kind: 'reject', reason: 'wrong_code' });
  });
});

describe('the port over the HTTP API', () => {
  it('refuses a passkey challenge as method-unavailable: a gateway cannot answer it', async () => {
    const server = createHttpServer((_req, res) => {
      res.writeHead(201, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ challengeId: 'ch_AAAAAAAAAAAAAAAAAAAAAA', method: 'passkey', status: 'pending', destination: 'passkey' }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as { port: number };
      const tessera = tesseraOverHttp({ baseUrl: `http://127.0.0.1:${port}`, apiKey: 'k' });
      await expect(tessera.start('alice', undefined, { gatewayName: 'vpn-1' }, 5_000)).rejects.toMatchObject({ name: 'Refused', code: 'method-unavailable' });
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

describe('the server socket', () => {
  const config = () => parseConfig({ ...valid(), listen: { host: '127.0.0.1', port: 0 }, clients: [{ ...valid().clients[0], addresses: ['127.0.0.1'] }] });
  const from = (port: number): RemoteInfo => ({ address: '127.0.0.1', port, family: 'IPv4', size: 0 });
  const accessRequest = (identifier = 9) =>
    radius.encode({ code: 'Access-Request', secret: SECRET, identifier, attributes: [['User-Name', 'ann'], ['User-Password', 'pw']], add_message_authenticator: true });
  const never: TesseraPort = { start: () => new Promise(() => {}), verify: () => new Promise(() => {}), status: () => new Promise(() => {}) };

  it('a packet from source port 0 is dropped and counted, Status-Server or Access-Request; nothing is sent and nothing throws', async () => {
    const socket = createSocket('udp4');
    const lines: Record<string, unknown>[] = [];
    const server = await startRadiusServer(config(), { socket, tessera: never, log: (line) => lines.push(line) });
    try {
      const status = radius.encode({ code: 'Status-Server', secret: SECRET, identifier: 1, attributes: [], add_message_authenticator: true });
      socket.emit('message', status, from(0));
      socket.emit('message', accessRequest(), from(0));
      expect(server.counters.dropped.bad_source_port).toBe(2);
      expect(server.counters).toMatchObject({ statusServer: 0, received: 2, errors: 0 });
      expect(lines.filter((l) => l.event === 'send_failed')).toEqual([]);
    } finally {
      await server.stop();
    }
  });

  it('an answer ready after stop() is logged as not sent; the process goes on', async () => {
    const socket = createSocket('udp4');
    const lines: Record<string, unknown>[] = [];
    let release: (value: Awaited<ReturnType<TesseraPort['start']>>) => void = () => {};
    const tessera: TesseraPort = { ...never, start: () => new Promise((resolve) => (release = resolve)) };
    const server = await startRadiusServer(config(), { socket, tessera, log: (line) => lines.push(line) });
    socket.emit('message', accessRequest(), from(40_000));
    await server.stop();
    await server.stop();
    release({ challengeId: 'ch_1', method: 'sms', destination: '••••0100' });
    for (let i = 0; i < 1000 && !lines.some((l) => l.event === 'send_failed'); i++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(lines).toContainEqual({ event: 'send_failed', to: '127.0.0.1', error: 'ERR_SOCKET_DGRAM_NOT_RUNNING' });
    expect(server.counters.errors).toBe(0);
  });

  it('a copy is the same source address and port, identifier and authenticator (RFC 5080); the cache keeps at most maxCached answers', async () => {
    const socket = createSocket('udp4');
    let starts = 0;
    const tessera: TesseraPort = { ...never, start: () => (starts++, new Promise(() => {})) };
    const server = await startRadiusServer(config(), { socket, tessera, log: () => {}, maxCached: 2 });
    try {
      const same = accessRequest(5);
      socket.emit('message', same, from(40_001));
      socket.emit('message', same, from(40_001));
      socket.emit('message', same, from(40_002));
      await new Promise((resolve) => setImmediate(resolve));
      expect(server.counters.retransmissions).toBe(1);
      expect(starts).toBe(2);
      // A third request pushes the oldest out of a cache of two: its copy is then taken as new.
      socket.emit('message', accessRequest(6), from(40_001));
      socket.emit('message', same, from(40_001));
      await new Promise((resolve) => setImmediate(resolve));
      expect(starts).toBe(4);
      expect(server.counters.retransmissions).toBe(1);
    } finally {
      await server.stop();
    }
  });

  it('a flood of dropped packets: every one counted, one log line per reason per interval', async () => {
    const socket = createSocket('udp4');
    const lines: Record<string, unknown>[] = [];
    const server = await startRadiusServer(config(), { socket, tessera: never, log: (line) => lines.push(line) });
    try {
      for (let i = 0; i < 100; i++) socket.emit('message', accessRequest(i), { ...from(40_000), address: '198.51.100.9' });
      for (let i = 0; i < 100; i++) socket.emit('message', Buffer.alloc(10), from(40_000));
      expect(server.counters.dropped).toMatchObject({ unknown_client: 100, malformed: 100 });
      expect(lines.filter((l) => l.event === 'dropped').map((l) => l.reason)).toEqual(['unknown_client', 'malformed']);
    } finally {
      await server.stop();
    }
  });

  it('sendSafely refuses port 0 with a log line instead of throwing', () => {
    const socket = createSocket('udp4');
    const lines: Record<string, unknown>[] = [];
    try {
      sendSafely(socket, Buffer.from('x'), { address: '127.0.0.1', port: 0 }, (line) => lines.push(line));
      expect(lines).toEqual([{ event: 'send_failed', to: '127.0.0.1', error: 'bad_port' }]);
    } finally {
      socket.close();
    }
  });
});

describe('the upstream server', () => {
  const upstream = (host: string) => ({ kind: 'upstream' as const, host, port: 9, secret: 'upstream-secret-0123456', timeoutMs: 100, tries: 3, replyAttributes: [25] });
  const user = { userName: 'ann', password: 'pw', nasIdentifier: 'vpn-1' };

  it("a name that does not resolve: unavailable ('unresolved'), asked once, nothing sent", async () => {
    const asked: string[] = [];
    const failing = (host: string) => (asked.push(host), Promise.reject(Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' })));
    expect(await checkUpstream(upstream('radius.example.invalid'), user, failing)).toEqual({ kind: 'unavailable', reason: 'unresolved' });
    expect(asked).toEqual(['radius.example.invalid']);
  });

  it("an Access-Accept's allowed attributes come back (Class, Filter-Id, Vendor-Specific; never State or Reply-Message); an Access-Challenge is its own result", async () => {
    const secret = 'upstream-secret-0123456';
    const replies = [CODE.accessAccept, CODE.accessChallenge];
    const fake = createSocket('udp4');
    fake.on('message', (data, from) => {
      const request = parsePacket(data)!;
      const attributes: Attribute[] = [
        textAttribute(ATTR.replyMessage, 'welcome'),
        textAttribute(25, 'vpn-admins'),
        { type: ATTR.state, value: Buffer.alloc(8, 1) },
        textAttribute(11, 'full-tunnel'),
        { type: ATTR.vendorSpecific, value: Buffer.from([0, 0, 0x0c, 0x2d, 1, 8, 0x67, 0x72, 0x6f, 0x75]) },
      ];
      fake.send(encodeReply(request, replies.shift() ?? CODE.accessReject, attributes, secret), from.port, from.address);
    });
    await new Promise<void>((resolve) => fake.bind(0, '127.0.0.1', resolve));
    try {
      const config = parseConfig({
        ...valid(),
        clients: [{ ...valid().clients[0], primary: { kind: 'upstream', host: '127.0.0.1', port: fake.address().port, secret, timeoutMs: 1000 } }],
      }).clients[0]!.primary as Parameters<typeof checkUpstream>[0];
      const accepted = await checkUpstream(config, user);
      expect(accepted).toEqual({
        kind: 'accept',
        attributes: [
          { type: 25, value: Buffer.from('vpn-admins') },
          { type: 11, value: Buffer.from('full-tunnel') },
          { type: ATTR.vendorSpecific, value: Buffer.from([0, 0, 0x0c, 0x2d, 1, 8, 0x67, 0x72, 0x6f, 0x75]) },
        ],
      });
      expect(await checkUpstream(config, user)).toEqual({ kind: 'challenge' });
      expect(await checkUpstream({ ...config, replyAttributes: [27] }, user)).toEqual({ kind: 'reject' });
    } finally {
      fake.close();
    }
  });

  it('replyAttributes names known attributes or numbers, never the framing ones', () => {
    const withReply = (replyAttributes: unknown[]) =>
      problemsOf({ ...valid(), clients: [{ ...valid().clients[0], primary: { kind: 'upstream', host: '10.0.5.10', secret: 'upstream-secret-0123456', replyAttributes } }] });
    expect(withReply(['Class', 'Session-Timeout', 230])).toEqual([]);
    expect(withReply(['Bogus'])).toEqual([expect.stringMatching(/^clients\.0\.primary\.replyAttributes\.0: unknown attribute "Bogus"/)]);
    expect(withReply([80])).toEqual(['clients.0.primary.replyAttributes.0: attribute 80 is never copied from the upstream reply']);
  });

  it('a slow name resolved once for all tries; silence then ends in one timeout', async () => {
    const asked: string[] = [];
    const slow = (host: string) => (asked.push(host), new Promise<{ address: string; family: number }>((resolve) => setTimeout(() => resolve({ address: '127.0.0.1', family: 4 }), 150)));
    expect(await checkUpstream(upstream('radius.example.test'), user, slow)).toEqual({ kind: 'unavailable', reason: 'timeout' });
    expect(asked).toEqual(['radius.example.test']);
  });
});

describe("Tessera's HTTP port", () => {
  it('a 5xx while a push is polled is "unavailable", so the wait goes on; the next poll\'s approval accepts', async () => {
    const answers = [
      { status: 503, type: 'urn:tessera:problem:internal-error' },
      { status: 200, body: { challengeId: 'ch_1', status: 'approved' } },
    ];
    const http = createHttpServer((_request, response) => {
      const next = answers.shift() ?? { status: 500, type: 'urn:tessera:problem:internal-error' };
      if ('body' in next) {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify(next.body));
      } else {
        response.writeHead(next.status, { 'content-type': 'application/problem+json' });
        response.end(JSON.stringify({ type: next.type, title: 'Internal error', status: next.status }));
      }
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    try {
      const port = tesseraOverHttp({ baseUrl: `http://127.0.0.1:${(http.address() as { port: number }).port}`, apiKey: 'tsr_auth_t_k_0123456789abcdef' });
      await expect(port.status('ch_1', 1000)).rejects.toMatchObject({ code: 'unavailable' });
      expect(await port.status('ch_1', 1000)).toEqual({ kind: 'approved' });
    } finally {
      await new Promise<void>((resolve) => http.close(() => resolve()));
    }
  });
});
