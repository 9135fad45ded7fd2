import * as z from 'zod';
import { BILLING_MODELS } from '../domain/types';
import { MAX_TENANT_CAP_PER_SECOND } from '../rules';
import { e164Schema } from './phone';

export const providerBody = z.strictObject({
  billingModel: z.enum(BILLING_MODELS),
  directoryId: z.string().min(1).max(128).optional(),
});

export const createTenantBody = z.strictObject({
  name: z.string().trim().min(1).max(100),
  provider: providerBody.optional(),
  /** R15: the caller-ID numbers the operator assigns; the tenant's callerId must be one of them. */
  callerIds: z.array(z.string().regex(/^\+[1-9]\d{6,14}$/, 'must be an E.164 number')).max(20).optional(),
});

/** R6: the operator's per-second caps of one tenant; null (or absent) means the default. */
export const tenantCapsBody = z.strictObject({
  challengesPerSecond: z.number().int().min(1).max(MAX_TENANT_CAP_PER_SECOND).nullable().optional(),
  requestsPerSecond: z.number().int().min(1).max(MAX_TENANT_CAP_PER_SECOND).nullable().optional(),
});

/**
 * R15: the operator's new list of a tenant's caller-ID numbers; the tenant's callerId must be one of
 * them. A number twice is refused rather than merged: the list is the operator's whole intent.
 */
export const callerIdsBody = z.strictObject({
  callerIds: z
    .array(e164Schema)
    .max(20)
    .superRefine((ids, ctx) => {
      ids.forEach((id, i) => {
        if (ids.indexOf(id) !== i) ctx.addIssue({ code: 'custom', message: 'is already in the list', path: [i] });
      });
    }),
});

export const tenantIdSchema = z.string().regex(/^tn[0-9a-f]{24}$/, 'is not a tenant id');
