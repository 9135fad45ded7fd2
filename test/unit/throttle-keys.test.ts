import { randomBytes } from 'node:crypto';
import { throttleItems } from '../../shared/adapters/dynamo/throttle-store';
import { LocalSecretBox } from '../../shared/adapters/secrets/local-secret-box';
import { sha256Hex } from '../../shared/domain/crypto';
import { ThrottleKey } from '../../shared/domain/service-secrets';
import type { ThrottleWrites } from '../../shared/ports';
import { InMemoryServiceSecretStore } from '../support/fakes';

const NUMBER = '+14155550123';
const NOW = Date.UTC(2026, 10, 30, 12, 0, 0);

/** A service: its own secret store and master key, as two deployments have. */
function service(): ThrottleKey {
  return new ThrottleKey({ secrets: new InMemoryServiceSecretStore(), box: new LocalSecretBox(randomBytes(32).toString('base64')) });
}

async function counterKeyOf(key: ThrottleKey, writes: ThrottleWrites): Promise<string[]> {
  const { items } = await throttleItems('Throttle', writes, key);
  return items.map((i) => String(i.Update?.Key?.pk));
}

const numberCounter: ThrottleWrites = { counters: [{ name: 'number_rate', subject: NUMBER, limit: 10, windowSeconds: 3600, now: NOW }] };

describe('R28: throttle keys derived from phone numbers use a keyed hash (HMAC with a service secret)', () => {
  it('R28: the per-number counter key is not the SHA-256 of the number, nor holds the number', async () => {
    const [pk] = await counterKeyOf(service(), numberCounter);
    expect(pk).toMatch(/^C#number_rate#[A-Za-z0-9_-]{43}#\d+$/);
    expect(pk).not.toContain(sha256Hex(NUMBER));
    expect(pk).not.toContain(NUMBER.slice(1));
  });

  it('R28: one service derives the same key every time, so the cap counts across tenants and handlers', async () => {
    const key = service();
    expect(await counterKeyOf(key, numberCounter)).toEqual(await counterKeyOf(key, numberCounter));
  });

  it('R28: two services with different secrets derive different keys for the same number', async () => {
    const [first] = await counterKeyOf(service(), numberCounter);
    const [second] = await counterKeyOf(service(), numberCounter);
    expect(first).not.toEqual(second);
  });

  it('R6: a counter whose subject is a tenant id needs no secret and keeps the id', async () => {
    const writes: ThrottleWrites = { counters: [{ name: 'tenant_rate', subject: 'tn0123', limit: 50, windowSeconds: 1, now: NOW }] };
    const { items } = await throttleItems('Throttle', writes, undefined);
    expect(String(items[0]?.Update?.Key?.pk)).toBe(`C#tenant_rate#tn0123#${Math.floor(NOW / 1000)}`);
  });

  it('R28: a per-number counter without the service secret is refused, never keyed in clear', async () => {
    await expect(throttleItems('Throttle', numberCounter, undefined)).rejects.toThrow(/secret/);
  });
});
