import { randomBytes } from 'node:crypto';
import { ForbiddenScopeError, NotFoundError, UnauthenticatedError } from './errors';
import { safeEqual, sha256Hex } from './crypto';
import type { Clock, TenantStore } from '../ports';
import type { RequestCaps } from './request-caps';
import type { ApiKeyRecord, ApiScope, Principal, Tenant } from './types';

const KEY_PATTERN = /^tsr_(auth|admin)_(tn[0-9a-f]{24})_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

/** Tenant ids are hex so that they can travel inside API keys unambiguously. */
export function newTenantId(): string {
  return `tn${randomBytes(12).toString('hex')}`;
}

/**
 * Issues a key. Its form is `tsr_<scope>_<tenantId>_<keyId>_<secret>`: the scope is visible so
 * a leaked key is recognisable, the tenant and key ids find the key and its tenant in one
 * read, and only SHA-256(secret) is kept. The secret has 256 bits of entropy, so a fast hash
 * is enough (no password stretching needed).
 */
export function issueApiKey(input: { tenantId: string; scope: ApiScope; name: string; now: number; rotatedFrom?: string }): {
  record: ApiKeyRecord;
  key: string;
} {
  const keyId = randomBytes(8).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  return {
    key: `tsr_${input.scope}_${input.tenantId}_${keyId}_${secret}`,
    record: {
      keyId,
      tenantId: input.tenantId,
      scope: input.scope,
      name: input.name,
      secretHash: sha256Hex(secret),
      createdAt: new Date(input.now).toISOString(),
      ...(input.rotatedFrom ? { rotatedFrom: input.rotatedFrom } : {}),
    },
  };
}

function bearer(authorization: string | undefined): string {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  if (!match?.[1]) throw new UnauthenticatedError('Send an API key as "Authorization: Bearer <key>"');
  return match[1];
}

interface KeyAndTenant {
  readonly key?: ApiKeyRecord;
  readonly tenant?: Tenant;
}

/** Keys a container remembers at most: past this the oldest are forgotten (one read each next time). */
const MAX_REMEMBERED_KEYS = 10_000;

/**
 * The API keys and tenants this container read, each kept `maxAgeMs` (API_KEY_CACHE_SECONDS): a
 * key revoked or a tenant changed by another container takes effect here within that time. A
 * write of this container forgets the tenant's entries at once (`forgetTenant`), and a read that
 * was under way during such a write is not kept. Only keys and tenants that exist are kept: a
 * key created a moment ago works at once.
 */
export class RecentKeys {
  private readonly entries = new Map<string, { readonly readAt: number; readonly value: Required<KeyAndTenant> }>();
  private readonly generations = new Map<string, number>();

  constructor(private readonly maxAgeMs: number) {}

  get(tenantId: string, keyId: string, now: number): Required<KeyAndTenant> | undefined {
    const entry = this.entries.get(`${tenantId}#${keyId}`);
    return entry && now - entry.readAt < this.maxAgeMs && now >= entry.readAt ? entry.value : undefined;
  }

  /** The tenant's write count in this container, taken before a read so that `keep` can tell a read raced a write. */
  generation(tenantId: string): number {
    return this.generations.get(tenantId) ?? 0;
  }

  keep(tenantId: string, keyId: string, value: KeyAndTenant, readAt: number, generation: number): void {
    if (!value.key || !value.tenant || this.generation(tenantId) !== generation) return;
    if (this.entries.size >= MAX_REMEMBERED_KEYS) this.entries.delete(this.entries.keys().next().value as string);
    this.entries.set(`${tenantId}#${keyId}`, { readAt, value: { key: value.key, tenant: value.tenant } });
  }

  forgetTenant(tenantId: string): void {
    this.generations.set(tenantId, this.generation(tenantId) + 1);
    for (const id of this.entries.keys()) if (id.startsWith(`${tenantId}#`)) this.entries.delete(id);
  }
}

/** Checks tenant API keys (R27: the tenant comes from the key, never from the request). */
export class ApiKeyAuthenticator {
  constructor(
    private readonly tenants: TenantStore,
    private readonly clock: Clock,
    /** R6: the tenant's request cap, taken as soon as the key is known good (every handler has it). */
    private readonly caps?: RequestCaps,
    /**
     * The relying app's (`auth`-scope) keys and their tenants, read at most once per
     * API_KEY_CACHE_SECONDS per container: the hot path (create, verify) makes no read for them.
     * Admin keys are read on every request, so the console always acts on the tenant as stored.
     */
    private readonly recent?: RecentKeys,
  ) {}

