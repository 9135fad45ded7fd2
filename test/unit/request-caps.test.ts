import { ContainerWindowCounter, flushEvery, sourceOf } from '../../shared/domain/request-caps';
import { InMemoryThrottleStore, T0 } from '../support/fakes';

describe('R6: the unit a per-source cap counts', () => {
  it('is the IPv4 address itself', () => {
    expect(sourceOf('203.0.113.7')).toBe('203.0.113.7');
  });

  it('is the /64 of an IPv6 address, so one network cannot pose as many sources', () => {
    const a = sourceOf('2001:db8:1:2:aaaa:bbbb:cccc:dddd');
    expect(a).toBe('2001:db8:1:2::/64');
    expect(sourceOf('2001:0db8:0001:0002::1')).toBe(a);
    expect(sourceOf('2001:DB8:1:2:ffff::')).toBe(a);
    expect(sourceOf('2001:db8:1:3::1')).not.toBe(a);
    expect(sourceOf('::1')).toBe('0:0:0:0::/64');
  });

  it('is the IPv4 address of an IPv4-mapped IPv6 address', () => {
    expect(sourceOf('::ffff:203.0.113.7')).toBe('203.0.113.7');
  });
});

describe('R6: a per-second tenant cap counted per container (ContainerWindowCounter)', () => {
  const cap = (limit: number, now = T0) => ({ name: 'tenant_requests' as const, subject: 'tn1', limit, windowSeconds: 1, now });

  async function takeMany(counter: ContainerWindowCounter, limit: number, n: number, now = T0): Promise<number> {
    let admitted = 0;
    for (let i = 0; i < n; i++) if (await counter.take(cap(limit, now))) admitted++;
    return admitted;
  }

  it('writes to the shared counter once every flushEvery(limit) units, never below that', async () => {
    expect([1, 9, 10, 100, 5000, 10_000].map(flushEvery)).toEqual([1, 1, 1, 10, 100, 100]);
    const store = new InMemoryThrottleStore();
    const counter = new ContainerWindowCounter(store);
    expect(await takeMany(counter, 100, 9)).toBe(9);
    expect(store.adds).toBe(0);
    expect(await takeMany(counter, 100, 31)).toBe(31);
    expect(store.adds).toBe(4);
  });

  it('one container admits exactly the limit per window, and the next window starts afresh', async () => {
    const store = new InMemoryThrottleStore();
    const counter = new ContainerWindowCounter(store);
    expect(await takeMany(counter, 100, 150)).toBe(100);
    expect(await takeMany(counter, 100, 150, T0 + 1000)).toBe(100);
    expect(await takeMany(counter, 3, 5, T0 + 2000)).toBe(3);
  });

  it('concurrent takes in one container do not exceed the limit while a write is in flight', async () => {
    const counter = new ContainerWindowCounter(new InMemoryThrottleStore());
    const results = await Promise.all(Array.from({ length: 250 }, () => counter.take(cap(100))));
    expect(results.filter(Boolean)).toHaveLength(100);
  });

  it('a fleet of C containers admits at most limit + C × flushEvery(limit) per window, and each learns the total', async () => {
    const store = new InMemoryThrottleStore();
    const fleet = Array.from({ length: 4 }, () => new ContainerWindowCounter(store));
    let admitted = 0;
    // Round-robin, as a load balancer spreads requests over warm containers.
    for (let i = 0; i < 1000; i++) if (await fleet[i % fleet.length]!.take(cap(100))) admitted++;
    expect(admitted).toBeGreaterThanOrEqual(100);
    expect(admitted).toBeLessThanOrEqual(100 + fleet.length * flushEvery(100));
    // Every container has learned the window is full: nothing more gets through.
    for (const container of fleet) expect(await takeMany(container, 100, 20)).toBe(0);
  });
});
