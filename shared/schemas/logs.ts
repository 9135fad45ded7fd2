import * as z from '../zod';
import { LOG_METHODS, LOG_RESULTS } from '../domain/types';
import { pageQuery, userIdSchema } from './common';

export const authLogsQuery = z.strictObject({
  ...pageQuery,
  from: z.optional(z.iso.datetime()),
  to: z.optional(z.iso.datetime()),
  userId: z.optional(userIdSchema),
  method: z.optional(z.enum(LOG_METHODS)),
  result: z.optional(z.enum(LOG_RESULTS)),
});

export const usageQuery = z.strictObject({
  month: z.string().check(z.regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'must be YYYY-MM')),
});

export const notificationsQuery = z.strictObject(pageQuery);
