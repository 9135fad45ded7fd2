/** Time, injected so tests and the local runtime can move it without sleeping. */
export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
}
