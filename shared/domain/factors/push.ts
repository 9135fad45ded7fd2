/** R9, R18: a notification to the user's activated phone, approved there by entering the number the sign-in screen shows. */
import { PUSH_TIMEOUT_SECONDS } from '../../rules';
import { matchNumber } from '../push';
import type { Challenge, Principal, PushRegistration, User } from '../types';
import type { Answer, FactorDefinition, FactorModule, FactorStatus } from './factor';

/** What the push factor uses of the push service (../push-devices.ts). */
export interface PushFactorDeps {
  readonly push: {
    /** R9/R18: the user's device; refused when it was activated under another provider. */
    deviceFor(principal: Principal, user: User): PushRegistration;
    /** R9: sends the prompt to the device. */
    notify(challenge: Challenge, location?: string): Promise<void>;
    /** R9/R7: a pending push past its deadline is denied as `timeout`, counted once for fatigue. */
    settleTimeout(challenge: Challenge, now: number): Promise<Challenge>;
  };
}

/** R9: answered on the phone, so a status read carries the assertion (R4); the number to enter is shown. */
export function pushStatus(push: Pick<PushFactorDeps['push'], 'settleTimeout'>): FactorStatus & { readonly answer: Extract<Answer, { kind: 'elsewhere' }> } {
  return {
    answer: {
      kind: 'elsewhere',
      message: 'A push challenge is approved on the phone, by entering the number shown on the sign-in screen; poll GET /v1/challenges/{id} for its result',
    },
    // R9: a push unanswered by its deadline is a denial (timeout), not an expired code.
    lapse: { status: 'denied', reason: 'timeout' },
    // R9/R7: the first reader of a push past its deadline writes the timeout and counts it for fatigue.
    current: (challenge, now) => push.settleTimeout(challenge, now),
    view: (challenge) => (challenge.push ? { number: challenge.push.number } : {}),
  };
}

export function pushFactor(deps: PushFactorDeps): FactorModule<'push'> {
  const { push } = deps;
  return {
    method: 'push',
    ...pushStatus(push),
    prepare({ principal, user, context }) {
      // R18: refused when the device was activated under another provider.
      const device = push.deviceFor(principal, user);
      return {
        destination: `${device.platform} device`,
        destinationE164: '',
        ttlSeconds: PUSH_TIMEOUT_SECONDS,
        issue: async () => ({
          state: { push: { deviceId: device.deviceId, number: matchNumber() } },
          // If the notification cannot be sent, the challenge is denied like an undeliverable text.
          delivery: (challenge) => ({
            send: async () => {
              await push.notify(challenge, context?.location);
              return {};
            },
            sent: 'push sent',
            notSent: 'push not sent',
            describe: String,
            problem: 'The push notification could not be sent; try another method',
          }),
        }),
      };
    },
    resend: { kind: 'refused', message: 'A push cannot be resent; start a new challenge' },
    fatigues: true,
    countsNumberPerSend: false,
  };
}

export const push: FactorDefinition<'push'> = {
  method: 'push',
  // R18: an activated device (under which provider is checked when a push is sent).
  registered: (user) => !!user.push,
};