  private async keyAndTenant(tenantId: string, keyId: string, scope: ApiScope): Promise<KeyAndTenant> {
    const recent = scope === 'auth' ? this.recent : undefined;
    if (!recent) return this.tenants.getKeyAndTenant(tenantId, keyId);
    const now = this.clock.now();
    const remembered = recent.get(tenantId, keyId, now);
    if (remembered) return remembered;
    const generation = recent.generation(tenantId);
    const read = await this.tenants.getKeyAndTenant(tenantId, keyId);
    recent.keep(tenantId, keyId, read, now, generation);
    return read;
  }

  async authenticate(authorization: string | undefined, scope: ApiScope): Promise<Principal> {
    const token = bearer(authorization);
    const match = KEY_PATTERN.exec(token);
    const invalid = new UnauthenticatedError('The API key is not valid');
    if (!match) throw invalid;
    const [, , tenantId, keyId, secret] = match as unknown as [string, string, string, string, string];
    const { key, tenant } = await this.keyAndTenant(tenantId, keyId, scope);
    // Compare even when the record is missing, so timing does not reveal which key ids exist.
    const matches = safeEqual(key?.secretHash ?? '0'.repeat(64), sha256Hex(secret));
    if (!key || !tenant || !matches || key.tenantId !== tenantId || key.revokedAt) throw invalid;
    if (key.expiresAt && Date.parse(key.expiresAt) <= this.clock.now()) throw invalid;
    if (key.scope !== scope) {
      throw new ForbiddenScopeError(`This endpoint needs a key with the "${scope}" scope; this key has "${key.scope}"`);
    }
    await this.caps?.tenant(tenant);
    return { tenantId, keyId, keyName: key.name, scope: key.scope, tenant };
  }
}

/** The operator key is one secret for the whole service; only its SHA-256 is configured. */
export function authenticateOperator(authorization: string | undefined, operatorKeySha256: string): void {
  const token = bearer(authorization);
  if (!safeEqual(sha256Hex(token), operatorKeySha256)) {
    throw new UnauthenticatedError('The operator key is not valid');
  }
}

/** What the console shows of a key: never its secret or hash. */
export type ApiKeyView = Omit<ApiKeyRecord, 'secretHash' | 'tenantId'> & { status: 'active' | 'expiring' | 'revoked' | 'expired' };

/** Console API keys: create, list, revoke, rotate with a grace period. */
export class ApiKeyService {
  constructor(private readonly deps: { tenants: TenantStore; clock: Clock }) {}

  view(record: ApiKeyRecord): ApiKeyView {
    const { secretHash: _hash, tenantId: _tenant, ...rest } = record;
    const now = this.deps.clock.now();
    const status = record.revokedAt
      ? 'revoked'
      : record.expiresAt
        ? Date.parse(record.expiresAt) <= now
          ? 'expired'
          : 'expiring'
        : 'active';
    return { ...rest, status };
  }

  async create(principal: Principal, input: { name: string; scope: ApiScope }): Promise<{ key: string; view: ApiKeyView }> {
    const issued = issueApiKey({ tenantId: principal.tenantId, ...input, now: this.deps.clock.now() });
    await this.deps.tenants.putApiKey(issued.record);
    return { key: issued.key, view: this.view(issued.record) };
  }

  async list(principal: Principal): Promise<ApiKeyView[]> {
    return (await this.deps.tenants.listApiKeys(principal.tenantId)).map((k) => this.view(k));
  }

  async revoke(principal: Principal, keyId: string): Promise<void> {
    const now = new Date(this.deps.clock.now()).toISOString();
    if (!(await this.deps.tenants.updateApiKey(principal.tenantId, keyId, { revokedAt: now }))) {
      throw new NotFoundError('No such API key');
    }
  }

  /**
   * A new key with the same name and scope; the old one keeps working for `graceSeconds`
   * (default 24 h), so a fleet of servers can switch without an outage.
   */
  async rotate(principal: Principal, keyId: string, graceSeconds: number): Promise<{ key: string; view: ApiKeyView }> {
    const now = this.deps.clock.now();
    const { key: old } = await this.deps.tenants.getKeyAndTenant(principal.tenantId, keyId);
    const dead = old?.revokedAt || (old?.expiresAt !== undefined && Date.parse(old.expiresAt) <= now);
    if (!old || old.tenantId !== principal.tenantId || dead) throw new NotFoundError('No such active API key');
    const issued = issueApiKey({ tenantId: principal.tenantId, scope: old.scope, name: old.name, now, rotatedFrom: keyId });
    await this.deps.tenants.putApiKey(issued.record);
    const expiresAt = new Date(now + graceSeconds * 1000).toISOString();
    const earlier = old.expiresAt && old.expiresAt < expiresAt ? old.expiresAt : expiresAt;
    await this.deps.tenants.updateApiKey(principal.tenantId, keyId, { expiresAt: earlier });
    return { key: issued.key, view: this.view(issued.record) };
  }
}
