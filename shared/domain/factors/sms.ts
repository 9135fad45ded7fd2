/** R1, R16: a six-digit code sent by text message to the user's primary number. */
import { CODE_TTL_SECONDS } from '../../rules';
import type { SmsSender } from '../../ports';
import { generateCode, hashCode, safeEqual } from '../crypto';
import { CountryNotAllowedError, RegistrationRequiredError } from '../errors';
import { maskPhone, redactPhoneNumbers } from '../mask';
import type { CodeKey } from '../service-secrets';
import { canReceiveSms } from '../phone';
import type { Challenge } from '../types';
import { noView, unchanged, type Delivery, type FactorDefinition, type FactorModule, type FactorStatus } from './factor';

export function smsText(code: string): string {
  return `${code} is your verification code. It expires in ${CODE_TTL_SECONDS / 60} minutes. Never share it with anyone.`;
}

export interface SmsFactorDeps {
  readonly sender: SmsSender;
  readonly codeKey: Pick<CodeKey, 'get'>;
}

/** A text's code expires with its challenge (R1); nothing of its own is shown. */
export const smsStatus: FactorStatus = { answer: { kind: 'code' }, lapse: { status: 'expired' }, current: unchanged, view: noView };

export function smsFactor(deps: SmsFactorDeps): FactorModule<'sms'> {
  const { sender, codeKey } = deps;
  /** Draws a code, keeps only its HMAC, and texts it (R16: the sender fails over between providers). */
  const newCode = async (challengeId: string) => {
    const code = generateCode();
    const codeHash = hashCode(await codeKey.get(), challengeId, code);
    const delivery = (challenge: Challenge): Delivery => ({
      send: async () => ({ provider: (await sender.send({ to: challenge.destinationE164, body: smsText(code) })).provider }),
      sent: 'sms accepted',
      notSent: 'sms delivery failed',
      describe: (error) => redactPhoneNumbers(String(error)),
      problem: 'The text message could not be delivered; try another method',
    });
    return { codeHash, delivery };
  };
  return {
    method: 'sms',
    ...smsStatus,
    prepare({ principal, user }) {
      const { settings } = principal.tenant;
      const phone = user.phones.primary;
      if (!phone) throw new RegistrationRequiredError('The user must register a phone number first', { reason: 'nothing_registered' });
      if (settings.allowedCountries && !settings.allowedCountries.includes(phone.country)) {
        throw new CountryNotAllowedError(`This tenant does not send codes to ${phone.country} numbers`, { country: phone.country });
      }
      return {
        destination: maskPhone(phone.e164),
        destinationE164: phone.e164,
        ttlSeconds: CODE_TTL_SECONDS,
        issue: newCode,
      };
    },
    answer: {
      kind: 'code',
      async check({ challenge, code }) {
        const codeHash = hashCode(await codeKey.get(), challenge.challengeId, code);
        return challenge.codeHash && safeEqual(challenge.codeHash, codeHash) ? { kind: 'match', proof: { codeHash } } : { kind: 'mismatch', reason: 'wrong_code' };
      },
    },
    resend: { kind: 'new_code', ttlSeconds: CODE_TTL_SECONDS, reissue: (challenge) => newCode(challenge.challengeId) },
    fatigues: false,
    countsNumberPerSend: true,
  };
}

export const sms: FactorDefinition<'sms'> = {
  method: 'sms',
  // R30: a primary number that takes texts.
  registered: (user) => !!user.phones.primary && canReceiveSms(user.phones.primary.type),
};
