import type { OtpCredentialStore, SecretBox, UserScope, UserStore } from '../../ports';
import { appSecretContext, oathSecretContext, type OtpStepUse } from './records';
import { verifyTotp } from './totp';

export type OtpCheck =
  /** Approve, recording `use` in the same write (R5). */
  | { readonly kind: 'accepted'; readonly use: OtpStepUse }
  | { readonly kind: 'rejected'; readonly reason: 'wrong_code' | 'replayed' };

const WRONG: OtpCheck = { kind: 'rejected', reason: 'wrong_code' };

/**
 * R5/R22: checks a code typed from an authenticator app or a hardware token against the user's
 * sealed secret: ±1 step (around a hardware token's measured drift), never a step already used.
 * A user whose app or token went away meanwhile simply has a wrong code.
 */
export class OtpChecker {
  constructor(private readonly deps: { store: OtpCredentialStore; users: UserStore; box: SecretBox }) {}

  async check(scope: UserScope, method: 'app' | 'oath', userId: string, code: string, nowMs: number): Promise<OtpCheck> {
    const { store, box } = this.deps;
    if (method === 'app') {
      const app = await store.getAppAuthenticator(scope, userId);
      if (!app) return WRONG;
      const secret = await box.decrypt(app.sealedSecret, appSecretContext(scope.tenantId, scope.space, userId));
      const result = verifyTotp({ secret, code, nowMs, ...(app.lastUsedStep === undefined ? {} : { lastUsedStep: app.lastUsedStep }) });
      secret.fill(0);
      if (result.kind === 'rejected') return result;
      return { kind: 'accepted', use: { kind: 'app', tenantId: scope.tenantId, space: scope.space, userId, step: result.step } };
    }
    const serial = (await this.deps.users.getUser(scope, userId))?.oathToken?.serial;
    const token = serial ? await store.getOathToken(scope.tenantId, serial) : undefined;
    if (!token || token.assignee?.userId !== userId || token.assignee.space !== scope.space) return WRONG;
    const secret = await box.decrypt(token.sealedSecret, oathSecretContext(scope.tenantId, token.serial));
    const result = verifyTotp({
      secret,
      code,
      nowMs,
      step: token.step,
      digits: token.digits,
      algorithm: token.algorithm,
      driftSteps: token.driftSteps,
      ...(token.lastUsedStep === undefined ? {} : { lastUsedStep: token.lastUsedStep }),
    });
    secret.fill(0);
    if (result.kind === 'rejected') return result;
    return {
      kind: 'accepted',
      use: { kind: 'oath', tenantId: scope.tenantId, serial: token.serial, userId, step: result.step, driftSteps: result.driftSteps },
    };
  }
}
