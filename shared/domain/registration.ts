import { MethodUnavailableError, RegistrationRequiredError } from './errors';
import { registeredFactors } from './factors';
import { AVAILABLE_FACTORS, type Factor, type RegistrationReason, type TenantSettings, type User } from './types';

/** The methods a user has registered, whether or not the tenant allows them (each factor says what it needs). */
export function registeredMethods(user: User): Factor[] {
  return registeredFactors(user);
}

/** Registered, allowed by the tenant, and deliverable by this release. */
export function usableMethods(user: User, settings: TenantSettings): Factor[] {
  return registeredMethods(user).filter((m) => settings.enabledMethods.includes(m) && AVAILABLE_FACTORS.includes(m));
}

/**
 * R20: why the user must register before they can be challenged, if they must: nothing
 * registered (or everything cleared by an admin reset), or the default method disabled.
 */
export function registrationRequired(user: User, settings: TenantSettings): RegistrationReason | undefined {
  const registered = registeredMethods(user);
  if (registered.length === 0) return user.resetAt ? 'reset_by_admin' : 'nothing_registered';
  if (user.defaultMethod && !settings.enabledMethods.includes(user.defaultMethod)) return 'default_method_disabled';
  if (!registered.some((m) => settings.enabledMethods.includes(m))) return 'nothing_registered';
  return undefined;
}

const REASON_TEXT: Record<RegistrationReason, string> = {
  nothing_registered: 'The user has no usable method registered',
  default_method_disabled: "The user's default method was disabled by the admin; the user must choose another",
  reset_by_admin: 'An admin reset the user; the user must register again',
};

/** The method to challenge with: the one asked for, else the user's default, else the first usable. */
export function chooseMethod(user: User, settings: TenantSettings, requested?: Factor): Factor {
  const reason = registrationRequired(user, settings);
  if (reason) throw new RegistrationRequiredError(REASON_TEXT[reason], { reason });
  const usable = usableMethods(user, settings);
  const method = requested ?? (user.defaultMethod && usable.includes(user.defaultMethod) ? user.defaultMethod : usable[0]);
  if (!method || !usable.includes(method)) {
    throw new MethodUnavailableError(`The "${requested ?? 'default'}" method is not available for this user`, { available: usable });
  }
  return method;
}
