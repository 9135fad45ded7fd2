import * as z from '../zod';
import { FACTORS } from '../domain/types';
import { userIdSchema } from './common';

export const idempotencyKeySchema = z
  .string()
  .check(z.minLength(1), z.maxLength(255), z.regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces'));

export const createChallengeBody = z.strictObject({
  userId: userIdSchema,
  method: z.optional(z.enum(FACTORS)),
  context: z.optional(
    z.strictObject({
      clientIp: z.optional(z.union([z.ipv4(), z.ipv6()])),
      appName: z.optional(z.string().check(z.minLength(1), z.maxLength(64))),
      location: z.optional(z.string().check(z.minLength(1), z.maxLength(128))),
      // R23: a relay (the RADIUS front end) names the gateway that asked, for the auth log.
      gateway: z.optional(z.strictObject({ name: z.string().check(z.minLength(1), z.maxLength(64)), ip: z.optional(z.union([z.ipv4(), z.ipv6()])) })),
    }),
  ),
});
