import * as z from '../zod';
import { challengeIdSchema, userIdSchema } from './common';

// Remembered devices (issue 16)

/** The relying app's own value a token is bound to (a hash of its long-lived device cookie, say). */
export const rememberedBindingSchema = z
  .string()
  .check(z.minLength(16), z.maxLength(256), z.regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces'));

export const rememberDeviceBody = z.strictObject({ challengeId: challengeIdSchema, binding: rememberedBindingSchema });

export const rememberedTokenSchema = z.string().check(z.regex(/^rdt_[A-Za-z0-9_-]{43}$/, 'is not a remembered-device token'));

export const checkRememberedDeviceBody = z.strictObject({ userId: userIdSchema, token: rememberedTokenSchema, binding: rememberedBindingSchema });
