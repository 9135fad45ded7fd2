/**
 * Passkey registration and management (issue 15): a relying app (after a step-up) or an admin
 * gets creation options for a user, the browser makes the credential, `@simplewebauthn/server`
 * checks it (origin, RP id, challenge, user presence and verification, attestation) and Tessera
 * applies the tenant's policy (AAGUID allow-list, synced passkeys) before storing it. Admins list,
 * rename and delete a user's passkeys. Sign-in is the passkey factor (factors/passkey.ts).
 */
import { createHmac } from 'node:crypto';
import type { PublicKeyCredentialCreationOptionsJSON, RegistrationResponseJSON } from '@simplewebauthn/server';
import { PASSKEY_REGISTRATION_TTL_SECONDS, PASSKEYS_PER_USER } from '../rules';
import type { ChallengeStore, Clock, Log, PasskeyRecord, PasskeyStore, UserScope, UserStore, WebAuthnRegistrations } from '../ports';
import { randomId } from './crypto';
import { sameEpoch } from './credentials';
import { ConflictError, DomainError, NotFoundError, PasskeyLimitError, PasskeyRejectedError, StepUpRequiredError, UserBlockedError } from './errors';
import { crossOrigin, passkeyPolicyOf } from './factors/passkey';
import { registeredMethods } from './registration';
import type { PasskeyRegistrationRecord } from './passkey-records';
import type { Principal, User } from './types';
import { stepUpOf } from './step-up';
import { userScope } from './users';

/** COSE algorithms a new passkey may use: ES256 and RS256. */
const ALGORITHMS = [-7, -257];

/** What the API shows of a passkey: never its public key or counter. */
export interface PasskeyView {
  readonly passkeyId: string;
  readonly name: string;
  readonly aaguid: string;
  readonly transports: readonly string[];
  readonly deviceType: 'singleDevice' | 'multiDevice';
  readonly backedUp: boolean;
  readonly createdAt: string;
  readonly lastUsedAt?: string;
}

export function passkeyView(p: PasskeyRecord): PasskeyView {
  return {
    passkeyId: p.passkeyId,
    name: p.name,
    aaguid: p.aaguid,
    transports: p.transports,
    deviceType: p.backupEligible ? 'multiDevice' : 'singleDevice',
    backedUp: p.backedUp,
    createdAt: p.createdAt,
    ...(p.lastUsedAt ? { lastUsedAt: p.lastUsedAt } : {}),
  };
}

/**
 * The WebAuthn user handle: opaque, not the user id (WebAuthn: no personal data), the same for
 * all of the user's passkeys until a reset or a recreation draws a new credential epoch.
 */
function userHandle(scope: UserScope, user: User): Uint8Array<ArrayBuffer> {
  return new Uint8Array(createHmac('sha256', `passkey-user-handle:${user.credentialEpoch ?? ''}`).update(`${scope.tenantId}:${scope.space}:${user.userId}`).digest().subarray(0, 32));
}

const NO_SUCH_REGISTRATION = 'No such passkey registration, or it expired or was used';

export interface PasskeyServiceDeps {
  readonly store: PasskeyStore;
  readonly users: UserStore;
  /** Reads a relying app's step-up challenge. */
  readonly challenges: Pick<ChallengeStore, 'get'>;
  readonly clock: Clock;
  readonly log: Log;
  /** WebAuthn's checks of the ceremony (shared/ports/webauthn.ts). */
  readonly webauthn: WebAuthnRegistrations;
}

export class PasskeyService {
  constructor(private readonly deps: PasskeyServiceDeps) {}

