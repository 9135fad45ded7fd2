import { createSocket } from 'node:dgram';
import { isIP } from 'node:net';
import * as radius from 'radius';
import type { UpstreamConfig } from './config';
import { checkReply, CODE, parsePacket } from './packet';

/** What the customer's own RADIUS server said about the user's password. */
export type PrimaryResult = { kind: 'accept' } | { kind: 'reject' } | { kind: 'unavailable'; reason: 'timeout' | 'bad_reply' | 'unexpected_reply' };

/**
 * Primary authentication by the customer's RADIUS server: the user name and password in a new
 * Access-Request of our own (PAP, with a Message-Authenticator), sent from a fresh socket and
 * retried `tries` times on silence. A reply that fails its authenticators is ignored, as a
 * forged one would be.
 */
export function checkUpstream(config: UpstreamConfig, user: { userName: string; password: string; nasIdentifier: string }): Promise<PrimaryResult> {
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
  const socket = createSocket(isIP(config.host) === 6 ? 'udp6' : 'udp4');
  return new Promise<PrimaryResult>((resolve) => {
    let tries = 0;
    let timer: NodeJS.Timeout | undefined;
    let sawBadReply = false;
    const finish = (result: PrimaryResult) => {
      clearTimeout(timer);
      socket.close();
      resolve(result);
    };
    const send = () => {
      if (tries++ >= config.tries) return finish({ kind: 'unavailable', reason: sawBadReply ? 'bad_reply' : 'timeout' });
      socket.send(request, config.port, config.host);
      timer = setTimeout(send, config.timeoutMs);
    };
    socket.on('message', (data) => {
      const reply = parsePacket(data);
      if (!reply || reply.identifier !== sent.identifier || !checkReply(reply, sent, config.secret)) {
        sawBadReply = true;
        return;
      }
      if (reply.code === CODE.accessAccept) finish({ kind: 'accept' });
      else if (reply.code === CODE.accessReject) finish({ kind: 'reject' });
      else finish({ kind: 'unavailable', reason: 'unexpected_reply' });
    });
    socket.on('error', () => finish({ kind: 'unavailable', reason: 'timeout' }));
    send();
  });
}
