import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { isIP } from 'node:net';
import { clientMatcher, type ClientConfig, type RadiusConfig } from './config';
import { RadiusFlow, type Answer, type Attempt } from './flow';
import { ATTR, checkRequest, CODE, decryptPassword, encodeReply, nasIp, octets, otherAuthentication, parsePacket, text, textAttribute, type Packet } from './packet';
import { SessionStore } from './sessions';
import { tesseraOverHttp, type TesseraPort } from './tessera';
import { checkUpstream, LOOKUP_TIMEOUT_MS } from './upstream';

/** Why packets were dropped without an answer, and what was answered. */
export interface Counters {
  received: number;
  accepted: number;
  rejected: number;
  challenged: number;
  /** Status-Server probes answered (RFC 5997), the gateways' way to see the server is alive. */
  statusServer: number;
  /** Retransmissions answered from the cache (or dropped while the first copy is still being worked on). */
  retransmissions: number;
  dropped: {
    unknown_client: number;
    malformed: number;
    not_access_request: number;
    missing_message_authenticator: number;
    bad_message_authenticator: number;
    /** Source port 0: no answer can be sent there (a spoofed or broken sender). */
    bad_source_port: number;
  };
  /** Bugs: a request whose handling threw; answered with a reject. */
  errors: number;
}

export interface RadiusServer {
  readonly address: string;
  readonly port: number;
  readonly counters: Counters;
  stop(): Promise<void>;
}

export interface ServerOptions {
  /** Tessera's API; by default the typed HTTP client with the configured auth key. */
  readonly tessera?: TesseraPort;
  /** One line per answer and per dropped packet: never a password, code or secret. */
  readonly log?: (line: Record<string, unknown>) => void;
  readonly pollMs?: number;
  /** The UDP socket, unbound (tests hand in their own to feed it datagrams). */
  readonly socket?: Socket;
  /** How many answers the retransmission cache keeps at most (the oldest go first); default 100,000. */
  readonly maxCached?: number;
}

/**
 * How long an answer is kept for retransmissions: longer than any gateway keeps retrying, and
 * longer than the slowest answer, so a copy that arrives while its original is still being
 * answered is never taken for a new request (a second push, text or call).
 */
const RETRANSMIT_MARGIN_MS = 60_000;

/**
 * The slowest answer: the upstream check (its name lookup, then `timeoutMs` × `tries`), and
 * Tessera's calls and the wait, which together end `waitSeconds` after the request arrived; plus
 * the margin.
 */
export function retransmitWindowOf(config: RadiusConfig): number {
  const slowest = config.clients.map((c) => c.waitSeconds * 1000 + (c.primary.kind === 'upstream' ? LOOKUP_TIMEOUT_MS + c.primary.timeoutMs * c.primary.tries : 0));
  return Math.max(...slowest) + RETRANSMIT_MARGIN_MS;
}

const MAX_CACHED = 100_000;
/** A dropped packet is one log line per reason per this many milliseconds at most (the counters count them all). */
const DROP_LOG_INTERVAL_MS = 10_000;

interface Cached {
  readonly expiresAt: number;
  reply?: Buffer;
}

/**
 * The RADIUS front end: Access-Requests on UDP from the configured clients, each checked for
 * its Message-Authenticator (RFC 3579, required), answered once per client, identifier and
 * authenticator (retransmissions get the same bytes back, never a second challenge).
 */