  /**
   * Creation options for a new passkey, with a ceremony valid five minutes and used once. A
   * relying app (`via: 'auth'`) adding one to a user who has registered any method (whether or
   * not the tenant's policy lets it sign in) names a challenge of that user approved in the last
   * ten minutes, which authorises this one ceremony: otherwise whoever holds the password could
   * add their own passkey. A phishing-resistant-only user without a passkey can't be challenged
   * for it, so only an admin enrols their first passkey.
   */
  async startRegistration(
    principal: Principal,
    userId: string,
    via: 'auth' | 'admin',
    stepUpChallengeId?: string,
  ): Promise<{ registrationId: string; expiresAt: string; options: PublicKeyCredentialCreationOptionsJSON }> {
    const scope = userScope(principal);
    const now = this.deps.clock.now();
    const user = await this.deps.users.getUser(scope, userId);
    // No such user first: another tenant's user id gets the answer of an id nobody has (R27).
    if (!user) throw new NotFoundError('No such user');
    const policy = passkeyPolicyOf(principal);
    if (via === 'auth' && user.blocked) throw new UserBlockedError('The user is blocked from MFA; an admin must unblock them', { reason: user.blocked.reason });
    if ((user.passkeyCount ?? 0) >= PASSKEYS_PER_USER) throw new PasskeyLimitError(`The user already has ${PASSKEYS_PER_USER} passkeys; delete one first`, { max: PASSKEYS_PER_USER });
    const stepUp = via === 'auth' && registeredMethods(user).length > 0 ? await this.stepUp(principal, user, now, stepUpChallengeId) : undefined;
    const existing = (await this.deps.store.listPasskeys(scope, userId)).filter((p) => (p.epoch ?? '') === (user.credentialEpoch ?? ''));
    const displayName = [user.firstName, user.lastName].filter(Boolean).join(' ') || userId;
    const options = await this.deps.webauthn.registrationOptions({
      rpName: policy.rpName,
      rpID: policy.rpId,
      userName: userId,
      userID: userHandle(scope, user),
      userDisplayName: displayName,
      timeout: PASSKEY_REGISTRATION_TTL_SECONDS * 1000,
      attestationType: policy.attestation,
      excludeCredentials: existing.map((p) => ({ id: p.passkeyId, transports: [...p.transports] })),
      authenticatorSelection: { residentKey: 'preferred', userVerification: policy.userVerification },
      supportedAlgorithmIDs: ALGORITHMS,
    });
    const registration: PasskeyRegistrationRecord = {
      tenantId: principal.tenantId,
      registrationId: randomId('pr'),
      space: scope.space,
      userId,
      challenge: options.challenge,
      expiresAt: now + PASSKEY_REGISTRATION_TTL_SECONDS * 1000,
      via,
      ...(user.credentialEpoch ? { epoch: user.credentialEpoch } : {}),
    };
    if (!(await this.deps.store.putRegistration(registration, stepUp))) {
      throw new StepUpRequiredError('The challenge named has already authorised a passkey registration; approve a new one', { reason: 'step_up_used' });
    }
    this.deps.log.info('passkey registration started', { userId, registrationId: registration.registrationId, via });
    return { registrationId: registration.registrationId, expiresAt: new Date(registration.expiresAt).toISOString(), options };
  }

  /** The step-up a relying app shows: an approved challenge of this user (as they are now), recent enough. */
  private stepUp(principal: Principal, user: User, now: number, challengeId?: string) {
    return stepUpOf(this.deps.challenges, principal, user, now, challengeId);
  }

  /** Checks the browser's new credential against the ceremony and the policy, and stores it. */
  async finishRegistration(
    principal: Principal,
    registrationId: string,
    input: { response: unknown; name?: string | undefined },
    via: 'auth' | 'admin',
    userId?: string,
  ): Promise<{ passkey: PasskeyView }> {
    const scope = userScope(principal);
    const now = this.deps.clock.now();
    const registration = await this.deps.store.getRegistration(principal.tenantId, registrationId);
    // R1's rule: past its expiry the ceremony is gone, whatever TTL has done. A ceremony started
    // by the other kind of key, for another user or another user space is not this caller's.
    if (
      !registration ||
      registration.expiresAt <= now ||
      registration.via !== via ||
      registration.space !== scope.space ||
      (userId !== undefined && registration.userId !== userId)
    ) {
      throw new NotFoundError(NO_SUCH_REGISTRATION);
    }
    const policy = passkeyPolicyOf(principal);
    const user = await this.deps.users.getUser(scope, registration.userId);
    const used = async (error: DomainError, reason = typeof error.details.reason === 'string' ? error.details.reason : error.code): Promise<never> => {
      // Single use: a failed check ends the ceremony too. The log gets a fixed reason, never the
      // library's message (it quotes the expected challenge and what the browser sent).
      await this.deps.store.deleteRegistration(principal.tenantId, registrationId);
      this.deps.log.info('passkey registration refused', { userId: registration.userId, registrationId, reason });
      throw error;
    };
    if (!user || !sameEpoch(user, registration.epoch)) return used(new NotFoundError(NO_SUCH_REGISTRATION));

    if (crossOrigin(input.response)) return used(new PasskeyRejectedError('A passkey made in a cross-origin frame is not accepted'), 'cross_origin');
    let info;
    try {
      const verified = await this.deps.webauthn.verifyRegistration({
        response: input.response as RegistrationResponseJSON,
        expectedChallenge: registration.challenge,
        expectedOrigin: [...policy.origins],
        expectedRPID: policy.rpId,
        requireUserVerification: policy.userVerification === 'required',
        supportedAlgorithmIDs: ALGORITHMS,
      });
      if (!verified.verified) return used(new PasskeyRejectedError('The new passkey did not verify'), 'not_verified');
      info = verified.registrationInfo;
    } catch (error) {
      return used(new PasskeyRejectedError(`The new passkey did not verify: ${error instanceof Error ? error.message : 'malformed'}`), 'not_verified');
    }
    // The id the browser names must be the one the authenticator data holds, within WebAuthn's 1023 bytes.
    if ((input.response as { id?: unknown }).id !== info.credential.id || Buffer.from(info.credential.id, 'base64url').length > 1023) {
      return used(new PasskeyRejectedError('The credential id does not match the authenticator data, or is too long'), 'credential_id');
    }
    const attested = await this.attestedByRoots(info.fmt, info.attestationObject, policy.attestationRoots);
    if (policy.aaguids) {
      // An allow-list needs a proven model: without a chain to a trusted root the AAGUID is only a claim.
      if (!attested) {
        return used(new PasskeyRejectedError('The authenticator’s attestation does not chain to an attestation root of this tenant; it accepts only attested authenticators of its list', { reason: 'not_attested' }));
      }
      if (!policy.aaguids.includes(info.aaguid)) return used(new PasskeyRejectedError(`Authenticators of model ${info.aaguid} are not accepted here`, { aaguid: info.aaguid }));
    }
    if (!policy.allowSynced && info.credentialDeviceType === 'multiDevice') {
      return used(new PasskeyRejectedError('Synced passkeys are not accepted here: use a device-bound passkey or security key'));
    }

    const record: PasskeyRecord = {
      tenantId: principal.tenantId,
      space: scope.space,
      userId: user.userId,
      passkeyId: info.credential.id,
      publicKey: Buffer.from(info.credential.publicKey).toString('base64url'),
      counter: info.credential.counter,
      transports: info.credential.transports ?? [],
      aaguid: info.aaguid,
      backupEligible: info.credentialDeviceType === 'multiDevice',
      backedUp: info.credentialBackedUp,
      fmt: info.fmt,
      attested,
      name: input.name ?? `Passkey ${(user.passkeyCount ?? 0) + 1}`,
      createdAt: new Date(now).toISOString(),
      ...(user.credentialEpoch ? { epoch: user.credentialEpoch } : {}),
    };
    const added = await this.deps.store.addPasskey(registration, record, PASSKEYS_PER_USER, now);
    switch (added.kind) {
      case 'added':
        break;
      case 'registration_gone':
        throw new NotFoundError(NO_SUCH_REGISTRATION);
      case 'credential_taken':
        return used(new ConflictError('This passkey is already registered'));
      case 'refused_by_user': {
        const current = await this.deps.users.getUser(scope, user.userId);
        if (current && sameEpoch(current, registration.epoch) && (current.passkeyCount ?? 0) >= PASSKEYS_PER_USER) {
          return used(new PasskeyLimitError(`The user already has ${PASSKEYS_PER_USER} passkeys; delete one first`, { max: PASSKEYS_PER_USER }));
        }
        return used(new NotFoundError(NO_SUCH_REGISTRATION));
      }
    }
    this.deps.log.info('passkey registered', { userId: user.userId, passkeyId: record.passkeyId, aaguid: record.aaguid, fmt: info.fmt, via });
    return { passkey: passkeyView(record) };
  }

