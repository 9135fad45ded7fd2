/** What the two factors whose code the user reads off their own device (R5 app, R22 token) share: nothing is sent. */
import { CODE_TTL_SECONDS } from '../../rules';
import type { OtpChecker } from '../otp/checker';
import type { User } from '../types';
import { noView, unchanged, type FactorModule, type FactorStatus } from './factor';

export interface ReadCodeFactorDeps {
  readonly otp: Pick<OtpChecker, 'check'>;
}

/** An app's or token's code is good until its challenge expires (R5); nothing of its own is shown. */
export const readCodeStatus: FactorStatus = { answer: { kind: 'code' }, lapse: { status: 'expired' }, current: unchanged, view: noView };

/**
 * An app or token factor: no code is drawn or sent, so nothing is stored beyond the common
 * fields; the code is checked against the user's sealed secret (±1 step, never a step twice).
 * `prepare` checks nothing: the lifecycle only picks a factor the user has registered (its
 * definition's `registered`, asked when the method is chosen), and nothing else is needed.
 */
export function readCodeFactor<M extends 'app' | 'oath'>(
  method: M,
  otp: ReadCodeFactorDeps['otp'],
  destination: (user: User) => string,
): FactorModule<M> {
  return {
    method,
    ...readCodeStatus,
    prepare: ({ user }) => ({ destination: destination(user), destinationE164: '', ttlSeconds: CODE_TTL_SECONDS, issue: async () => ({}) }),
    answer: {
      kind: 'code',
      async check({ scope, challenge, code, now }) {
        const result = await otp.check(scope, method, challenge.userId, code, now);
        return result.kind === 'accepted' ? { kind: 'match', proof: { otp: result.use } } : { kind: 'mismatch', reason: result.reason };
      },
    },
    resend: { kind: 'refused', message: 'Nothing is sent for this challenge: the user reads the code from their app or token' },
    fatigues: false,
    countsNumberPerSend: false,
  };
}
