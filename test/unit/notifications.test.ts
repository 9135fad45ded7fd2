import { createHmac, randomBytes } from 'node:crypto';
import { LocalSecretBox } from '../../shared/adapters/secrets/local-secret-box';
import { NotificationService, newWebhookSecret, signWebhook, webhookSecretContext } from '../../shared/domain/notifications';
import type { Tenant } from '../../shared/domain/types';
import { FakeClock, InMemoryLogStore, RecordingWebhookSender, SilentLog, T0, tenantFixture } from '../support/fakes';

const SECRET = 'whsec_test-secret';
const BODY = '{"type":"fraud_reported","userId":"alice"}';

/** What a receiver does: recompute the HMAC over "<t>.<body>" and compare. */
function receiverAccepts(header: string, secret: string, body: string): boolean {
  const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header);
  if (!match) return false;
  const expected = createHmac('sha256', secret).update(`${match[1]}.${body}`).digest('hex');
  return expected === match[2];
}

describe('R14 webhook signatures', () => {
  it('is t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">', () => {
    const header = signWebhook(SECRET, 1_893_499_200, BODY);
    const mac = createHmac('sha256', SECRET).update(`1893499200.${BODY}`).digest('hex');
    expect(header).toBe(`t=1893499200,v1=${mac}`);
    expect(receiverAccepts(header, SECRET, BODY)).toBe(true);
  });

  it('binds the signature to the body, the timestamp and the secret', () => {
    const header = signWebhook(SECRET, 1_893_499_200, BODY);
    expect(signWebhook(SECRET, 1_893_499_200, `${BODY} `)).not.toBe(header);
    expect(signWebhook(SECRET, 1_893_499_201, BODY)).not.toBe(header);
    expect(signWebhook(`${SECRET}x`, 1_893_499_200, BODY)).not.toBe(header);
    expect(receiverAccepts(header, SECRET, BODY.replace('alice', 'mallory'))).toBe(false);
    const replayed = header.replace('t=1893499200', 't=1893499999');
    expect(receiverAccepts(replayed, SECRET, BODY)).toBe(false);
  });

  it('makes new secrets with 256 bits of randomness', () => {
    const a = newWebhookSecret();
    expect(a).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    expect(newWebhookSecret()).not.toBe(a);
  });
});

describe('R14 admin notifications', () => {
  async function setup(settings: Partial<Tenant['settings']> = {}, secret?: string) {
    const clock = new FakeClock();
    const store = new InMemoryLogStore();
    const webhook = new RecordingWebhookSender();
    const log = new SilentLog();
    const box = new LocalSecretBox(randomBytes(32).toString('base64'));
    const sealed = secret ? await box.encrypt(Buffer.from(secret), webhookSecretContext(`tn${'e'.repeat(24)}`)) : undefined;
    const tenant = tenantFixture(`tn${'e'.repeat(24)}`, {
      settings: { ...tenantFixture('x').settings, ...settings },
      ...(sealed ? { encryptedWebhookSecret: sealed } : {}),
    });
    const service = new NotificationService({ store, webhook, box, clock, log });
    return { clock, store, webhook, log, service, tenant };
  }

  it('keeps the notification for the console, newest first', async () => {
    const { service, store, tenant, clock } = await setup();
    const first = await service.notify(tenant, { type: 'user_blocked', userId: 'alice', message: 'User alice was blocked' });
    clock.advance(1);
    const second = await service.notify(tenant, { type: 'user_unblocked', userId: 'alice', message: 'User alice was unblocked' });
    expect(first).toEqual({
      notificationId: expect.stringMatching(/^nt_/),
      tenantId: tenant.tenantId,
      time: new Date(T0).toISOString(),
      type: 'user_blocked',
      userId: 'alice',
      message: 'User alice was blocked',
    });
    await expect(store.listNotifications(tenant.tenantId, { limit: 10 })).resolves.toEqual({ items: [second, first] });
  });

  it('POSTs the notification to the webhook, signed with the tenant secret at the current time', async () => {
    const { service, webhook, tenant, clock } = await setup({ webhookUrl: 'https://hooks.example.com/t' }, SECRET);
    clock.advance(0.5);
    const sent = await service.notify(tenant, { type: 'fraud_reported', userId: 'alice', message: 'Fraud reported' });
    expect(webhook.posts).toHaveLength(1);
    const [post] = webhook.posts;
    expect(post?.url).toBe('https://hooks.example.com/t');
    expect(JSON.parse(post?.body ?? '')).toEqual(sent);
    expect(post?.headers['content-type']).toBe('application/json');
    const signature = post?.headers['tessera-signature'] ?? '';
    expect(signature).toMatch(new RegExp(`^t=${Math.floor(T0 / 1000)},`));
    expect(receiverAccepts(signature, SECRET, post?.body ?? '')).toBe(true);
  });

  it('posts nothing without a webhook URL', async () => {
    const { service, webhook, tenant, store } = await setup({}, SECRET);
    await service.notify(tenant, { type: 'user_blocked', userId: 'bob', message: 'blocked' });
    expect(webhook.posts).toEqual([]);
    expect((await store.listNotifications(tenant.tenantId, { limit: 10 })).items).toHaveLength(1);
  });

  it('survives a failing receiver, logging the failure without the body', async () => {
    const { service, webhook, tenant, log } = await setup({ webhookUrl: 'https://hooks.example.com/t' }, SECRET);
    webhook.answer = { ok: false, status: 500 };
    const sent = await service.notify(tenant, { type: 'fraud_reported', userId: 'alice', message: 'Fraud reported' });
    expect(log.entries).toEqual([
      { level: 'warn', message: 'webhook delivery failed', extra: [{ notificationId: sent.notificationId, status: 500 }] },
    ]);
    expect(JSON.stringify(log.entries)).not.toContain(SECRET);
  });
});
