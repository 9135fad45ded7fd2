/**
 * A relying app registers a method for one of its users (issue 16): an authenticator app (enrol,
 * then confirm with a first code) or the user's phones. Once the user has any registered method,
 * it names a step-up (step-up.ts): a challenge of that user approved in the last ten minutes (an
 * access pass's or a recovery code's included), since their last unblock or reset, which
 * authorises this one change. That is the onboarding and recovery path: an admin issues a pass,
 * the user signs in with it and registers what they have now. Passkeys follow the same rule in
 * passkeys.ts; recovery codes in recovery-code-service.ts.
 */
import type { ChallengeStore, Clock, Log, StepUpStore, UserStore } from '../ports';
import { sameEpoch } from './credentials';
import { ConflictError, NotFoundError, StepUpRequiredError, UserBlockedError } from './errors';
import { maskPhone } from './mask';
import type { AuthenticatorService, Enrollment } from './otp/authenticator';
import { registeredMethods, usableMethods } from './registration';
import { stepUpOf } from './step-up';
import type { Factor, Principal, User } from './types';
import { toInput, USER_WRITE_ATTEMPTS, userScope, type UserService } from './users';

export interface MethodRegistrationDeps {
  readonly users: UserStore;
  /** Builds the user with new phones as an admin's change would (parsed, classified: R30). */
  readonly userService: Pick<UserService, 'build'>;
  readonly authenticators: Pick<AuthenticatorService, 'enroll' | 'confirm'>;
  /** Reads the step-up challenge. */
  readonly challenges: Pick<ChallengeStore, 'get'>;
  readonly stepUps: StepUpStore;
  readonly clock: Clock;
  readonly log: Log;
}

/** What a relying app sees of the phones it set: masked, as in a challenge. */
export interface PhonesView {
  readonly userId: string;
  readonly phones: { readonly primary: string; readonly backup: readonly string[] };
  readonly methods: Factor[];
}

export class MethodRegistrationService {
  constructor(private readonly deps: MethodRegistrationDeps) {}

  /** An authenticator enrolment (the otpauth URI, shown once); confirmed with `confirmAuthenticator`. */
  async startAuthenticator(principal: Principal, userId: string, challengeId?: string): Promise<Enrollment> {
    await this.authorise(principal, userId, 'authenticator', challengeId);
    return this.deps.authenticators.enroll(principal, userId);
  }

  /** The first code from the app makes the enrolment this user's `app` method (R5). */
  confirmAuthenticator(principal: Principal, input: { userId: string; enrollmentId: string; code: string }): Promise<{ enrolledAt: string }> {
    return this.deps.authenticators.confirm(principal, input.userId, { code: input.code, enrollmentId: input.enrollmentId }, { userUnchangedSinceStart: true });
  }

  /** Sets the user's primary phone, and the backups when given (absent: kept). Clears an admin reset (R20). */
  async setPhones(principal: Principal, input: { userId: string; challengeId?: string | undefined; primary: string; backup?: readonly string[] | undefined }): Promise<PhonesView> {
    const scope = userScope(principal);
    const { user: authorised, steppedUp } = await this.authorise(principal, input.userId, 'phones', input.challengeId);
    for (let attempt = 1; ; attempt++) {
      const current = await this.deps.users.getUser(scope, input.userId);
      // The user the step-up vouched for: not deleted, recreated or reset since.
      if (!current || !sameEpoch(current, authorised.credentialEpoch)) throw new NotFoundError('No such user');
      if (current.blocked) throw blocked(current);
      // A method gained since the check (another writer won the race) needs the step-up this change did not spend.
      if (!steppedUp && registeredMethods(current).length > 0) {
        throw new StepUpRequiredError('The user has a method now: approve a challenge of theirs and name it', { reason: 'step_up_required' });
      }
      const was = toInput(current);
      const next = await this.deps.userService.build(
        principal,
        input.userId,
        { ...was, phones: { ...was.phones, primary: input.primary, ...(input.backup ? { backup: input.backup } : {}) } },
        current,
      );
      const write = await this.deps.users.putUser(scope, next, current.version ?? 0);
      if (write.kind === 'written') {
        this.deps.log.info('phones registered by a relying app', { userId: input.userId, keyId: principal.keyId });
        return {
          userId: input.userId,
          phones: { primary: maskPhone(next.phones.primary?.e164 ?? ''), backup: next.phones.backup.map((p) => maskPhone(p.e164)) },
          methods: usableMethods(next, principal.tenant.settings),
        };
      }
      if (attempt >= USER_WRITE_ATTEMPTS) throw new ConflictError('The user kept changing while the phones were set; try again');
    }
  }

  /**
   * The user, when this relying app may add a method to them: not blocked, and with a step-up
   * (spent here, once) when they have a registered method or a challenge is named anyway.
   */
  private async authorise(principal: Principal, userId: string, what: 'authenticator' | 'phones', challengeId?: string): Promise<{ user: User; steppedUp: boolean }> {
    const user = await this.deps.users.getUser(userScope(principal), userId);
    // No such user first: another tenant's user id gets the answer of an id nobody has (R27).
    if (!user) throw new NotFoundError('No such user');
    if (user.blocked) throw blocked(user);
    if (registeredMethods(user).length > 0 || challengeId !== undefined) {
      const use = await stepUpOf(this.deps.challenges, principal, user, this.deps.clock.now(), challengeId);
      if (!(await this.deps.stepUps.spend(use))) {
        throw new StepUpRequiredError('The challenge named has already authorised a change; approve a new one', { reason: 'step_up_used' });
      }
      this.deps.log.info('step-up spent', { userId, challengeId, on: what });
      return { user, steppedUp: true };
    }
    return { user, steppedUp: false };
  }
}

function blocked(user: User): UserBlockedError {
  return new UserBlockedError('The user is blocked from MFA; an admin must unblock them', { reason: user.blocked?.reason });
}
