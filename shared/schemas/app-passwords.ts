import * as z from '../zod';
import { userIdSchema } from './common';

// App passwords (R21)

export const createAppPasswordBody = z.strictObject({ name: z.string().check(z.trim(), z.minLength(1), z.maxLength(100)) });

export const appPasswordIdSchema = z.string().check(z.regex(/^ap_[A-Za-z0-9_-]{16}$/, 'is not an app password id'));

export const verifyAppPasswordBody = z.strictObject({ userId: userIdSchema, password: z.string().check(z.minLength(1), z.maxLength(128)) });
