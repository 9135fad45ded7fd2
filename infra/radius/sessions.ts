import { createHash, randomBytes } from 'node:crypto';
import type { Attribute } from './packet';

/**
 * What an Access-Challenge waits for; `grant`: the upstream Access-Accept's authorization
 * attributes, for the Access-Accept that ends the sign-in.
 */
export type Step = ({ kind: 'code'; challengeId: string } | { kind: 'push'; challengeId: string } | { kind: 'choice' }) & { grant?: readonly Attribute[] };

/** Bounds the memory a flood of half-finished sign-ins can take. */
const MAX_OPEN = 100_000;

interface Open {
  readonly step: Step;
  readonly client: string;
  readonly userName: string;
  readonly expiresAt: number;
}

/**
 * The open Access-Challenges, in memory (a restart ends them: users sign in again). The State
 * sent to the gateway is 32 random bytes, so it cannot be guessed; it is kept only as its
 * SHA-256, bound to the client and user it was issued to, short-lived, and taken once.
 */
export class SessionStore {
  private readonly open = new Map<string, Open>();

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number,
  ) {}

  /** Opens a step; returns the State attribute's value. */
  openStep(step: Step, client: string, userName: string): Buffer {
    this.sweep();
    if (this.open.size >= MAX_OPEN) {
      // The oldest first: Map keeps insertion order.
      const oldest = this.open.keys().next().value;
      if (oldest !== undefined) this.open.delete(oldest);
    }
    const state = randomBytes(32);
    this.open.set(keyOf(state), { step, client, userName, expiresAt: this.now() + this.ttlMs });
    return state;
  }

  /** The step this State opened, once: undefined when unknown, expired, or issued to another client or user. */
  take(state: Buffer, client: string, userName: string): Step | undefined {
    const key = keyOf(state);
    const found = this.open.get(key);
    if (!found || found.expiresAt <= this.now()) {
      if (found) this.open.delete(key);
      return undefined;
    }
    // Another client or user presenting it learns nothing and spends nothing of the owner's.
    if (found.client !== client || found.userName !== userName) return undefined;
    this.open.delete(key);
    return found.step;
  }

  get size(): number {
    return this.open.size;
  }

  private sweep(): void {
    const now = this.now();
    for (const [key, entry] of this.open) {
      if (entry.expiresAt > now) break;
      this.open.delete(key);
    }
  }
}

function keyOf(state: Buffer): string {
  return createHash('sha256').update(state).digest('base64url');
}
