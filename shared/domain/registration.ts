import { MethodUnavailableError, PhishingResistantOnlyError, RegistrationRequiredError } from './errors';
import { isFallback, registeredFactors } from './factors';
import { AVAILABLE_FACTORS, type Factor, type RegistrationReason, type TenantSettings, type User } from './types';

/** The methods a user has registered, whether or not the tenant allows them (each factor says what it needs). */
export function registeredMethods(user: User): Factor[] {
  return registeredFactors(user);
}

/** Only passkeys are offered and accepted for this user: the tenant's passkey policy says so for everyone, or the user's own flag. */
export function phishingResistantOnly(user: User, settings: TenantSettings): boolean {
  return Boolean(settings.passkeys?.phishingResistantOnly || user.phishingResistantOnly);
}

/** The refusal of another method (or app passwords) for a user only passkeys are accepted for. */
export function passkeysOnlyRefusal(method: Factor | 'app_password'): PhishingResistantOnlyError {
  return new PhishingResistantOnlyError('Only passkeys are accepted for this user', { method, available: ['passkey'] });
}

/** What the user has registered that counts under the tenant's policy: only passkeys when only they are accepted. */
function countedMethods(user: User, settings: TenantSettings): Factor[] {
  const registered = registeredMethods(user);
  return phishingResistantOnly(user, settings) ? registered.filter((m) => m === 'passkey') : registered;
}

/** Registered, allowed by the tenant, and deliverable by this release (only passkeys when only they are accepted). */
export function usableMethods(user: User, settings: TenantSettings): Factor[] {
  return countedMethods(user, settings).filter((m) => settings.enabledMethods.includes(m) && AVAILABLE_FACTORS.includes(m));
}

/**
 * R20: why the user must register before they can be challenged, if they must: nothing
 * registered (or everything cleared by an admin reset), or the default method disabled.
 */
export function registrationRequired(user: User, settings: TenantSettings): RegistrationReason | undefined {
  const registered = countedMethods(user, settings);
  // Only passkeys count, and the user has none: they must register one.
  if (registered.length === 0 && phishingResistantOnly(user, settings)) return 'passkey_required';
  if (registered.length === 0) return user.resetAt ? 'reset_by_admin' : 'nothing_registered';
  if (user.defaultMethod && !settings.enabledMethods.includes(user.defaultMethod)) return 'default_method_disabled';
  if (!registered.some((m) => settings.enabledMethods.includes(m))) return 'nothing_registered';
  return undefined;
}

const REASON_TEXT: Record<RegistrationReason, string> = {
  nothing_registered: 'The user has no usable method registered',
  default_method_disabled: "The user's default method was disabled by the admin; the user must choose another",
  reset_by_admin: 'An admin reset the user; the user must register again',
  passkey_required: 'Only passkeys are accepted for this user, and the user has none; the user must register a passkey',
};

/** The method to challenge with: the one asked for, else the user's default, else the first usable. */
export function chooseMethod(user: User, settings: TenantSettings, requested?: Factor): Factor {
  if (requested && requested !== 'passkey' && phishingResistantOnly(user, settings)) {
    throw new PhishingResistantOnlyError('Only passkeys are accepted for this user', { method: requested, available: ['passkey'] });
  }
  if (requested && isFallback(requested)) {
    // A way back: usable whatever the user has registered (the factor checks the user has one).
    if (!settings.enabledMethods.includes(requested)) throw new MethodUnavailableError(`The "${requested}" method is turned off for this tenant`, { available: usableMethods(user, settings) });
    return requested;
  }
  const reason = registrationRequired(user, settings);
  if (reason) throw new RegistrationRequiredError(REASON_TEXT[reason], { reason });
  const usable = usableMethods(user, settings);
  const method = requested ?? (user.defaultMethod && usable.includes(user.defaultMethod) ? user.defaultMethod : usable[0]);
  if (!method || !usable.includes(method)) {
    throw new MethodUnavailableError(`The "${requested ?? 'default'}" method is not available for this user`, { available: usable });
  }
  return method;
}
