import * as z from '../zod';
import { FACTORS } from '../domain/types';
import { pageQuery, userIdSchema } from './common';
import { e164Schema } from './phone';

const e164 = e164Schema;

const nullableText = (max: number) => z.optional(z.nullable(z.string().check(z.trim(), z.minLength(1), z.maxLength(max))));

const userFields = {
  firstName: nullableText(100),
  lastName: nullableText(100),
  email: z.optional(z.nullable(z.email().check(z.maxLength(254)))),
  mfaEnabled: z.boolean(),
  licensed: z.optional(z.boolean()),
  defaultMethod: z.optional(z.nullable(z.enum(FACTORS))),
  /** Only passkeys are offered and accepted for this user; absent keeps what is stored. */
  phishingResistantOnly: z.optional(z.boolean()),
};

const phonesBody = z.strictObject({
  primary: z.optional(z.nullable(e164)),
  backup: z.optional(z.array(e164).check(z.maxLength(5))),
  office: z.optional(z.nullable(e164)),
});

/** PUT /v1/admin/users/{userId}: the whole user. */
export const userBody = z.strictObject({ ...userFields, phones: phonesBody });

/** PATCH /v1/admin/users/{userId}: only what changes; null removes an optional field. */
export const userPatchBody = z.strictObject({
  ...userFields,
  mfaEnabled: z.optional(z.boolean()),
  phones: z.optional(phonesBody),
});

const booleanQuery = z.pipe(z.enum(['true', 'false']), z.transform((v) => v === 'true'));

export const listUsersQuery = z.strictObject({
  ...pageQuery,
  prefix: z.optional(userIdSchema),
  mfaEnabled: z.optional(booleanQuery),
  blocked: z.optional(booleanQuery),
});

export const blockBody = z.optional(z.strictObject({ reason: z._default(z.string().check(z.trim(), z.minLength(1), z.maxLength(200)), 'blocked by an admin') }));
