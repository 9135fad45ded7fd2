import * as z from 'zod';
import { FACTORS } from '../domain/types';
import { MAX_TENANT_CAP_PER_SECOND, REMEMBERED_DEVICE_DAYS, USER_CHALLENGES_PER_WINDOW } from '../rules';
import { passkeyPolicySchema } from './passkey-policy';
import { countryCodeSchema, e164Schema } from './phone';

const e164 = e164Schema;

const settingsFields = {
  enabledMethods: z.array(z.enum(FACTORS)).min(1).max(FACTORS.length),
  callerId: e164.nullable(),
  appPasswordsAllowed: z.boolean(),
  blockOnFraud: z.boolean(),
  allowedCountries: z.array(countryCodeSchema).max(250).nullable(),
  logOptionalFields: z.boolean(),
  webhookUrl: z.url().max(2048).nullable(),
  limits: z
    .strictObject({
      // R6: a tenant may lower the per-user limit, never raise it; its per-second cap is checked
      // against the one the operator set (SettingsService).
      challengesPerUserPerWindow: z.number().int().min(1).max(USER_CHALLENGES_PER_WINDOW).optional(),
      challengesPerSecond: z.number().int().min(1).max(MAX_TENANT_CAP_PER_SECOND).optional(),
    })
    .nullable(),
  /** Passkeys: the relying party and what a passkey must be; null (or absent from a PUT) turns passkeys off. */
  passkeys: passkeyPolicySchema.nullable().optional(),
  /** Remembered devices (issue 16): off by default; a token is good `days` (1..365) after it was issued. Absent from a PUT: off. */
  rememberedDevices: z
    .strictObject({ enabled: z.boolean(), days: z.number().int().min(REMEMBERED_DEVICE_DAYS.min).max(REMEMBERED_DEVICE_DAYS.max) })
    .optional(),
};

export const settingsBody = z.strictObject(settingsFields);
export const settingsPatchBody = z.strictObject(settingsFields).partial();
