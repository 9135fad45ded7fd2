import { createHmac, randomBytes } from 'node:crypto';
import { randomId } from './crypto';
import type { Clock, Log, NotificationStore, SecretBox, SecretContext, WebhookSender } from '../ports';
import type { Notification, Tenant } from './types';

/** A tenant's webhook signing secret (R28); the binding is the one it was sealed under before kinds existed. */
export const webhookSecretContext = (tenantId: string): SecretContext => ({ kind: 'webhook-secret', tenantId, binding: 'webhook-signing-secret' });

/** A new webhook signing secret: shown to the admin once, stored sealed. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}

/**
 * `Tessera-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>` — the
 * receiver recomputes it and refuses old timestamps, so a captured delivery cannot be replayed.
 */
export function signWebhook(secret: string, timestamp: number, body: string): string {
  const mac = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
  return `t=${timestamp},v1=${mac}`;
}

/** Admin notifications: kept for the console, and POSTed to the tenant's webhook when set. */
export class NotificationService {
  constructor(
    private readonly deps: { store: NotificationStore; webhook: WebhookSender; box: SecretBox; clock: Clock; log: Log },
  ) {}

  /**
   * Stores the notification and posts it to the webhook. With `once`, its id and time are fixed
   * by the caller, so a retry stores the same item again (no duplicate in the console) and posts
   * the same body with the same id (a receiver drops what it already has): idempotent.
   */
  async notify(
    tenant: Tenant,
    event: Pick<Notification, 'type' | 'userId' | 'message'>,
    once?: { readonly notificationId: string; readonly at: number },
  ): Promise<Notification> {
    // The delivery is signed at the time it is sent, so that a retried one is not refused as old.
    const now = this.deps.clock.now();
    const notification: Notification = {
      notificationId: once?.notificationId ?? randomId('nt', 12),
      tenantId: tenant.tenantId,
      time: new Date(once?.at ?? now).toISOString(),
      ...event,
    };
    await this.deps.store.add(notification);
    const url = tenant.settings.webhookUrl;
    if (url && tenant.encryptedWebhookSecret) {
      const secret = Buffer.from(await this.deps.box.decrypt(tenant.encryptedWebhookSecret, webhookSecretContext(tenant.tenantId))).toString();
      const body = JSON.stringify(notification);
      const result = await this.deps.webhook.post(url, body, {
        'content-type': 'application/json',
        'tessera-signature': signWebhook(secret, Math.floor(now / 1000), body),
      });
      if (!result.ok) this.deps.log.warn('webhook delivery failed', { notificationId: notification.notificationId, status: result.status });
    }
    return notification;
  }
}
