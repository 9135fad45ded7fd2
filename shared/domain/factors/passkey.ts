/**
 * Passkeys (WebAuthn): the browser signs this challenge's random WebAuthn challenge with a passkey
 * the user registered; `@simplewebauthn/server` makes every WebAuthn check (origin, RP id,
 * challenge, flags, signature). What is Tessera's own: which passkeys may answer (the user's,
 * under their credential epoch, allowed by the policy), the sign counter (compare-and-set with
 * the approval; one that does not increase is denied as a possible clone and the admin is told),
 * and what the assertion says about how the user signed in (RFC 8176 `amr`, `acr`).
 */
import { randomBytes } from 'node:crypto';
import type { AuthenticationResponseJSON } from '@simplewebauthn/server';
import { PASSKEY_CHALLENGE_TTL_SECONDS } from '../../rules';
import type { PasskeyRecord, PasskeyStore, UserScope, WebAuthnAssertions } from '../../ports';
import { PasskeysNotConfiguredError, RegistrationRequiredError } from '../errors';
import type { PasskeyPolicy, PasskeyRequestOptions, Principal, Tenant, User } from '../types';
import { unchanged, type CodeCheck, type FactorDefinition, type FactorModule, type FactorStatus } from './factor';

export interface PasskeyFactorDeps {
  readonly passkeys: Pick<PasskeyStore, 'listPasskeys' | 'getPasskey'>;
  /** Tells the tenant's admins (notification and webhook) of a possibly cloned passkey. */
  readonly alert: (tenant: Tenant, userId: string, message: string) => Promise<unknown>;
  /** Checks an assertion's signature and the rest of WebAuthn's rules; only verification has one (shared/ports/webauthn.ts). */
  readonly webauthn: WebAuthnAssertions;
}

/**
 * The request options of a new passkey challenge (WebAuthn's PublicKeyCredentialRequestOptions):
 * 32 random bytes to sign, and the passkeys that may sign them, as `generateAuthenticationOptions`
 * of `@simplewebauthn/server` makes them. Made here, so that starting a passkey challenge does not
 * load the WebAuthn library: only checking the answer does.
 */
export function passkeyRequestOptions(policy: PasskeyPolicy, usable: readonly PasskeyRecord[]): PasskeyRequestOptions {
  return {
    challenge: randomBytes(32).toString('base64url'),
    rpId: policy.rpId,
    timeout: PASSKEY_CHALLENGE_TTL_SECONDS * 1000,
    userVerification: policy.userVerification,
    allowCredentials: usable.map((p) => {
      // Stored ids are the library's base64url; one that is not is refused as the library refuses it.
      if (!/^[-A-Za-z0-9_]*$/.test(p.passkeyId.replace(/=/g, ''))) throw new Error(`allowCredential id "${p.passkeyId}" is not a valid base64url string`);
      return { id: p.passkeyId.replace(/=/g, ''), type: 'public-key' as const, ...(p.transports.length ? { transports: [...p.transports] } : {}) };
    }),
  };
}

/**
 * The passkeys of `user` that `policy` lets sign in: registered under the user's current epoch,
 * synced only if allowed, and under an allow-list only of a listed model proven by attestation.
 */
export function usablePasskeys(records: readonly PasskeyRecord[], user: User, policy: PasskeyPolicy): PasskeyRecord[] {
  return records.filter(
    (p) =>
      (p.epoch ?? '') === (user.credentialEpoch ?? '') &&
      (policy.allowSynced || !p.backupEligible) &&
      (!policy.aaguids || (p.attested === true && policy.aaguids.includes(p.aaguid))),
  );
}

/**
 * Whether the browser says the ceremony ran in a cross-origin iframe (clientData `crossOrigin`):
 * refused, as no policy lets another site frame the relying app's pages.
 */
