// Push (R9, R18).

import type { PushActivationRecord, PushDeviceRecord } from '../domain/push-records';
import type { Challenge, DenialReason, PushPlatform, User } from '../domain/types';
import type { Audit } from './auth-log';
import type { OwnerCheck, SettleOutcome } from './challenges';
import type { UserScope } from './users';

/** Push activation codes and activated devices (R18), in the tenants table. */
export interface PushDeviceStore {
  putActivation(activation: PushActivationRecord): Promise<void>;
  /** The activation with this code hash, if it is unexpired at `now`; nothing is spent (R18). */
  findActivation(codeHash: string, now: number): Promise<PushActivationRecord | undefined>;
  /**
   * Spends the activation code (still unexpired at `now`), stores the device and points the user
   * at it (`User.push`), in one transaction: a code is spent only by an activation that succeeds,
   * and works once even when two phones race with it (`code_spent`); `no_user` when the user is gone.
   */
  activateDevice(
    activation: { codeHash: string; now: number },
    scope: UserScope,
    device: PushDeviceRecord,
    marker: NonNullable<User['push']>,
  ): Promise<'done' | 'code_spent' | 'no_user'>;
  getDevice(deviceId: string): Promise<PushDeviceRecord | undefined>;
}

/** The writes that finish a push challenge (R9); DynamoDB's challenge store implements them. */
export interface PushChallengeStore {
  get(challengeId: string): Promise<Challenge | undefined>;
  /**
   * Approves or denies a pending push challenge of the tenant, with its audit. The device's
   * answer needs the challenge unexpired at `now`; a `timeout` denial needs it expired, so of
   * all who observe a timeout exactly one writes it (and counts it for fatigue, R7).
   */
  settlePush(
    input: { challengeId: string; tenantId: string; result: { kind: 'approve' } | { kind: 'deny'; reason: DenialReason }; now: number; owner?: OwnerCheck },
    audit: Audit,
  ): Promise<SettleOutcome>;
  /**
   * R7: ids of pushes still listed as open whose deadline is at or before `now`, a page at a
   * time. The listing may lag a write: read each challenge before acting on it.
   */
  duePushes(now: number): AsyncIterable<string[]>;
}

/** What a push prompt shows on the phone (R9): never the number to match. */
export interface PushPrompt {
  readonly deviceId: string;
  readonly challengeId: string;
  readonly appName?: string;
  readonly location?: string;
  readonly clientIp?: string;
  readonly expiresAt: string;
}

/**
 * Push notifications to phones: SNS mobile push (platform endpoints) on AWS, the device
 * simulator locally. Throws when the notification cannot be sent.
 */
export interface PushSender {
  /** Registers the phone's push token; returns the endpoint to send to (an SNS endpoint ARN on AWS). */
  register(input: { platform: PushPlatform; token: string; deviceId: string }): Promise<string>;
  send(endpoint: string, prompt: PushPrompt): Promise<void>;
}
