import { APP_ENROLLMENT_TTL_SECONDS } from '../../rules';
import type { Clock, OtpCredentialStore, SecretBox, UserStore } from '../../ports';
import { randomId } from '../crypto';
import { ConflictError, NotFoundError, UserBlockedError, WrongCodeError } from '../errors';
import type { Principal } from '../types';
import { userScope } from '../users';
import { keyUri, qrPngDataUrl, qrSvg } from './otpauth';
import { appSecretContext } from './records';
import { generateSecret, verifyTotp } from './totp';

export interface Enrollment {
  readonly enrollmentId: string;
  readonly expiresAt: string;
  /** Carries the secret: shown once, here, never stored or logged in clear (R28). */
  readonly otpauthUri: string;
  readonly qrSvg: string;
  readonly qrPngDataUrl: string;
}

/** R5: enrolment of a user's authenticator app (TOTP), confirmed by one valid code. */
export class AuthenticatorService {
  constructor(private readonly deps: { store: OtpCredentialStore; users: UserStore; box: SecretBox; clock: Clock }) {}

  async enroll(principal: Principal, userId: string): Promise<Enrollment> {
    const scope = userScope(principal);
    const user = await this.deps.users.getUser(scope, userId);
    if (!user) throw new NotFoundError('No such user');
    const now = this.deps.clock.now();
    const secret = generateSecret();
    const enrollmentId = randomId('en');
    const expiresAt = now + APP_ENROLLMENT_TTL_SECONDS * 1000;
    await this.deps.store.putAppEnrollment({
      tenantId: principal.tenantId,
      space: scope.space,
      userId,
      enrollmentId,
      sealedSecret: await this.deps.box.encrypt(secret, appSecretContext(principal.tenantId, scope.space, userId)),
      createdAt: new Date(now).toISOString(),
      expiresAt,
      // R19: confirmed only while the user is the one it was started for (not deleted, recreated or reset).
      ...(user.credentialEpoch ? { epoch: user.credentialEpoch } : {}),
      userVersion: user.version ?? 0,
    });
    // The label's colon separates issuer and account, so neither may carry one.
    const otpauthUri = keyUri({ issuer: principal.tenant.name.replace(/:/g, ' '), account: (user.email ?? userId).replace(/:/g, ' '), secret });
    secret.fill(0);
    return { enrollmentId, expiresAt: new Date(expiresAt).toISOString(), otpauthUri, qrSvg: await qrSvg(otpauthUri), qrPngDataUrl: await qrPngDataUrl(otpauthUri) };
  }

  /** One valid code makes the enrolment the user's 'app' method; that code's step is used up (R5). */
  async confirm(
    principal: Principal,
    userId: string,
    input: { code: string; enrollmentId?: string | undefined },
    /**
     * A relying app's enrolment was authorised for the user as they were when it started (a
     * step-up, or none because they had no method): confirmed only if the user item has not changed
     * since (no method gained, no block, unblock or reset), and the user is not blocked.
     */
    options: { userUnchangedSinceStart?: boolean } = {},
  ): Promise<{ enrolledAt: string }> {
    const scope = userScope(principal);
    const now = this.deps.clock.now();
    const enrollment = await this.deps.store.getAppEnrollment(scope, userId);
    if (!enrollment || enrollment.expiresAt <= now || (input.enrollmentId && input.enrollmentId !== enrollment.enrollmentId)) {
      throw new NotFoundError('No authenticator enrolment is waiting for this user; start a new one');
    }
    if (options.userUnchangedSinceStart) {
      const user = await this.deps.users.getUser(scope, userId);
      if (!user) throw new NotFoundError('No such user');
      if (user.blocked) throw new UserBlockedError('The user is blocked from MFA; an admin must unblock them', { reason: user.blocked.reason });
      if ((user.version ?? 0) !== enrollment.userVersion) {
        throw new ConflictError('The user changed after this enrolment started; start a new one (with a step-up if they now have a method)');
      }
    }
    const secret = await this.deps.box.decrypt(enrollment.sealedSecret, appSecretContext(principal.tenantId, scope.space, userId));
    const result = verifyTotp({ secret, code: input.code, nowMs: now });
    secret.fill(0);
    if (result.kind !== 'accepted') throw new WrongCodeError('The code is not correct; check the app and the phone’s clock');
    const enrolledAt = new Date(now).toISOString();
    const done = await this.deps.store.confirmAppEnrollment(scope, enrollment.enrollmentId, {
      tenantId: principal.tenantId,
      space: scope.space,
      userId,
      sealedSecret: enrollment.sealedSecret,
      enrolledAt,
      lastUsedStep: result.step,
      ...(enrollment.epoch ? { epoch: enrollment.epoch } : {}),
    });
    if (!done) throw new ConflictError('The enrolment or the user changed meanwhile; start a new enrolment');
    return { enrolledAt };
  }

  async remove(principal: Principal, userId: string): Promise<void> {
    if (!(await this.deps.store.deleteAppAuthenticator(userScope(principal), userId))) throw new NotFoundError('The user has no authenticator app');
  }
}
