/** What is stored for the push factor (R18): activation codes and activated phones. */
import type { PushPlatform } from './types';

/** An activation code waiting to be used, stored by the SHA-256 of the code only (R28). */
export interface PushActivationRecord {
  readonly codeHash: string;
  readonly tenantId: string;
  readonly userId: string;
  /** The user space the user lives in (R18). */
  readonly space: string;
  /** The provider generation the code was issued under. */
  readonly generation: number;
  readonly createdAt: number;
  /** Epoch milliseconds: the code is void from then on. */
  readonly expiresAt: number;
  /** The user's credential epoch when this was issued (see shared/domain/credentials.ts). */
  readonly epoch?: string;
}

/** An activated phone. Its HMAC key is sealed by the SecretBox: the server must recompute signatures (R28). */
export interface PushDeviceRecord {
  readonly deviceId: string;
  readonly tenantId: string;
  readonly userId: string;
  readonly space: string;
  /** R18: the tenant's provider generation at activation; another generation means "not activated". */
  readonly generation: number;
  readonly platform: PushPlatform;
  /** Where notifications go: the SNS platform endpoint ARN on AWS, a local address locally. */
  readonly endpoint: string;
  readonly encryptedKey: string;
  readonly activatedAt: string;
  /** The user's credential epoch from the activation code (see shared/domain/credentials.ts). */
  readonly epoch?: string;
}
