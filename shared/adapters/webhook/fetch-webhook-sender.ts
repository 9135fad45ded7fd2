import { lookup } from 'node:dns/promises';
import { request as httpRequest, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { ipLiteralOf, isLoopbackAddress, isPublicAddress } from '../../domain/webhook-address';
import type { WebhookSender } from '../../ports';

/** Resolves a host name to every address it has (the system resolver by default). */
export type Resolve = (hostname: string) => Promise<{ address: string; family: number }[]>;

const systemResolve: Resolve = (hostname) => lookup(hostname, { all: true, verbatim: true });

export interface WebhookSenderOptions {
  /** The local runtime: `http://` to loopback is allowed, so webhooks can be tried on one machine. */
  readonly allowLoopback: boolean;
  readonly resolve?: Resolve;
  readonly timeoutMs?: number;
}

/**
 * POSTs with a short timeout and no redirects; a slow, failing or refused receiver never fails
 * the request. Against SSRF the target is checked when sending, not only when the URL was saved:
 * the name is resolved once, every address it has must be public (see webhook-address), and the
 * connection goes to the address that was checked, so a DNS answer that changes in between
 * (rebinding) cannot send it elsewhere.
 */
export function pinnedWebhookSender(options: WebhookSenderOptions): WebhookSender {
  const resolve = options.resolve ?? systemResolve;
  const allowed = (address: string): boolean => isPublicAddress(address) || (options.allowLoopback && isLoopbackAddress(address));
  return {
    async post(url, body, headers) {
      try {
        const target = new URL(url);
        const literal = ipLiteralOf(target.hostname);
        const addresses = literal ? [{ address: literal, family: literal.includes(':') ? 6 : 4 }] : await resolve(target.hostname);
        const [pinned] = addresses;
        if (!pinned || !addresses.every((a) => allowed(a.address))) return { ok: false };
        const plainHttp = target.protocol === 'http:' && options.allowLoopback && addresses.every((a) => isLoopbackAddress(a.address));
        if (target.protocol !== 'https:' && !plainHttp) return { ok: false };
        return await send(target, pinned, body, headers, options.timeoutMs ?? 2000);
      } catch {
        return { ok: false };
      }
    },
  };
}

function send(
  target: URL,
  pinned: { address: string; family: number },
  body: string,
  headers: Record<string, string>,
  timeoutMs: number,
): Promise<{ ok: boolean; status?: number }> {
  const pinnedLookup: LookupFunction = (_hostname, lookupOptions, callback) => {
    const family = pinned.family === 6 ? 6 : 4;
    if (lookupOptions.all) callback(null, [{ address: pinned.address, family }]);
    else callback(null, pinned.address, family);
  };
  const requestOptions: RequestOptions = {
    method: 'POST',
    host: target.hostname.replace(/^\[|\]$/g, ''),
    port: target.port || undefined,
    path: `${target.pathname}${target.search}`,
    headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
    lookup: pinnedLookup,
    // A fresh connection each time: no pooled socket from another resolution is reused.
    agent: false,
    signal: AbortSignal.timeout(timeoutMs),
  };
  return new Promise((resolve) => {
    const req = (target.protocol === 'https:' ? httpsRequest : httpRequest)(requestOptions, (response) => {
      const status = response.statusCode ?? 0;
      // Redirects are not followed: a 3xx is a failed delivery like any other non-2xx.
      response.resume();
      resolve({ ok: status >= 200 && status < 300, status });
    });
    req.on('error', () => resolve({ ok: false }));
    req.end(body);
  });
}
