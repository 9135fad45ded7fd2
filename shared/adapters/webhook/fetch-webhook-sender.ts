import type { WebhookSender } from '../../ports';

/** POSTs with a short timeout and no redirects; a slow or failing receiver never fails the request. */
export const fetchWebhookSender: WebhookSender = {
  async post(url, body, headers) {
    try {
      const response = await fetch(url, { method: 'POST', body, headers, redirect: 'manual', signal: AbortSignal.timeout(2000) });
      await response.body?.cancel();
      return { ok: response.ok, status: response.status };
    } catch {
      return { ok: false };
    }
  },
};
