import * as z from '../zod';
import { MAX_PASSKEY_ORIGINS } from '../rules';

/** A tenant's passkey policy at the edge (its own module: only the settings handler's bundle needs it). */

const aaguidSchema = z
  .string()
  .check(z.regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, 'must be a lower-case UUID'));

/** A trusted attestation root: one X.509 certificate, PEM (the settings service parses it and requires a CA). */
const attestationRootSchema = z
  .string()
  .check(
    z.maxLength(8192),
    z.regex(/^-----BEGIN CERTIFICATE-----\r?\n[A-Za-z0-9+/=\r\n]+\n-----END CERTIFICATE-----\s*$/, 'must be one PEM X.509 certificate (-----BEGIN CERTIFICATE----- …)'),
  );

/** A host name label by label (no IP address): what an rpId may be. */
const DOMAIN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;

/** Whether `origin` is an origin a passkey may be used on: https, or http on localhost. */
function originProblem(origin: string): string | undefined {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return 'must be an origin such as https://login.example.com';
  }
  if (url.origin !== origin) return `must be an origin alone (scheme, host and port), such as ${url.origin}`;
  if (url.protocol === 'https:') return undefined;
  if (url.protocol === 'http:' && url.hostname === 'localhost') return undefined;
  return 'must be https (http only for localhost)';
}

/**
 * The tenant's passkey policy (PUT/PATCH /v1/admin/settings `passkeys`). The rpId must be a
 * domain every origin's host is, or ends with (WebAuthn's "registrable domain suffix"); a single
 * label other than `localhost` is refused as a public suffix.
 */
export const passkeyPolicySchema = z
  .strictObject({
    rpId: z.string().check(z.minLength(1), z.maxLength(253), z.regex(DOMAIN, 'must be a lower-case domain name such as example.com')),
    rpName: z.string().check(z.trim(), z.minLength(1), z.maxLength(100)),
    origins: z.array(z.string().check(z.minLength(1), z.maxLength(2048))).check(z.minLength(1), z.maxLength(MAX_PASSKEY_ORIGINS)),
    userVerification: z._default(z.enum(['required', 'preferred']), 'required'),
    attestation: z._default(z.enum(['none', 'direct']), 'none'),
    aaguids: z.optional(z.array(aaguidSchema).check(z.minLength(1), z.maxLength(100))),
    attestationRoots: z.optional(z.array(attestationRootSchema).check(z.minLength(1), z.maxLength(10))),
    allowSynced: z._default(z.boolean(), true),
    phishingResistantOnly: z._default(z.boolean(), false),
  })
  .check(
    z.superRefine((policy, ctx) => {
      if (!policy.rpId.includes('.') && policy.rpId !== 'localhost') {
        ctx.addIssue({ code: 'custom', path: ['rpId'], message: 'must be a registrable domain (example.com), not a top-level domain' });
      }
      // A top-level domain is never all digits: an IPv4 address is no relying-party id.
      if (/^\d+$/.test(policy.rpId.split('.').at(-1) ?? '')) ctx.addIssue({ code: 'custom', path: ['rpId'], message: 'must be a domain name, not an IP address' });
      policy.origins.forEach((origin, i) => {
        const problem = originProblem(origin);
        if (problem) {
          ctx.addIssue({ code: 'custom', path: ['origins', i], message: problem });
          return;
        }
        const host = new URL(origin).hostname;
        if (host !== policy.rpId && !host.endsWith(`.${policy.rpId}`)) {
          ctx.addIssue({ code: 'custom', path: ['origins', i], message: `its host must be ${policy.rpId} or end with .${policy.rpId} (the rpId)` });
        }
        if (policy.origins.indexOf(origin) !== i) ctx.addIssue({ code: 'custom', path: ['origins', i], message: 'is already in the list' });
      });
      if (policy.aaguids && policy.attestation !== 'direct') {
        ctx.addIssue({ code: 'custom', path: ['aaguids'], message: 'needs attestation "direct": without it the AAGUID is not attested' });
      }
      if (policy.attestationRoots && policy.attestation !== 'direct') {
        ctx.addIssue({ code: 'custom', path: ['attestationRoots'], message: 'needs attestation "direct": without it no attestation is asked for' });
      }
    }),
  );
