// Admin notifications and their webhook.

import type { Notification } from '../domain/types';
import type { Page } from './page';

export interface NotificationStore {
  add(notification: Notification): Promise<void>;
  listNotifications(tenantId: string, query: { limit: number; cursor?: string }): Promise<Page<Notification>>;
}

/** POSTs a signed admin notification to a tenant's webhook. Best effort: never throws. */
export interface WebhookSender {
  post(url: string, body: string, headers: Record<string, string>): Promise<{ ok: boolean; status?: number }>;
}