export function crossOrigin(response: unknown): boolean {
  const encoded = (response as { response?: { clientDataJSON?: unknown } } | undefined)?.response?.clientDataJSON;
  if (typeof encoded !== 'string') return false;
  try {
    return (JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8')) as { crossOrigin?: unknown }).crossOrigin === true;
  } catch {
    return false;
  }
}

/** The device an auth-log line names (R23): the credential id and the authenticator model. */
const deviceOf = (p: Pick<PasskeyRecord, 'passkeyId' | 'aaguid'>): string => `${p.passkeyId} aaguid:${p.aaguid}`;

/**
 * What the assertion says (RFC 8176 `amr`; the OpenID EAP `acr` values): `hwk` for a device-bound
 * key, `swk` for a synced one; `user` for the presence test; `mfa` when the authenticator also
 * verified the user (PIN or biometric). Either way it is phishing-resistant: `phrh` only when the
 * hardware protection is proven (device-bound and attested to a root of the tenant), else `phr`.
 */
export function passkeyAuthentication(backupEligible: boolean, userVerified: boolean, attested: boolean): { amr: string[]; acr: string } {
  return { amr: [backupEligible ? 'swk' : 'hwk', 'user', ...(userVerified ? ['mfa'] : [])], acr: !backupEligible && attested ? 'phrh' : 'phr' };
}

export function passkeyPolicyOf(principal: Principal): PasskeyPolicy {
  const policy = principal.tenant.settings.passkeys;
  if (!policy) throw new PasskeysNotConfiguredError('The tenant has no passkey policy; an admin sets one in the settings (passkeys)');
  return policy;
}

export const passkey: FactorDefinition<'passkey'> = {
  method: 'passkey',
  registered: (user) => (user.passkeyCount ?? 0) > 0,
};

/** Answered with the passkey's assertion until the challenge expires; an open one shows the request options to sign. */
export const passkeyStatus: FactorStatus = {
  answer: { kind: 'credential' },
  lapse: { status: 'expired' },
  current: unchanged,
  view: (challenge, pending) => (pending && challenge.passkey ? { publicKey: challenge.passkey.options } : {}),
};

export function passkeyFactor({ passkeys, alert, webauthn }: PasskeyFactorDeps): FactorModule<'passkey'> {
  return {
    method: 'passkey',
    ...passkeyStatus,
    prepare: ({ principal, user }) => {
      const policy = passkeyPolicyOf(principal);
      const scope: UserScope = { tenantId: principal.tenantId, space: principal.tenant.provider?.userSpace ?? '' };
      return {
        destination: 'passkey',
        destinationE164: '',
        ttlSeconds: PASSKEY_CHALLENGE_TTL_SECONDS,
        async issue() {
          const usable = usablePasskeys(await passkeys.listPasskeys(scope, user.userId), user, policy);
          if (usable.length === 0) {
            throw new RegistrationRequiredError('The user has no passkey this tenant accepts', { reason: 'passkey_required' });
          }
          const request = passkeyRequestOptions(policy, usable);
          return { state: { passkey: { options: request, origins: [...policy.origins], allowSynced: policy.allowSynced } } };
        },
      };
    },
    answer: {
      kind: 'credential',
      async check({ principal, scope, challenge, credential, now }): Promise<CodeCheck> {
        const response = credential as AuthenticationResponseJSON;
        const state = challenge.passkey;
        const rejected = (message: string, device?: string): CodeCheck => ({ kind: 'mismatch', reason: 'credential_rejected', message, ...(device ? { device } : {}) });
        // Only a passkey this challenge offered: the user's own, in this tenant, allowed by the policy.
        if (!state || !state.options.allowCredentials.some((c) => c.id === response.id)) return rejected('This passkey is not one this challenge accepts');
        const stored = await passkeys.getPasskey(scope, challenge.userId, response.id);
        if (!stored || (stored.epoch ?? '') !== (challenge.owner?.epoch ?? '')) return rejected('This passkey is not one this challenge accepts');
        const device = deviceOf(stored);
        // The tenant's policy as it is now, not as it was when the challenge was issued.
        const policy = principal.tenant.settings.passkeys;
        if (!policy) return rejected('The tenant has no passkey policy', device);
        if (!policy.allowSynced && stored.backupEligible) return rejected('Synced passkeys are not accepted', device);
        if (policy.aaguids && !(stored.attested === true && policy.aaguids.includes(stored.aaguid))) return rejected('Authenticators of this model are not accepted here', device);
        if (crossOrigin(response)) return rejected('A passkey used in a cross-origin frame is not accepted', device);
        let info;
        try {
          const verified = await webauthn.verifyAuthentication({
            response,
            expectedChallenge: state.options.challenge,
            expectedOrigin: [...policy.origins],
            expectedRPID: state.options.rpId,
            // The counter is compared below, after the signature: a regression is denied and reported, not merely refused.
            credential: { id: stored.passkeyId, publicKey: Buffer.from(stored.publicKey, 'base64url'), counter: 0, transports: [...stored.transports] },
            requireUserVerification: state.options.userVerification === 'required' || policy.userVerification === 'required',
          });
          if (!verified.verified) return rejected('The passkey’s assertion did not verify', device);
          info = verified.authenticationInfo;
        } catch (error) {
          return rejected(`The passkey’s assertion did not verify: ${error instanceof Error ? error.message : 'malformed'}`, device);
        }
        // What the authenticator says now: a passkey registered device-bound that turns up synced is synced.
        const synced = stored.backupEligible || info.credentialDeviceType === 'multiDevice';
        if (!policy.allowSynced && synced) return rejected('Synced passkeys are not accepted', device);
        // A counter that does not increase, when either side counts: possibly a cloned authenticator.
        if ((info.newCounter > 0 || stored.counter > 0) && info.newCounter <= stored.counter) {
          const message = `Passkey ${stored.name} (${stored.passkeyId}) of user ${challenge.userId} sent sign counter ${info.newCounter}, not above ${stored.counter}: it may have been cloned. The sign-in was denied.`;
          return {
            kind: 'deny',
            reason: 'counter_regressed',
            message: 'The passkey’s sign counter did not increase: it may have been cloned',
            device,
            report: () => alert(principal.tenant, challenge.userId, message),
          };
        }
        return {
          kind: 'match',
          proof: {
            passkey: {
              tenantId: scope.tenantId,
              space: scope.space,
              userId: challenge.userId,
              passkeyId: stored.passkeyId,
              counterBefore: stored.counter,
              counterAfter: info.newCounter,
              backedUp: info.credentialBackedUp,
              usedAt: new Date(now).toISOString(),
            },
          },
          device,
          authentication: passkeyAuthentication(synced, info.userVerified, stored.attested === true),
        };
      },
    },
    resend: { kind: 'refused', message: 'Nothing is sent for a passkey challenge: the browser signs it with the user’s passkey' },
    fatigues: false,
    countsNumberPerSend: false,
  };
}
