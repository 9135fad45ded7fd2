import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pinnedWebhookSender, type Resolve } from '../../shared/adapters/webhook/fetch-webhook-sender';
import { isLoopbackAddress, isPublicAddress } from '../../shared/domain/webhook-address';

/** A receiver on loopback that records what reaches it. */
async function receiver(answer: (req: IncomingMessage) => { status: number; headers?: Record<string, string> } = () => ({ status: 204 })) {
  const received: { host?: string; path?: string; body: string }[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      received.push({ host: req.headers.host, path: req.url, body });
      const { status, headers } = answer(req);
      res.writeHead(status, headers).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { port, received, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** A resolver that answers from a script, one answer per call, and counts the calls. */
function scripted(...answers: string[][]): Resolve & { calls: string[] } {
  const calls: string[] = [];
  const resolve = async (hostname: string) => {
    calls.push(hostname);
    const answer = answers[Math.min(calls.length - 1, answers.length - 1)] ?? [];
    return answer.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
  return Object.assign(resolve, { calls });
}

const BLOCKED = [
  '0.0.0.0',
  '10.1.2.3',
  '100.64.0.1',
  '100.100.100.200',
  '127.0.0.1',
  '127.9.9.9',
  '169.254.169.254',
  '172.16.0.1',
  '172.31.255.255',
  '192.168.1.1',
  '192.0.0.192',
  '198.18.0.1',
  '224.0.0.1',
  '239.255.255.250',
  '255.255.255.255',
  '::',
  '::1',
  'fe80::1',
  'fc00::1',
  'fd00:ec2::254',
  'ff02::1',
  '::ffff:127.0.0.1',
  '::ffff:7f00:1',
  '::ffff:169.254.169.254',
  '::ffff:a9fe:a9fe',
  '::ffff:10.0.0.1',
  '64:ff9b::a9fe:a9fe',
  '2001:db8::1',
  '2002:a9fe:a9fe::1',
];

describe('webhook addresses (SSRF)', () => {
  it.each(BLOCKED)('refuses %s', (address) => {
    expect(isPublicAddress(address)).toBe(false);
  });

  it.each(['93.184.215.14', '8.8.8.8', '2606:4700:4700::1111', '::ffff:8.8.8.8', '64:ff9b::808:808'])('allows the public %s', (address) => {
    expect(isPublicAddress(address)).toBe(true);
  });

  it.each(['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1'])('knows %s is loopback', (address) => {
    expect(isLoopbackAddress(address)).toBe(true);
  });

  it.each(['10.0.0.1', '::', '169.254.169.254', '::2'])('knows %s is not loopback', (address) => {
    expect(isLoopbackAddress(address)).toBe(false);
  });
});

describe('webhook delivery checks the target at send time (SSRF)', () => {
  it('refuses an IP literal of a loopback, private or metadata address and connects to nothing', async () => {
    const hook = await receiver();
    try {
      const sender = pinnedWebhookSender({ allowLoopback: false, resolve: scripted() });
      for (const host of ['127.0.0.1', '[::1]', '[::ffff:127.0.0.1]', '169.254.169.254', '10.0.0.1']) {
        await expect(sender.post(`https://${host}:${hook.port}/hook`, '{}', {})).resolves.toEqual({ ok: false });
        await expect(sender.post(`http://${host}:${hook.port}/hook`, '{}', {})).resolves.toEqual({ ok: false });
      }
      expect(hook.received).toEqual([]);
    } finally {
      await hook.close();
    }
  });

  it.each([['127.0.0.1'], ['169.254.169.254'], ['100.64.1.1'], ['::ffff:10.0.0.1'], ['8.8.8.8', '192.168.0.1']])(
    'refuses a name that resolves to %s (any non-public address among the answers)',
    async (...answer) => {
      const resolve = scripted(answer);
      const sender = pinnedWebhookSender({ allowLoopback: false, resolve });
      await expect(sender.post('https://hooks.example.com/x', '{}', {})).resolves.toEqual({ ok: false });
      expect(resolve.calls).toEqual(['hooks.example.com']);
    },
  );

  it('resolves once and connects to the address it checked, so a rebinding DNS answer is never used', async () => {
    const hook = await receiver();
    try {
      // Loopback stands in for a public address here: the local runtime's sender allows it.
      const resolve = scripted(['127.0.0.1'], ['10.0.0.1']);
      const sender = pinnedWebhookSender({ allowLoopback: true, resolve });
      const result = await sender.post(`http://rebind.example.com:${hook.port}/hook?x=1`, '{"a":1}', { 'content-type': 'application/json' });
      expect(result).toEqual({ ok: true, status: 204 });
      expect(resolve.calls).toEqual(['rebind.example.com']);
      expect(hook.received).toEqual([{ host: `rebind.example.com:${hook.port}`, path: '/hook?x=1', body: '{"a":1}' }]);
    } finally {
      await hook.close();
    }
  });

  it('does not follow a redirect', async () => {
    const hook = await receiver((req) => (req.url === '/hook' ? { status: 302, headers: { location: '/elsewhere' } } : { status: 200 }));
    try {
      const sender = pinnedWebhookSender({ allowLoopback: true, resolve: scripted() });
      await expect(sender.post(`http://127.0.0.1:${hook.port}/hook`, '{}', {})).resolves.toEqual({ ok: false, status: 302 });
      expect(hook.received.map((r) => r.path)).toEqual(['/hook']);
    } finally {
      await hook.close();
    }
  });

  it('the local runtime allows plain http only to loopback, never to another private address', async () => {
    const sender = pinnedWebhookSender({ allowLoopback: true, resolve: scripted(['192.168.1.10']) });
    await expect(sender.post('http://printer.lan/hook', '{}', {})).resolves.toEqual({ ok: false });
    await expect(sender.post('http://169.254.169.254/latest/meta-data/', '{}', {})).resolves.toEqual({ ok: false });
  });
});
