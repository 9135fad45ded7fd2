import * as z from '../zod';
import { FACTORS } from '../domain/types';
import { MAX_TENANT_CAP_PER_SECOND, REMEMBERED_DEVICE_DAYS, USER_CHALLENGES_PER_WINDOW } from '../rules';
import { passkeyPolicySchema } from './passkey-policy';
import { countryCodeSchema, e164Schema } from './phone';

const e164 = e164Schema;

const settingsFields = {
  enabledMethods: z.array(z.enum(FACTORS)).check(z.minLength(1), z.maxLength(FACTORS.length)),
  callerId: z.nullable(e164),
  appPasswordsAllowed: z.boolean(),
  blockOnFraud: z.boolean(),
  allowedCountries: z.nullable(z.array(countryCodeSchema).check(z.maxLength(250))),
  logOptionalFields: z.boolean(),
  webhookUrl: z.nullable(z.url().check(z.maxLength(2048))),
  limits: z.nullable(
    z.strictObject({
      // R6: a tenant may lower the per-user limit, never raise it; its per-second cap is checked
      // against the one the operator set (SettingsService).
      challengesPerUserPerWindow: z.optional(z.number().check(z.int(), z.gte(1), z.lte(USER_CHALLENGES_PER_WINDOW))),
      challengesPerSecond: z.optional(z.number().check(z.int(), z.gte(1), z.lte(MAX_TENANT_CAP_PER_SECOND))),
    }),
  ),
  /** Passkeys: the relying party and what a passkey must be; null (or absent from a PUT) turns passkeys off. */
  passkeys: z.optional(z.nullable(passkeyPolicySchema)),
  /** Remembered devices (issue 16): off by default; a token is good `days` (1..365) after it was issued. Absent from a PUT: off. */
  rememberedDevices: z.optional(
    z.strictObject({ enabled: z.boolean(), days: z.number().check(z.int(), z.gte(REMEMBERED_DEVICE_DAYS.min), z.lte(REMEMBERED_DEVICE_DAYS.max)) }),
  ),
};

export const settingsBody = z.strictObject(settingsFields);
export const settingsPatchBody = z.partial(z.strictObject(settingsFields));
