import { createSocket } from 'node:dgram';
import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import * as radius from 'radius';
import type { UpstreamConfig } from './config';
import { checkReply, CODE, parsePacket, type Attribute } from './packet';

/** What the customer's own RADIUS server said about the user's password. */
export type PrimaryResult =
  /** `attributes`: those of the upstream's Access-Accept that `replyAttributes` lets through, in order. */
  | { kind: 'accept'; attributes?: readonly Attribute[] }
  | { kind: 'reject' }
  /** The upstream asked a further question (an Access-Challenge): this front end cannot relay it. */
  | { kind: 'challenge' }
  | { kind: 'unavailable'; reason: 'timeout' | 'bad_reply' | 'unexpected_reply' | 'unresolved' };

/** Resolves a host name to one address (the system resolver, as `dns.lookup`). */
export type Lookup = (host: string) => Promise<{ address: string; family: number }>;

/** How long the upstream host's name may take to resolve, on top of `timeoutMs` × `tries`. */
export const LOOKUP_TIMEOUT_MS = 5000;

const systemLookup: Lookup = (host) => dnsLookup(host);

async function resolve(host: string, lookup: Lookup): Promise<{ address: string; family: 4 | 6 } | undefined> {
  const family = isIP(host);
  if (family) return { address: host, family: family as 4 | 6 };
  let timer: NodeJS.Timeout | undefined;
  try {
    const found = await Promise.race([lookup(host), new Promise<undefined>((done) => (timer = setTimeout(() => done(undefined), LOOKUP_TIMEOUT_MS)))]);
    return found && (found.family === 4 || found.family === 6) ? { address: found.address, family: found.family } : undefined;
  } catch {
    return undefined;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Primary authentication by the customer's RADIUS server: the user name and password in a new
 * Access-Request of our own (PAP, with a Message-Authenticator), sent from a fresh socket and
 * retried `tries` times on silence. The host is resolved once per request, before the first
 * try, so every try goes to the same address. A reply that fails its authenticators is ignored,
 * as a forged one would be. Finishes once: later replies, timers and socket errors change nothing.
 */
export async function checkUpstream(
  config: UpstreamConfig,
  user: { userName: string; password: string; nasIdentifier: string },
  lookup: Lookup = systemLookup,
): Promise<PrimaryResult> {
  const request = radius.encode({
    code: 'Access-Request',
    secret: config.secret,
    identifier: Math.floor(Math.random() * 256),
    attributes: [
      ['User-Name', user.userName],
      ['User-Password', user.password],
      ['NAS-Identifier', user.nasIdentifier],
    ],
    add_message_authenticator: true,
  });
  const sent = parsePacket(request);
  if (!sent) throw new Error('could not encode the upstream request');
  const target = await resolve(config.host, lookup);
  if (!target) return { kind: 'unavailable', reason: 'unresolved' };
  const socket = createSocket(target.family === 6 ? 'udp6' : 'udp4');
  return new Promise<PrimaryResult>((resolvePromise) => {
    let tries = 0;
    let timer: NodeJS.Timeout | undefined;
    let sawBadReply = false;
    let done = false;
    const finish = (result: PrimaryResult) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      try {
        socket.close();
      } catch {
        // closed already
      }
      resolvePromise(result);
    };
    const send = () => {
      if (done) return;
      if (tries++ >= config.tries) return finish({ kind: 'unavailable', reason: sawBadReply ? 'bad_reply' : 'timeout' });
      try {
        socket.send(request, config.port, target.address);
      } catch {
        return finish({ kind: 'unavailable', reason: 'timeout' });
      }
      timer = setTimeout(send, config.timeoutMs);
    };
    socket.on('message', (data) => {
      if (done) return;
      const reply = parsePacket(data);
      if (!reply || reply.identifier !== sent.identifier || !checkReply(reply, sent, config.secret)) {
        sawBadReply = true;
        return;
      }
      if (reply.code === CODE.accessAccept) {
        const allowed = new Set(config.replyAttributes);
        // Copied: the packet's buffer is reused by nothing, but a reply outlives this socket.
        finish({ kind: 'accept', attributes: reply.attributes.filter((a) => allowed.has(a.type)).map((a) => ({ type: a.type, value: Buffer.from(a.value) })) });
      } else if (reply.code === CODE.accessReject) finish({ kind: 'reject' });
      else if (reply.code === CODE.accessChallenge) finish({ kind: 'challenge' });
      else finish({ kind: 'unavailable', reason: 'unexpected_reply' });
    });
    socket.on('error', () => finish({ kind: 'unavailable', reason: 'timeout' }));
    send();
  });
}
