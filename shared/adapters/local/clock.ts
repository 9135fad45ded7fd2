import type { Clock } from '../../ports';

/**
 * The local runtime's clock: real time plus an offset that tests (and curious users) can move
 * forward through `POST /local/clock`, so expiry and windows are tried without sleeping.
 */
export class AdjustableClock implements Clock {
  private offsetMs = 0;
  private frozenAt?: number;

  now(): number {
    return this.frozenAt ?? Date.now() + this.offsetMs;
  }

  advance(seconds: number): void {
    this.offsetMs += seconds * 1000;
    if (this.frozenAt !== undefined) this.frozenAt += seconds * 1000;
  }

  /** Stops (or restarts) time where it is, for tests that need several requests in one instant. */
  setFrozen(frozen: boolean): void {
    if (frozen && this.frozenAt === undefined) this.frozenAt = this.now();
    if (!frozen && this.frozenAt !== undefined) {
      this.offsetMs = this.frozenAt - Date.now();
      this.frozenAt = undefined;
    }
  }

  get frozen(): boolean {
    return this.frozenAt !== undefined;
  }

  get offsetSeconds(): number {
    return this.offsetMs / 1000;
  }
}
