/**
 * Recovery codes (issue 16): one of the user's ten single-use codes answers the challenge. The
 * code is spent in the transaction that approves the challenge (two racing uses of one code: one
 * approval). Every use tells the tenant's admins (notification and webhook): a recovery code used
 * is news. The assertion's `amr` is `["recovery"]`, the method's name (RFC 8176 has no value for it).
 */
import type { RecoveryCodeStore, UserStore } from '../../ports';
import { RECOVERY_CHALLENGE_TTL_SECONDS } from '../../rules';
import { MethodUnavailableError } from '../errors';
import { matchSlot, stillIssuedTo } from '../recovery-codes';
import type { Tenant } from '../types';
import { noView, unchanged, type CodeCheck, type FactorDefinition, type FactorModule, type FactorStatus } from './factor';

export interface RecoveryFactorDeps {
  readonly codes: Pick<RecoveryCodeStore, 'getSet'>;
  /** The user as they are at verify: a block voids the codes generated before it, even after an unblock. */
  readonly users: Pick<UserStore, 'getUser'>;
  /** Tells the tenant's admins (notification and webhook) that a recovery code was used. */
  readonly alert: (tenant: Tenant, userId: string, message: string) => Promise<unknown>;
}

export const recovery: FactorDefinition<'recovery'> = {
  method: 'recovery',
  // A way back, not a registered method (R20): asked for by name only.
  registered: () => false,
  fallback: true,
};

/** A recovery code is taken until its challenge expires; nothing of its own is shown. */
export const recoveryStatus: FactorStatus = { answer: { kind: 'code' }, lapse: { status: 'expired' }, current: unchanged, view: noView };

export function recoveryFactor({ codes, users, alert }: RecoveryFactorDeps): FactorModule<'recovery'> {
  return {
    method: 'recovery',
    ...recoveryStatus,
    prepare: ({ principal, user }) => ({
      destination: 'recovery code',
      destinationE164: '',
      ttlSeconds: RECOVERY_CHALLENGE_TTL_SECONDS,
      async issue() {
        const set = await codes.getSet({ tenantId: principal.tenantId, space: principal.tenant.provider?.userSpace ?? '' }, user.userId);
        if (!set || !stillIssuedTo(user, set) || Object.keys(set.hashes).length === 0) {
          throw new MethodUnavailableError('The user has no recovery codes left', { method: 'recovery' });
        }
        return {};
      },
    }),
    answer: {
      kind: 'code',
      async check({ scope, challenge, code }): Promise<CodeCheck> {
        const [set, user] = await Promise.all([codes.getSet(scope, challenge.userId), users.getUser(scope, challenge.userId)]);
        if (!set || (set.epoch ?? '') !== (challenge.owner?.epoch ?? '') || !user || !stillIssuedTo(user, set)) return { kind: 'mismatch', reason: 'wrong_code' };
        const slot = await matchSlot(set, code);
        if (slot === undefined) return { kind: 'mismatch', reason: 'wrong_code' };
        const left = Object.keys(set.hashes).length - 1;
        return {
          kind: 'match',
          proof: { recovery: { tenantId: scope.tenantId, space: scope.space, userId: challenge.userId, setId: set.setId, slot } },
          device: `recovery codes ${set.setId}`,
          spent: 'This recovery code was already used',
          approved: (principal) =>
            alert(principal.tenant, challenge.userId, `User ${challenge.userId} signed in with a recovery code; ${left} of the set left`),
        };
      },
    },
    resend: { kind: 'refused', message: 'Nothing is sent for a recovery code: the user has it written down' },
    fatigues: false,
    countsNumberPerSend: false,
  };
}