export async function startRadiusServer(config: RadiusConfig, options: ServerOptions = {}): Promise<RadiusServer> {
  const log = options.log ?? ((line) => console.log(JSON.stringify({ time: new Date().toISOString(), ...line })));
  const counters: Counters = {
    received: 0,
    accepted: 0,
    rejected: 0,
    challenged: 0,
    statusServer: 0,
    retransmissions: 0,
    dropped: { unknown_client: 0, malformed: 0, not_access_request: 0, missing_message_authenticator: 0, bad_message_authenticator: 0, bad_source_port: 0 },
    errors: 0,
  };
  const now = () => Date.now();
  const sessions = new SessionStore(config.stateTtlSeconds * 1000, now);
  const flow = new RadiusFlow({
    tessera: options.tessera ?? tesseraOverHttp(config.tessera),
    sessions,
    primary: (client, userName, password) =>
      client.primary.kind === 'upstream' ? checkUpstream(client.primary, { userName, password, nasIdentifier: client.name }) : Promise.resolve({ kind: 'accept' }),
    pollMs: options.pollMs ?? 1000,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    now,
  });
  const clientOf = clientMatcher(config.clients);
  const cache = new Map<string, Cached>();
  const retransmitWindowMs = retransmitWindowOf(config);

  const maxCached = options.maxCached ?? MAX_CACHED;
  // A flood of bad packets must not become a flood of log lines: one line per reason per interval, with how many it stands for.
  const dropLogged = new Map<string, { at: number; suppressed: number }>();
  const drop = (reason: keyof Counters['dropped'], from: RemoteInfo, client?: ClientConfig) => {
    counters.dropped[reason]++;
    const at = now();
    const last = dropLogged.get(reason);
    if (last && at - last.at < DROP_LOG_INTERVAL_MS) {
      last.suppressed++;
      return;
    }
    dropLogged.set(reason, { at, suppressed: 0 });
    log({ event: 'dropped', reason, from: from.address, ...(client ? { client: client.name } : {}), ...(last?.suppressed ? { alsoDropped: last.suppressed } : {}) });
  };

  const socket: Socket = options.socket ?? createSocket({ type: isIP(config.listen.host) === 6 ? 'udp6' : 'udp4', reuseAddr: false });
  /** Every answer leaves through here: a send that throws (a closed socket, a bad port) is logged, never fatal. */
  const send = (reply: Buffer, to: RemoteInfo) => sendSafely(socket, reply, to, log);

  async function answer(client: ClientConfig, packet: Packet, from: RemoteInfo): Promise<Buffer | undefined> {
    const userName = text(packet, ATTR.userName);
    const hidden = octets(packet, ATTR.userPassword);
    const password = hidden ? decryptPassword(hidden, client.secret, packet.authenticator) : undefined;
    if (!userName || (hidden && password === undefined)) {
      drop('malformed', from, client);
      return undefined;
    }
    const other = otherAuthentication(packet);
    const gatewayIp = nasIp(packet);
    const callingStation = text(packet, ATTR.callingStationId);
    const attempt: Attempt = {
      client,
      userName,
      ...(password !== undefined ? { password } : {}),
      ...(octets(packet, ATTR.state) ? { state: octets(packet, ATTR.state) } : {}),
      ...(other ? { otherAuthentication: other } : {}),
      origin: {
        gatewayName: client.name,
        ...(gatewayIp ? { gatewayIp } : {}),
        ...(callingStation && isIP(callingStation) ? { clientIp: callingStation } : {}),
      },
    };
    let result: Answer;
    try {
      result = await flow.handle(attempt);
    } catch (error) {
      counters.errors++;
      log({ event: 'error', client: client.name, error: error instanceof Error ? error.name : 'unknown' });
      result = { kind: 'reject', reason: 'internal_error', message: 'The second factor is unavailable right now; try again later.' };
    }
    log({ event: result.kind, client: client.name, user: userName, ...(result.kind === 'reject' ? { reason: result.reason } : {}) });
    if (result.kind === 'accept') {
      counters.accepted++;
      const granted = [...(result.message ? [textAttribute(ATTR.replyMessage, result.message)] : []), ...(result.attributes ?? [])];
      return encodeReply(packet, CODE.accessAccept, granted, client.secret);
    }
    if (result.kind === 'reject') {
      counters.rejected++;
      return encodeReply(packet, CODE.accessReject, [textAttribute(ATTR.replyMessage, result.message)], client.secret);
    }
    counters.challenged++;
    return encodeReply(packet, CODE.accessChallenge, [textAttribute(ATTR.replyMessage, result.message), { type: ATTR.state, value: result.state }], client.secret);
  }

  function sweepCache(at: number) {
    for (const [key, entry] of cache) {
      if (entry.expiresAt > at) break;
      cache.delete(key);
    }
  }

  function receive(data: Buffer, from: RemoteInfo): void {
    counters.received++;
    const client = clientOf(from.address);
    if (!client) return drop('unknown_client', from);
    // Nothing can be sent to port 0 (the send would throw): not a gateway, whatever the packet says.
    if (from.port === 0) return drop('bad_source_port', from, client);
    const packet = parsePacket(data);
    if (!packet) return drop('malformed', from, client);
    if (packet.code !== CODE.accessRequest && packet.code !== CODE.statusServer) return drop('not_access_request', from, client);
    const refusal = checkRequest(packet, client.secret);
    if (refusal) return drop(refusal, from, client);
    if (packet.code === CODE.statusServer) {
      // RFC 5997: signed like an Access-Request, answered with a signed Access-Accept; it starts nothing.
      counters.statusServer++;
      return send(encodeReply(packet, CODE.accessAccept, [], client.secret), from);
    }

    const at = now();
    sweepCache(at);
    // RFC 5080 §2.2.2: a duplicate has the same source address and port, identifier and authenticator.
    const key = `${client.name}\n${from.address}\n${from.port}\n${packet.identifier}\n${packet.authenticator.toString('hex')}`;
    const seen = cache.get(key);
    if (seen && seen.expiresAt > at) {
      counters.retransmissions++;
      if (seen.reply) send(seen.reply, from);
      return;
    }
    const entry: Cached = { expiresAt: at + retransmitWindowMs };
    cache.delete(key);
    // Bounded like the States: past the cap the oldest answer goes (Map keeps insertion order).
    while (cache.size >= maxCached) {
      const oldest = cache.keys().next().value;
      if (oldest === undefined) break;
      cache.delete(oldest);
    }
    cache.set(key, entry);
    answer(client, packet, from).then(
      (reply) => {
        if (!reply) return void cache.delete(key);
        entry.reply = reply;
        send(reply, from);
      },
      (error: unknown) => {
        counters.errors++;
        cache.delete(key);
        log({ event: 'error', client: client.name, error: error instanceof Error ? error.name : 'unknown' });
      },
    )
      // Nothing above may end the process: whatever still throws is a counted, logged bug.
      .catch(bug);
  }
  function bug(error: unknown): void {
    counters.errors++;
    try {
      log({ event: 'error', error: error instanceof Error ? error.name : 'unknown' });
    } catch {
      // A log that throws has nowhere left to report to.
    }
  }
  socket.on('message', (data, from) => {
    try {
      receive(data, from);
    } catch (error) {
      bug(error);
    }
  });
  // A send to a vanished gateway, say: logged, never fatal.
  socket.on('error', (error) => log({ event: 'socket_error', error: error.message }));

  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(config.listen.port, config.listen.host, () => {
      socket.off('error', reject);
      resolve();
    });
  });
  const bound = socket.address();
  return {
    address: bound.address,
    port: bound.port,
    counters,
    stop: () =>
      new Promise<void>((resolve) => {
        try {
          socket.close(() => resolve());
        } catch {
          resolve(); // closed already
        }
      }),
  };
}

/** Sends one datagram; a send that cannot happen (port 0, a closed socket) is a log line, not an exception. */
export function sendSafely(socket: Socket, data: Buffer, to: { address: string; port: number }, log: (line: Record<string, unknown>) => void): void {
  if (to.port <= 0 || to.port > 65535) return log({ event: 'send_failed', to: to.address, error: 'bad_port' });
  try {
    socket.send(data, to.port, to.address, (error) => {
      if (error) log({ event: 'send_failed', to: to.address, error: (error as NodeJS.ErrnoException).code ?? error.name });
    });
  } catch (error) {
    log({ event: 'send_failed', to: to.address, error: (error as NodeJS.ErrnoException).code ?? (error instanceof Error ? error.name : 'unknown') });
  }
}
