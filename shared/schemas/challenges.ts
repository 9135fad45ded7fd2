import * as z from 'zod';
import { FACTORS } from '../domain/types';
import { userIdSchema } from './common';

export const idempotencyKeySchema = z
  .string()
  .min(1)
  .max(255)
  .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces');

export const createChallengeBody = z.strictObject({
  userId: userIdSchema,
  method: z.enum(FACTORS).optional(),
  context: z
    .strictObject({
      clientIp: z.union([z.ipv4(), z.ipv6()]).optional(),
      appName: z.string().min(1).max(64).optional(),
      location: z.string().min(1).max(128).optional(),
      // R23: a relay (the RADIUS front end) names the gateway that asked, for the auth log.
      gateway: z.strictObject({ name: z.string().min(1).max(64), ip: z.union([z.ipv4(), z.ipv6()]).optional() }).optional(),
    })
    .optional(),
});
