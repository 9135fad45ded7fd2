import type { ServerResponse } from 'node:http';
import { localPush, localTelephone } from '../../shared/adapters/local/world';
import { buildPage, PAGE_CSP, type BuiltPage, type WebPage } from '../web/pages';

/** Where each page is served: the simulator and demo only locally, the console also on AWS. */
const MOUNTS: Record<string, WebPage> = { '/local/simulator/': 'simulator', '/local/demo/': 'demo', '/console/': 'console' };

const built = new Map<WebPage, Promise<BuiltPage>>();

function page(name: WebPage): Promise<BuiltPage> {
  let promise = built.get(name);
  if (!promise) {
    promise = buildPage(name);
    // A failed build is retried on the next request instead of being cached.
    promise.catch(() => built.delete(name));
    built.set(name, promise);
  }
  return promise;
}

const SECURITY = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'content-security-policy': PAGE_CSP,
};

/**
 * Serves the browser pages (`/local/simulator/`, `/local/demo/`, `/console/`), and the listing the
 * simulator polls: every number that got a call and every activated simulated phone.
 */
export async function serveWeb(method: string, path: string, res: ServerResponse): Promise<boolean> {
  if (method !== 'GET') return false;
  if (path === '/local/phones') {
    const numbers = [...new Set(localTelephone.calls().map((c) => c.number))];
    const body = numbers.map((number) => ({ number, script: localTelephone.scriptOf(number), ringing: localTelephone.ringing(number), calls: localTelephone.calls(number) }));
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(JSON.stringify(body));
    return true;
  }
  if (path === '/local/devices') {
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(JSON.stringify(localPush.devices().map((deviceId) => ({ deviceId, prompts: localPush.pending(deviceId) }))));
    return true;
  }
  const mount = Object.keys(MOUNTS).find((m) => path === m.slice(0, -1) || path.startsWith(m));
  if (!mount) return false;
  const rest = path.slice(mount.length);
  if (path === mount.slice(0, -1)) {
    res.writeHead(308, { location: mount });
    res.end();
    return true;
  }
  if (rest !== '' && rest !== 'index.html' && rest !== 'main.js') return false;
  const { html, js } = await page(MOUNTS[mount] as WebPage);
  const isJs = rest === 'main.js';
  res.writeHead(200, { 'content-type': isJs ? 'text/javascript; charset=utf-8' : 'text/html; charset=utf-8', 'cache-control': 'no-cache', ...SECURITY });
  res.end(isJs ? js : html);
  return true;
}
