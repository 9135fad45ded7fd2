import * as z from 'zod';
import { FACTORS } from '../domain/types';
import { pageQuery, userIdSchema } from './common';
import { e164Schema } from './phone';

const e164 = e164Schema;

const nullableText = (max: number) => z.string().trim().min(1).max(max).nullable().optional();

const userFields = {
  firstName: nullableText(100),
  lastName: nullableText(100),
  email: z.email().max(254).nullable().optional(),
  mfaEnabled: z.boolean(),
  licensed: z.boolean().optional(),
  defaultMethod: z.enum(FACTORS).nullable().optional(),
  /** Only passkeys are offered and accepted for this user; absent keeps what is stored. */
  phishingResistantOnly: z.boolean().optional(),
};

const phonesBody = z.strictObject({
  primary: e164.nullable().optional(),
  backup: z.array(e164).max(5).optional(),
  office: e164.nullable().optional(),
});

/** PUT /v1/admin/users/{userId}: the whole user. */
export const userBody = z.strictObject({ ...userFields, phones: phonesBody });

/** PATCH /v1/admin/users/{userId}: only what changes; null removes an optional field. */
export const userPatchBody = z.strictObject({
  ...userFields,
  mfaEnabled: z.boolean().optional(),
  phones: phonesBody.optional(),
});

const booleanQuery = z.enum(['true', 'false']).transform((v) => v === 'true');

export const listUsersQuery = z.strictObject({
  ...pageQuery,
  prefix: userIdSchema.optional(),
  mfaEnabled: booleanQuery.optional(),
  blocked: booleanQuery.optional(),
});

export const blockBody = z.strictObject({ reason: z.string().trim().min(1).max(200).default('blocked by an admin') }).optional();
