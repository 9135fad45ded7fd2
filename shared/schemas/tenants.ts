import * as z from '../zod';
import { BILLING_MODELS } from '../domain/types';
import { MAX_TENANT_CAP_PER_SECOND } from '../rules';
import { e164Schema } from './phone';

export const providerBody = z.strictObject({
  billingModel: z.enum(BILLING_MODELS),
  directoryId: z.optional(z.string().check(z.minLength(1), z.maxLength(128))),
});

export const createTenantBody = z.strictObject({
  name: z.string().check(z.trim(), z.minLength(1), z.maxLength(100)),
  provider: z.optional(providerBody),
  /** R15: the caller-ID numbers the operator assigns; the tenant's callerId must be one of them. */
  callerIds: z.optional(z.array(z.string().check(z.regex(/^\+[1-9]\d{6,14}$/, 'must be an E.164 number'))).check(z.maxLength(20))),
});

/** R6: the operator's per-second caps of one tenant; null (or absent) means the default. */
export const tenantCapsBody = z.strictObject({
  challengesPerSecond: z.optional(z.nullable(z.number().check(z.int(), z.gte(1), z.lte(MAX_TENANT_CAP_PER_SECOND)))),
  requestsPerSecond: z.optional(z.nullable(z.number().check(z.int(), z.gte(1), z.lte(MAX_TENANT_CAP_PER_SECOND)))),
});

/**
 * R15: the operator's new list of a tenant's caller-ID numbers; the tenant's callerId must be one of
 * them. A number twice is refused rather than merged: the list is the operator's whole intent.
 */
export const callerIdsBody = z.strictObject({
  callerIds: z.array(e164Schema).check(
    z.maxLength(20),
    z.superRefine((ids, ctx) => {
      ids.forEach((id, i) => {
        if (ids.indexOf(id) !== i) ctx.addIssue({ code: 'custom', message: 'is already in the list', path: [i] });
      });
    }),
  ),
});

export const tenantIdSchema = z.string().check(z.regex(/^tn[0-9a-f]{24}$/, 'is not a tenant id'));
