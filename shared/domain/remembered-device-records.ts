/**
 * What is stored for remembered devices (issue 16). A leaf module: the port
 * (shared/ports/remembered-devices.ts) carries these records.
 */

/**
 * One remembered device: a token's SHA-256 (the token itself is shown once and never stored),
 * the SHA-256 of the relying app's binding, and the epochs it was issued under. The token is
 * revoked once any of them differs from the current one (see shared/domain/remembered-devices.ts).
 */
export interface RememberedDeviceRecord {
  readonly tenantId: string;
  readonly space: string;
  readonly userId: string;
  /** A random id to name the device by in lists and logs; not the token. */
  readonly deviceId: string;
  /** SHA-256 of the token, hex: the item's sort key. */
  readonly tokenHash: string;
  /** SHA-256 of the binding value the relying app gave, hex. */
  readonly bindingHash: string;
  /** Epoch milliseconds. */
  readonly createdAt: number;
  /** Epoch milliseconds: the window in force at issue, from `createdAt`. */
  readonly expiresAt: number;
  /** The approved challenge that asked for it (each challenge remembers one device at most). */
  readonly challengeId: string;
  /** The user's credential epoch at issue (a reset, a deletion revoke it). */
  readonly epoch?: string;
  /** The user's remembered-devices epoch at issue. */
  readonly rememberedEpoch?: string;
  /** The tenant's remembered-devices epoch at issue. */
  readonly tenantEpoch?: string;
}

/** The challenge a token is asked with, marked used in the same write as the token: once, approved, recent. */
export interface RememberUse {
  readonly tenantId: string;
  readonly challengeId: string;
  readonly userId: string;
  /** Epoch ms: the challenge must have been approved after this. */
  readonly approvedAfter: number;
  readonly now: number;
}
