import { X509Certificate } from 'node:crypto';
import { newRememberedEpoch } from './credentials';
import { ValidationError } from './errors';
import { newWebhookSecret, webhookSecretContext } from './notifications';
import { parsePhone, phoneLibrary } from './phone';
import { rememberedPolicyOf } from './remembered-devices';
import { tenantCeilings } from './throttling';
import { REMEMBERED_DEVICE_DAYS } from '../rules';
import type { SecretBox, TenantStore } from '../ports';
import type { Factor, PasskeyPolicy, Principal, TenantSettings } from './types';

function isCaCertificate(pem: string): boolean {
  try {
    return new X509Certificate(pem).ca;
  } catch {
    return false;
  }
}

/** The policy as stored: an AAGUID list without repeats, absent when none is given. */
function normalisedPolicy(policy: PasskeyPolicy): PasskeyPolicy {
  const { aaguids, ...rest } = policy;
  return { ...rest, ...(aaguids && aaguids.length ? { aaguids: [...new Set(aaguids)] } : {}) };
}
import { ipLiteralOf, isLoopbackAddress, isPublicAddress } from './webhook-address';

/** Settings as the console sends them: `null` clears an optional setting. */
export interface SettingsInput {
  readonly enabledMethods: readonly Factor[];
  readonly callerId: string | null;
  readonly appPasswordsAllowed: boolean;
  readonly blockOnFraud: boolean;
  readonly allowedCountries: readonly string[] | null;
  readonly logOptionalFields: boolean;
  readonly webhookUrl: string | null;
  /** R6 limits of this tenant; null means the defaults. */
  readonly limits: TenantSettings['limits'] | null;
  /** The passkey policy (checked at the edge); null or absent: passkeys are not configured. */
  readonly passkeys?: PasskeyPolicy | null;
  /** Remembered devices (issue 16); absent from a PUT: off. */
  readonly rememberedDevices?: { readonly enabled: boolean; readonly days: number };
}

export type SettingsView = SettingsInput & { readonly webhookConfigured: boolean };

export function settingsView(settings: TenantSettings, webhookConfigured: boolean): SettingsView {
  return {
    enabledMethods: settings.enabledMethods,
    callerId: settings.callerId ?? null,
    appPasswordsAllowed: settings.appPasswordsAllowed,
    blockOnFraud: settings.blockOnFraud,
    allowedCountries: settings.allowedCountries ?? null,
    logOptionalFields: settings.logOptionalFields,
    webhookUrl: settings.webhookUrl ?? null,
    limits: settings.limits ?? null,
    passkeys: settings.passkeys ?? null,
    rememberedDevices: { enabled: rememberedPolicyOf(settings).enabled, days: rememberedPolicyOf(settings).days },
    webhookConfigured,
  };
}

/** The methods policy and tenant settings. Disabling a method flags users whose default it was (R20, derived on read). */
export class SettingsService {
  constructor(private readonly deps: { tenants: TenantStore; box: SecretBox; allowLoopbackWebhooks: boolean }) {}

  get(principal: Principal): SettingsView {
    return settingsView(principal.tenant.settings, Boolean(principal.tenant.encryptedWebhookSecret));
  }

  async patch(principal: Principal, change: Partial<SettingsInput>): Promise<SettingsView & { webhookSecret?: string }> {
    return this.put(principal, { ...this.get(principal), ...change });
  }

