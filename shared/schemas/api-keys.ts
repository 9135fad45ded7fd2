import * as z from 'zod';

export const apiKeyIdSchema = z.string().regex(/^[0-9a-f]{16}$/, 'is not an API key id');

export const createApiKeyBody = z.strictObject({
  name: z.string().trim().min(1).max(100),
  scope: z.enum(['auth', 'admin']),
});

export const rotateApiKeyBody = z
  .strictObject({ graceSeconds: z.number().int().min(0).max(7 * 24 * 3600).optional() })
  .optional();
