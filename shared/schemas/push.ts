import * as z from '../zod';
import { PUSH_PLATFORMS } from '../domain/types';
import { challengeIdSchema } from './common';

/** R18: what a phone sends to activate. The code is the credential: `xxxx-xxxx-xxxx`. */
export const activatePushBody = z.strictObject({
  activationCode: z.string().check(z.trim(), z.minLength(12), z.maxLength(32)),
  platform: z.enum(PUSH_PLATFORMS),
  /** The APNs device token or FCM registration token. */
  pushToken: z.string().check(z.minLength(1), z.maxLength(4096)),
});

export const deviceIdSchema = z.string().check(z.regex(/^dv_[A-Za-z0-9_-]{22}$/, 'is not a device id'));

/** R9: the phone's signed answer to a prompt. */
export const pushRespondBody = z.strictObject({
  deviceId: deviceIdSchema,
  challengeId: challengeIdSchema,
  decision: z.enum(['approve', 'deny']),
  /** The number the user typed; required to approve. */
  number: z.optional(z.number().check(z.int(), z.gte(0), z.lte(999))),
  /** When the phone answered, epoch milliseconds. */
  timestamp: z.number().check(z.int(), z.positive()),
  /** HMAC-SHA256 with the device key, base64url (shared/domain/push.ts). */
  signature: z.string().check(z.regex(/^[A-Za-z0-9_-]{43}$/, 'is not a base64url HMAC-SHA256')),
});

/** The device simulator's answer (local runtime): the simulator signs it with the device's key. */
export const simulatorRespondBody = z.strictObject({
  challengeId: challengeIdSchema,
  decision: z.enum(['approve', 'deny']),
  number: z.optional(z.number().check(z.int(), z.gte(0), z.lte(999))),
});