  async list(principal: Principal, userId: string): Promise<PasskeyView[]> {
    const scope = userScope(principal);
    const user = await this.requireUser(scope, userId);
    return (await this.deps.store.listPasskeys(scope, userId)).filter((p) => (p.epoch ?? '') === (user.credentialEpoch ?? '')).map(passkeyView);
  }

  async rename(principal: Principal, userId: string, passkeyId: string, name: string): Promise<PasskeyView> {
    const scope = userScope(principal);
    const user = await this.requireUser(scope, userId);
    const existing = await this.deps.store.getPasskey(scope, userId, passkeyId);
    if (!existing || (existing.epoch ?? '') !== (user.credentialEpoch ?? '')) throw new NotFoundError('No such passkey');
    const renamed = await this.deps.store.renamePasskey(scope, userId, passkeyId, name);
    if (!renamed) throw new NotFoundError('No such passkey');
    return passkeyView(renamed);
  }

  async delete(principal: Principal, userId: string, passkeyId: string): Promise<void> {
    const scope = userScope(principal);
    const user = await this.requireUser(scope, userId);
    const existing = await this.deps.store.getPasskey(scope, userId, passkeyId);
    if (!existing || !(await this.deps.store.deletePasskey(scope, userId, passkeyId, existing.epoch))) throw new NotFoundError('No such passkey');
    // One of an earlier epoch was not the user's any more: removed, but no passkey of theirs was deleted.
    if ((existing.epoch ?? '') !== (user.credentialEpoch ?? '')) throw new NotFoundError('No such passkey');
    this.deps.log.info('passkey deleted', { userId, passkeyId });
  }

  /**
   * Whether the attestation proves the authenticator's model: a certificate chain (x5c) that
   * WebAuthn's checks verified the statement against, leading to one of the tenant's roots. Self
   * attestation (no x5c) proves nothing about the model.
   */
  private async attestedByRoots(fmt: string, attestationObject: Uint8Array<ArrayBuffer>, roots: readonly string[] | undefined): Promise<boolean> {
    if (fmt === 'none' || !roots?.length) return false;
    return this.deps.webauthn.chainsToRoots(attestationObject, roots);
  }

  private async requireUser(scope: UserScope, userId: string): Promise<User> {
    const user = await this.deps.users.getUser(scope, userId);
    if (!user) throw new NotFoundError('No such user');
    return user;
  }
}
