import * as z from '../zod';

export const apiKeyIdSchema = z.string().check(z.regex(/^[0-9a-f]{16}$/, 'is not an API key id'));

export const createApiKeyBody = z.strictObject({
  name: z.string().check(z.trim(), z.minLength(1), z.maxLength(100)),
  scope: z.enum(['auth', 'admin']),
});

export const rotateApiKeyBody = z.optional(z.strictObject({ graceSeconds: z.optional(z.number().check(z.int(), z.gte(0), z.lte(7 * 24 * 3600))) }));
