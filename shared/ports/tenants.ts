import type { ApiKeyRecord, Provider, Tenant, TenantCaps, TenantSettings } from '../domain/types';

/** Tenants, their provider and settings, and the API keys that authenticate them. */
export interface TenantStore {
  /** Creates the tenant and its first keys in one transaction. */
  createTenant(tenant: Tenant, keys: readonly ApiKeyRecord[]): Promise<void>;
  getTenant(tenantId: string): Promise<Tenant | undefined>;
  /** The key and its tenant, in one read. */
  getKeyAndTenant(tenantId: string, keyId: string): Promise<{ key?: ApiKeyRecord; tenant?: Tenant }>;
  /**
   * Sets (or with `undefined`, removes) the provider, only if the tenant's provider generation
   * is still `expectedGeneration`: two admins racing cannot both win.
   */
  setProvider(
    tenantId: string,
    provider: Provider | undefined,
    expectedGeneration: number,
    /** On removal: the provider removed and when, kept in its history for billing (R17, R26). */
    removed?: { readonly provider: Provider; readonly at: string },
  ): Promise<boolean>;
  setSettings(tenantId: string, settings: TenantSettings, encryptedWebhookSecret?: string | null): Promise<void>;
  /** R6: the operator's per-second caps of a tenant (absent ones are the defaults); false when there is no such tenant. */
  setCaps(tenantId: string, caps: TenantCaps): Promise<boolean>;
  /**
   * R15: replaces the tenant's assigned caller IDs, only if its settings' callerId is still
   * `expectedCallerId` (undefined: none), and with `clearCallerId` removes that callerId in the
   * same write, keeping the other settings. False when there is no such tenant or its callerId changed.
   */
  setCallerIds(tenantId: string, callerIds: readonly string[], expectedCallerId: string | undefined, clearCallerId: boolean): Promise<boolean>;
  putApiKey(key: ApiKeyRecord): Promise<void>;
  /** Updates a key of this tenant; false when there is no such key for the tenant. */
  updateApiKey(tenantId: string, keyId: string, change: { revokedAt?: string; expiresAt?: string }): Promise<boolean>;
  listApiKeys(tenantId: string): Promise<ApiKeyRecord[]>;
}
