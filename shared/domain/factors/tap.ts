/**
 * Temporary Access Pass (issue 16): a pass an admin issued answers the challenge, inside its
 * window, once when it is one-time. The use is recorded in the transaction that approves the
 * challenge (two racing uses of a one-time pass: one approval). The auth log names the pass and
 * the admin key that issued it; the assertion's `amr` is `["tap"]`.
 */
import type { AccessPassStore, Clock, UserStore } from '../../ports';
import { RECOVERY_CHALLENGE_TTL_SECONDS } from '../../rules';
import { hashAccessPass, passState } from '../access-passes';
import { safeEqual } from '../crypto';
import { MethodUnavailableError } from '../errors';
import { stillIssuedTo } from '../recovery-codes';
import { noView, unchanged, type CodeCheck, type FactorDefinition, type FactorModule, type FactorStatus } from './factor';

export interface TapFactorDeps {
  readonly passes: Pick<AccessPassStore, 'listPasses'>;
  /** The user as they are at verify: a block voids the passes issued before it, even after an unblock. */
  readonly users: Pick<UserStore, 'getUser'>;
  readonly clock: Clock;
}

export const tap: FactorDefinition<'tap'> = {
  method: 'tap',
  // A way back and a way in, not a registered method (R20): asked for by name only.
  registered: () => false,
  fallback: true,
};

/** An access pass is taken until its challenge expires; nothing of its own is shown. */
export const tapStatus: FactorStatus = { answer: { kind: 'code' }, lapse: { status: 'expired' }, current: unchanged, view: noView };

export function tapFactor({ passes, users, clock }: TapFactorDeps): FactorModule<'tap'> {
  return {
    method: 'tap',
    ...tapStatus,
    prepare: ({ principal, user }) => ({
      destination: 'access pass',
      destinationE164: '',
      ttlSeconds: RECOVERY_CHALLENGE_TTL_SECONDS,
      async issue() {
        const now = clock.now();
        const all = await passes.listPasses({ tenantId: principal.tenantId, space: principal.tenant.provider?.userSpace ?? '' }, user.userId);
        if (!all.some((p) => stillIssuedTo(user, p) && passState(p, now) === 'active')) {
          throw new MethodUnavailableError('The user has no access pass in force', { method: 'tap' });
        }
        return {};
      },
    }),
    answer: {
      kind: 'code',
      async check({ scope, challenge, code, now }): Promise<CodeCheck> {
        const hash = hashAccessPass(code);
        const [all, user] = await Promise.all([passes.listPasses(scope, challenge.userId), users.getUser(scope, challenge.userId)]);
        const pass = all.find((p) => safeEqual(p.passHash, hash) && (p.epoch ?? '') === (challenge.owner?.epoch ?? ''));
        if (!pass || !user || !stillIssuedTo(user, pass)) return { kind: 'mismatch', reason: 'wrong_code' };
        const device = `access pass ${pass.passId} issued by ${pass.createdBy}`;
        switch (passState(pass, now)) {
          case 'not_started':
            return { kind: 'mismatch', reason: 'wrong_code', message: 'This access pass is not valid yet', device };
          case 'expired':
            return { kind: 'mismatch', reason: 'wrong_code', message: 'This access pass has expired', device };
          case 'used':
            return { kind: 'mismatch', reason: 'replayed', message: 'This one-time access pass was already used', device };
          case 'active':
            return {
              kind: 'match',
              proof: { pass: { tenantId: scope.tenantId, space: scope.space, userId: challenge.userId, passId: pass.passId, oneTime: pass.oneTime, now } },
              device,
              spent: 'This one-time access pass was already used',
            };
        }
      },
    },
    resend: { kind: 'refused', message: 'Nothing is sent for an access pass: the admin gave it to the user' },
    fatigues: false,
    countsNumberPerSend: false,
  };
}