  /**
   * Replaces the settings. Setting a new webhook URL issues a new signing secret, returned
   * once as `webhookSecret`; clearing the URL forgets the secret.
   */
  async put(principal: Principal, input: SettingsInput): Promise<SettingsView & { webhookSecret?: string }> {
    const errors: { pointer: string; detail: string }[] = [];
    if (input.callerId !== null) {
      try {
        await parsePhone(input.callerId, '/callerId');
        // R15: only a number the operator assigned; one stored before assignments existed stays until changed.
        const assigned = principal.tenant.callerIds ?? [];
        if (input.callerId !== principal.tenant.settings.callerId && !assigned.includes(input.callerId)) {
          errors.push({ pointer: '/callerId', detail: 'is not a caller-ID number the operator assigned to this tenant' });
        }
      } catch (error) {
        if (error instanceof ValidationError) errors.push(...error.errors);
        else throw error;
      }
    }
    const countries = input.allowedCountries ?? [];
    if (countries.length) {
      // The phone-number library is loaded (once) only when there is a country to check.
      const { isSupportedCountry } = await phoneLibrary();
      countries.forEach((c, i) => {
        if (!isSupportedCountry(c)) errors.push({ pointer: `/allowedCountries/${i}`, detail: 'is not an ISO 3166-1 alpha-2 country with phone numbers' });
      });
    }
    // R6: only the operator raises a tenant's per-second cap; the tenant may go lower. A value
    // kept from before (a PATCH of other fields) is let be: enforcement never goes above the cap.
    const cap = tenantCeilings(principal.tenant).challengesPerSecond;
    const perSecond = input.limits?.challengesPerSecond;
    if (perSecond !== undefined && perSecond > cap && perSecond !== principal.tenant.settings.limits?.challengesPerSecond) {
      errors.push({ pointer: '/limits/challengesPerSecond', detail: `may not exceed ${cap}, this tenant's cap; only the operator raises it` });
    }
    const webhookProblem = input.webhookUrl === null ? undefined : this.webhookProblem(input.webhookUrl);
    if (webhookProblem) errors.push({ pointer: '/webhookUrl', detail: webhookProblem });
    (input.passkeys?.attestationRoots ?? []).forEach((pem, i) => {
      if (!isCaCertificate(pem)) errors.push({ pointer: `/passkeys/attestationRoots/${i}`, detail: 'is not an X.509 CA certificate' });
    });
    if (errors.length) throw new ValidationError('The settings are not valid', errors);

    // Issue 16: turning remembered devices off, or phishing-resistant only on, revokes every
    // remembered device of the tenant at once (a new tenant epoch); turning them on again does not revive them.
    const remembered = rememberedPolicyOf(principal.tenant.settings);
    const wanted = input.rememberedDevices ?? { enabled: false, days: remembered.days };
    const revokeAll = (remembered.enabled && !wanted.enabled) || (!principal.tenant.settings.passkeys?.phishingResistantOnly && Boolean(input.passkeys?.phishingResistantOnly));
    const rememberedEpoch = revokeAll ? newRememberedEpoch() : remembered.epoch;
    // Stored once set away from the default (or revoked); a tenant that never touched it keeps none.
    const keepRemembered = wanted.enabled || wanted.days !== REMEMBERED_DEVICE_DAYS.default || rememberedEpoch !== undefined || principal.tenant.settings.rememberedDevices !== undefined;

    const settings: TenantSettings = {
      enabledMethods: [...new Set(input.enabledMethods)],
      ...(input.callerId !== null ? { callerId: input.callerId } : {}),
      appPasswordsAllowed: input.appPasswordsAllowed,
      blockOnFraud: input.blockOnFraud,
      ...(input.allowedCountries !== null ? { allowedCountries: [...new Set(input.allowedCountries)] } : {}),
      logOptionalFields: input.logOptionalFields,
      ...(input.webhookUrl !== null ? { webhookUrl: input.webhookUrl } : {}),
      ...(input.limits ? { limits: input.limits } : {}),
      ...(input.passkeys ? { passkeys: normalisedPolicy(input.passkeys) } : {}),
      ...(keepRemembered ? { rememberedDevices: { enabled: wanted.enabled, days: wanted.days, ...(rememberedEpoch ? { epoch: rememberedEpoch } : {}) } } : {}),
    };
    const current = principal.tenant;
    const urlChanged = (current.settings.webhookUrl ?? null) !== input.webhookUrl;
    let webhookSecret: string | undefined;
    let sealed: string | null | undefined;
    if (input.webhookUrl === null) sealed = null;
    else if (urlChanged || !current.encryptedWebhookSecret) {
      webhookSecret = newWebhookSecret();
      sealed = await this.deps.box.encrypt(Buffer.from(webhookSecret), webhookSecretContext(current.tenantId));
    }
    await this.deps.tenants.setSettings(current.tenantId, settings, sealed);
    const configured = sealed === undefined ? Boolean(current.encryptedWebhookSecret) : sealed !== null;
    return { ...settingsView(settings, configured), ...(webhookSecret ? { webhookSecret } : {}) };
  }

  /**
   * SSRF, when saving: an https URL whose host is not a non-public IP literal (or localhost). A
   * name's addresses can change after saving, so the sender checks them again on every delivery.
   */
  private webhookProblem(url: string): string | undefined {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return 'must be an https URL';
    }
    const literal = ipLiteralOf(parsed.hostname);
    const localhost = parsed.hostname === 'localhost' || parsed.hostname.endsWith('.localhost');
    const loopback = localhost || (literal !== undefined && isLoopbackAddress(literal));
    if (this.deps.allowLoopbackWebhooks && loopback && (parsed.protocol === 'http:' || parsed.protocol === 'https:')) return undefined;
    if (parsed.protocol !== 'https:') return 'must be an https URL';
    if (localhost || (literal !== undefined && !isPublicAddress(literal))) {
      return 'must not point to a private, loopback, link-local or reserved address';
    }
    return undefined;
  }
}
