import * as z from 'zod';
import { LOG_METHODS, LOG_RESULTS } from '../domain/types';
import { pageQuery, userIdSchema } from './common';

export const authLogsQuery = z.strictObject({
  ...pageQuery,
  from: z.iso.datetime().optional(),
  to: z.iso.datetime().optional(),
  userId: userIdSchema.optional(),
  method: z.enum(LOG_METHODS).optional(),
  result: z.enum(LOG_RESULTS).optional(),
});

export const usageQuery = z.strictObject({
  month: z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'must be YYYY-MM'),
});

export const notificationsQuery = z.strictObject(pageQuery);
