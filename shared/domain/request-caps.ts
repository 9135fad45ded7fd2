import { isIPv6 } from 'node:net';
import { PUSH_REQUESTS_PER_SOURCE_PER_MINUTE, TENANT_CAP_FLUSH_FRACTION, TENANT_CAP_FLUSH_MAX_UNITS } from '../rules';
import { RetryLaterError } from './errors';
import { tenantLimits } from './throttling';
import type { Clock, CounterName, ThrottleStore } from '../ports';
import type { Tenant } from './types';

/**
 * Routes whose requests also count against the tenant's per-second challenge cap (R6), taken by
 * the challenge service: each may send a text, place a call or push a prompt.
 */
export const TENANT_CHALLENGE_ROUTES: readonly string[] = ['POST /v1/challenges', 'POST /v1/challenges/{challengeId}/resend'];

/** How many units of a cap a container takes before it writes them to the shared counter. */
export function flushEvery(limit: number): number {
  return Math.max(1, Math.min(Math.floor(limit / TENANT_CAP_FLUSH_FRACTION), TENANT_CAP_FLUSH_MAX_UNITS));
}

interface WindowState {
  window: number;
  /** The shared counter's value as the last write of this container returned it. */
  known: number;
  /** Units being written now. */
  writing: number;
  /** Units taken here and not written yet. */
  pending: number;
}

/**
 * R6: a fixed-window cap that costs no DynamoDB request on most calls. The container counts the
 * units it takes and adds them to the shared counter (`ThrottleStore.add`) every
 * `flushEvery(limit)` units, learning the fleet's total as it does; it refuses once the total it
 * knows plus its own unwritten units reach the limit. So one container never exceeds the limit,
 * and a window in which a container takes fewer than `flushEvery(limit)` units costs it nothing.
 * Across C containers the fleet admits at most `limit + C × flushEvery(limit)` units per window:
 * each container's units taken after the shared counter reached the limit belong to the one batch
 * it had open then, because the write that ends that batch tells it the limit is reached.
 */
export class ContainerWindowCounter {
  private readonly windows = new Map<string, WindowState>();

  constructor(private readonly store: Pick<ThrottleStore, 'add'>) {}

  async take(counter: { name: CounterName; subject: string; limit: number; windowSeconds: number; now: number }): Promise<boolean> {
    const window = Math.floor(counter.now / (counter.windowSeconds * 1000));
    const id = `${counter.name}#${counter.subject}`;
    let state = this.windows.get(id);
    if (!state || state.window !== window) {
      state = { window, known: 0, writing: 0, pending: 0 };
      this.windows.set(id, state);
    }
    if (state.known + state.writing + state.pending >= counter.limit) return false;
    state.pending++;
    if (state.pending < flushEvery(counter.limit)) return true;
    const units = state.pending;
    state.pending = 0;
    state.writing += units;
    try {
      const total = await this.store.add({ name: counter.name, subject: counter.subject, windowSeconds: counter.windowSeconds, now: counter.now, units });
      // Another write of this container still in flight may be in `total` already: counted twice
      // until it returns, which only refuses sooner.
      state.known = Math.max(state.known, total);
      // This request is the batch's last unit: it goes through only if the fleet is within the limit.
      return total <= counter.limit;
    } finally {
      state.writing -= units;
    }
  }
}

const untilNext = (now: number, windowSeconds: number): number => Math.max(1, Math.ceil((windowSeconds * 1000 - (now % (windowSeconds * 1000))) / 1000));

/**
 * R6: caps on requests, taken before a handler does any work, so that one caller over its share
 * costs the others nothing but a key lookup and (now and then) one counter update. Refusals are not logged: a
 * flood would otherwise write a log line for each.
 */
export class RequestCaps {
  private readonly requests: ContainerWindowCounter;

  constructor(private readonly deps: { throttle: ThrottleStore; clock: Clock }) {
    this.requests = new ContainerWindowCounter(deps.throttle);
  }

  /** Every request made with one of the tenant's API keys, on every route. */
  async tenant(tenant: Pick<Tenant, 'tenantId' | 'caps' | 'settings'>): Promise<void> {
    const now = this.deps.clock.now();
    const limit = tenantLimits(tenant).requestsPerSecond;
    if (!(await this.requests.take({ name: 'tenant_requests', subject: tenant.tenantId, limit, windowSeconds: 1, now }))) {
      throw new RetryLaterError('Too many requests for this tenant right now', untilNext(now, 1), { reason: 'tenant_requests' });
    }
  }

  /**
   * The public push routes, per source address: they carry no API key, so the address is the
   * only thing a flood has in common.
   */
  async source(sourceIp: string): Promise<void> {
    const now = this.deps.clock.now();
    const counter = { name: 'source_rate', subject: sourceOf(sourceIp), limit: PUSH_REQUESTS_PER_SOURCE_PER_MINUTE, windowSeconds: 60, now } as const;
    if (!(await this.deps.throttle.take(counter))) {
      throw new RetryLaterError('Too many requests from this address right now', untilNext(now, 60), { reason: 'source_rate' });
    }
  }
}

/**
 * The unit a source cap counts: an IPv4 address, or an IPv6 address's /64 — one customer's
 * network hands out a whole /64, so counting single addresses would give a flood 2^64 sources.
 */
export function sourceOf(ip: string): string {
  if (!isIPv6(ip)) return ip;
  const [head = '', tail = ''] = ip.toLowerCase().split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  // An embedded IPv4 tail (::ffff:192.0.2.1) takes two groups; a mapped address is its IPv4.
  const last = right.at(-1) ?? left.at(-1) ?? '';
  if (last.includes('.')) {
    const mapped = /^(?:0*:)*ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(ip.toLowerCase().replace(/^::/, '0:'));
    if (mapped?.[1]) return mapped[1];
  }
  const groups = ip.includes('::') ? [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right] : left;
  return `${groups.slice(0, 4).map((g) => (Number.parseInt(g, 16) || 0).toString(16)).join(':')}::/64`;
}
