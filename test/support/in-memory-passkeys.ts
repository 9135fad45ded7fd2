/**
 * Passkeys and their registration ceremonies in maps, for unit tests of the passkey factor and
 * the registration service. Like the DynamoDB adapter: a ceremony is used once and gone past its
 * expiry, a credential id is claimed once per tenant, the user's count changes with the passkeys
 * (conditional on the user's version, so a concurrent change refuses it) and never passes `max`.
 */
import type { AddPasskeyOutcome, PasskeyRecord, PasskeyRegistrationRecord, PasskeyStore, PasskeyUse, StepUpUse, UserScope } from '../../shared/ports';
import type { InMemoryChallengeStore, InMemoryUserStore } from './fakes';

/** A JSON round trip, as the fakes copy (jest's structuredClone comes from another realm). */
const copy = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;
const passkeyKey = (scope: UserScope, userId: string, passkeyId: string): string => [scope.tenantId, scope.space, userId, passkeyId].join('\u0000');

export class InMemoryPasskeyStore implements PasskeyStore {
  private readonly passkeys = new Map<string, PasskeyRecord>();
  private readonly claims = new Set<string>();
  private readonly registrations = new Map<string, PasskeyRegistrationRecord>();
  private readonly usedStepUps = new Set<string>();

  constructor(
    private readonly users: InMemoryUserStore,
    private readonly challenges: InMemoryChallengeStore,
  ) {
    challenges.passkeys = this;
  }

  async putRegistration(registration: PasskeyRegistrationRecord, stepUp?: StepUpUse): Promise<boolean> {
    if (stepUp) {
      const c = await this.challenges.get(stepUp.challengeId);
      const fresh = c && c.tenantId === stepUp.tenantId && c.userId === stepUp.userId && c.status === 'approved' && (c.approvedAt ?? 0) > stepUp.approvedAfter;
      if (!fresh || this.usedStepUps.has(stepUp.challengeId)) return false;
      this.usedStepUps.add(stepUp.challengeId);
    }
    this.registrations.set(`${registration.tenantId}\u0000${registration.registrationId}`, copy(registration));
    return true;
  }

  async getRegistration(tenantId: string, registrationId: string): Promise<PasskeyRegistrationRecord | undefined> {
    const found = this.registrations.get(`${tenantId}\u0000${registrationId}`);
    return found && copy(found);
  }

  async deleteRegistration(tenantId: string, registrationId: string): Promise<void> {
    this.registrations.delete(`${tenantId}\u0000${registrationId}`);
  }

  async addPasskey(registration: PasskeyRegistrationRecord, passkey: PasskeyRecord, max: number, now: number): Promise<AddPasskeyOutcome> {
    const scope = { tenantId: passkey.tenantId, space: passkey.space };
    const regKey = `${registration.tenantId}\u0000${registration.registrationId}`;
    const stored = this.registrations.get(regKey);
    if (!stored || stored.expiresAt <= now) return { kind: 'registration_gone' };
    const claim = `${passkey.tenantId}\u0000${passkey.passkeyId}`;
    if (this.claims.has(claim)) return { kind: 'credential_taken' };
    const user = await this.users.getUser(scope, passkey.userId);
    if (!user || (user.credentialEpoch ?? '') !== (registration.epoch ?? '') || (user.passkeyCount ?? 0) >= max) return { kind: 'refused_by_user' };
    if (!this.registrations.has(regKey) || this.claims.has(claim)) return { kind: 'registration_gone' };
    const write = await this.users.putUser(scope, { ...user, passkeyCount: (user.passkeyCount ?? 0) + 1 }, user.version ?? 0);
    if (write.kind !== 'written') return { kind: 'refused_by_user' };
    this.registrations.delete(regKey);
    this.claims.add(claim);
    this.passkeys.set(passkeyKey(scope, passkey.userId, passkey.passkeyId), copy(passkey));
    return { kind: 'added' };
  }

  async listPasskeys(scope: UserScope, userId: string): Promise<PasskeyRecord[]> {
    const prefix = passkeyKey(scope, userId, '');
    return [...this.passkeys.entries()].filter(([key]) => key.startsWith(prefix)).map(([, p]) => copy(p));
  }

  async getPasskey(scope: UserScope, userId: string, passkeyId: string): Promise<PasskeyRecord | undefined> {
    const found = this.passkeys.get(passkeyKey(scope, userId, passkeyId));
    return found && copy(found);
  }

  async renamePasskey(scope: UserScope, userId: string, passkeyId: string, name: string): Promise<PasskeyRecord | undefined> {
    const key = passkeyKey(scope, userId, passkeyId);
    const found = this.passkeys.get(key);
    if (!found) return undefined;
    this.passkeys.set(key, { ...found, name });
    return copy({ ...found, name });
  }

  async deletePasskey(scope: UserScope, userId: string, passkeyId: string, epoch: string | undefined): Promise<boolean> {
    const key = passkeyKey(scope, userId, passkeyId);
    if (!this.passkeys.delete(key)) return false;
    this.claims.delete(`${scope.tenantId}\u0000${passkeyId}`);
    const user = await this.users.getUser(scope, userId);
    if (user && user.credentialEpoch === epoch && (user.passkeyCount ?? 0) > 0) await this.users.putUser(scope, { ...user, passkeyCount: (user.passkeyCount ?? 1) - 1 }, user.version ?? 0);
    return true;
  }

  /** The compare-and-set the challenge store makes with an approval: the counter still as read. */
  counterIs(use: PasskeyUse): boolean {
    return this.passkeys.get(passkeyKey(use, use.userId, use.passkeyId))?.counter === use.counterBefore;
  }

  useCounter(use: PasskeyUse): void {
    const key = passkeyKey(use, use.userId, use.passkeyId);
    const found = this.passkeys.get(key);
    if (found) this.passkeys.set(key, { ...found, counter: use.counterAfter, backedUp: use.backedUp, lastUsedAt: use.usedAt });
  }
}
