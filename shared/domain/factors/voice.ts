/** R10–R15: a call that reads a prompt; the user approves by pressing # (R10), over the primary and then each backup number (R13). */
import { voiceChallengeTtlSeconds } from '../../rules';
import { VOICE_APP_NAME_MAX_LENGTH, VOICE_MAX_NUMBERS } from '../../voice/rules';
import type { VoiceRollover } from '../../ports';
import { CountryNotAllowedError, MethodUnavailableError, RegistrationRequiredError } from '../errors';
import { maskPhone } from '../mask';
import { canReceiveVoice } from '../phone';
import type { PhoneNumber, TenantSettings, User } from '../types';
import { unchanged, type Answer, type FactorDefinition, type FactorModule, type FactorStatus } from './factor';

/**
 * R13: the numbers a voice challenge calls, in order: the primary, then each backup. Only
 * numbers that can take a call (R30) and that the tenant allows (allowed countries).
 */
export function voiceNumbersOf(user: User, settings: TenantSettings): PhoneNumber[] {
  const all = [user.phones.primary, ...user.phones.backup].filter((p): p is PhoneNumber => p !== undefined);
  const seen = new Set<string>();
  return all
    .filter((p) => canReceiveVoice(p.type) && (!settings.allowedCountries || settings.allowedCountries.includes(p.country)))
    .filter((p) => !seen.has(p.e164) && seen.add(p.e164))
    .slice(0, VOICE_MAX_NUMBERS);
}

export interface VoiceFactorDeps {
  readonly rollover: VoiceRollover;
}

/** R10: answered on the call, so a status read carries the assertion (R4); R13: the calls so far are shown. */
export const voiceStatus: FactorStatus & { readonly answer: Extract<Answer, { kind: 'elsewhere' }> } = {
  answer: { kind: 'elsewhere', message: 'A voice challenge is approved on the call by pressing # and takes no code; poll GET /v1/challenges/{id} for its result' },
  lapse: { status: 'expired' },
  current: unchanged,
  view(challenge, pending) {
    if (!challenge.voice) return {};
    const { numbers, attempts } = challenge.voice;
    const calling = pending ? numbers[attempts.length] : undefined;
    return {
      voice: {
        ...(calling ? { calling } : {}),
        attempts: attempts.map(({ number, outcome, at }) => ({ number, outcome, at })),
      },
    };
  },
};

export function voiceFactor(deps: VoiceFactorDeps): FactorModule<'voice'> {
  return {
    method: 'voice',
    ...voiceStatus,
    prepare({ principal, user, context }) {
      const { settings } = principal.tenant;
      const primary = user.phones.primary;
      if (!primary) throw new RegistrationRequiredError('The user must register a phone number first', { reason: 'nothing_registered' });
      const numbers = voiceNumbersOf(user, settings);
      const phone = numbers[0];
      if (!phone) throw new CountryNotAllowedError(`This tenant does not send codes to ${primary.country} numbers`, { country: primary.country });
      // R15: a callerId the operator no longer assigns (left by a settings write that raced the change) is no caller ID.
      const assigned = principal.tenant.callerIds;
      const callerId = settings.callerId;
      if (!callerId || (assigned && !assigned.includes(callerId))) {
        throw new MethodUnavailableError('Voice calls need a caller ID: an admin sets callerId in the settings first', {
          reason: 'caller_id_missing',
        });
      }
      return {
        destination: maskPhone(phone.e164),
        destinationE164: phone.e164,
        ttlSeconds: voiceChallengeTtlSeconds(numbers.length),
        issue: async (challengeId) => ({
          state: { voice: { numbers: numbers.map((n) => maskPhone(n.e164)), attempts: [] } },
          // R13: the rollover calls each number in turn; if it cannot start, the challenge is denied like an undeliverable text.
          delivery: (challenge) => ({
            send: async () => {
              const input = {
                challengeId,
                tenantId: challenge.tenantId,
                numbers: numbers.map((n) => n.e164),
                callerId,
                appName: (context?.appName ?? '').slice(0, VOICE_APP_NAME_MAX_LENGTH),
              };
              return { executionId: await deps.rollover.start(input), numbers: input.numbers.length };
            },
            sent: 'voice rollover started',
            notSent: 'voice rollover not started',
            describe: String,
            problem: 'The call could not be started; try another method',
          }),
        }),
      };
    },
    resend: { kind: 'refused', message: 'A voice challenge cannot be resent; start a new challenge' },
    fatigues: true,
    // A voice challenge takes each number's hour in its rollover, right before that number is dialled.
    countsNumberPerSend: false,
  };
}

export const voice: FactorDefinition<'voice'> = {
  method: 'voice',
  // R30: a primary number that takes calls (the backups are called after it, R13).
  registered: (user) => !!user.phones.primary && canReceiveVoice(user.phones.primary.type),
};
