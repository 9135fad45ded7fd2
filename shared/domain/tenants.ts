import { issueApiKey, newTenantId } from './api-keys';
import { randomId } from './crypto';
import { NotFoundError, ProviderConflictError } from './errors';
import type { Clock, TenantStore } from '../ports';
import { tenantCeilings } from './throttling';
import { DEFAULT_SETTINGS, type BillingModel, type Principal, type Provider, type Tenant, type TenantCaps } from './types';

export interface ProviderInput {
  readonly billingModel: BillingModel;
  readonly directoryId?: string;
}

export interface CreateTenantInput {
  readonly name: string;
  readonly provider?: ProviderInput;
  /** R15: caller-ID numbers (E.164) the operator assigns to the tenant. */
  readonly callerIds?: readonly string[];
}

/**
 * R18: users live in the directory's space when the provider names one, so a new provider on
 * the same directory finds them again; otherwise in a space of the provider's own.
 */
export function userSpaceOf(providerId: string, directoryId?: string): string {
  return directoryId ? `dir:${directoryId}` : `prov:${providerId}`;
}

function newProvider(input: ProviderInput, generation: number, now: number): Provider {
  const providerId = randomId('pv', 12);
  return {
    providerId,
    billingModel: input.billingModel,
    ...(input.directoryId ? { directoryId: input.directoryId } : {}),
    createdAt: new Date(now).toISOString(),
    generation,
    userSpace: userSpaceOf(providerId, input.directoryId),
  };
}

/** The operator creates tenants; a tenant's admins manage its one provider (R17, R18). */
export class TenantService {
  constructor(private readonly deps: { tenants: TenantStore; clock: Clock }) {}

  async create(input: CreateTenantInput): Promise<{ tenant: Tenant; adminKey: string; authKey: string }> {
    const now = this.deps.clock.now();
    const tenantId = newTenantId();
    const tenant: Tenant = {
      tenantId,
      name: input.name,
      createdAt: new Date(now).toISOString(),
      ...(input.provider ? { provider: newProvider(input.provider, 1, now) } : {}),
      providerGeneration: input.provider ? 1 : 0,
      settings: DEFAULT_SETTINGS,
      ...(input.callerIds?.length ? { callerIds: [...new Set(input.callerIds)] } : {}),
    };
    const admin = issueApiKey({ tenantId, scope: 'admin', name: 'First admin key', now });
    const auth = issueApiKey({ tenantId, scope: 'auth', name: 'First auth key', now });
    await this.deps.tenants.createTenant(tenant, [admin.record, auth.record]);
    return { tenant, adminKey: admin.key, authKey: auth.key };
  }

  /** R6: the operator sets a tenant's per-second ceilings; absent ones go back to the defaults. */
  async setCaps(tenantId: string, input: { challengesPerSecond?: number | null; requestsPerSecond?: number | null }) {
    const caps: TenantCaps = {
      ...(input.challengesPerSecond ? { challengesPerSecond: input.challengesPerSecond } : {}),
      ...(input.requestsPerSecond ? { requestsPerSecond: input.requestsPerSecond } : {}),
    };
    if (!(await this.deps.tenants.setCaps(tenantId, caps))) throw new NotFoundError('No such tenant');
    const { challengesPerSecond, requestsPerSecond } = tenantCeilings({ caps });
    return { tenantId, caps: { challengesPerSecond, requestsPerSecond } };
  }

  getProvider(principal: Principal): Provider {
    if (!principal.tenant.provider) throw new NotFoundError('The tenant has no MFA provider');
    return principal.tenant.provider;
  }

  /**
   * Creates the provider, or confirms an identical one (idempotent PUT). A different billing
   * model or directory on an existing provider is refused (R17): delete it and create a new one.
   */
  async putProvider(principal: Principal, input: ProviderInput): Promise<{ provider: Provider; created: boolean }> {
    const { tenant } = principal;
    const existing = tenant.provider;
    if (existing) {
      if (existing.billingModel !== input.billingModel) {
        throw new ProviderConflictError('billing model cannot be changed; delete the provider and create a new one', {
          billingModel: existing.billingModel,
        });
      }
      if ((existing.directoryId ?? null) !== (input.directoryId ?? null)) {
        throw new ProviderConflictError('the directory cannot be changed; delete the provider and create a new one', {
          directoryId: existing.directoryId ?? null,
        });
      }
      return { provider: existing, created: false };
    }
    const provider = newProvider(input, tenant.providerGeneration + 1, this.deps.clock.now());
    if (!(await this.deps.tenants.setProvider(tenant.tenantId, provider, tenant.providerGeneration))) {
      throw new ProviderConflictError('The provider was changed concurrently; read it and try again');
    }
    return { provider, created: true };
  }

  async deleteProvider(principal: Principal): Promise<void> {
    const { tenant } = principal;
    if (!tenant.provider) throw new NotFoundError('The tenant has no MFA provider');
    const removed = { provider: tenant.provider, at: new Date(this.deps.clock.now()).toISOString() };
    if (!(await this.deps.tenants.setProvider(tenant.tenantId, undefined, tenant.providerGeneration, removed))) {
      throw new ProviderConflictError('The provider was changed concurrently; read it and try again');
    }
  }
}
