import type { TenantStore } from '../ports';
import { ConflictError, NotFoundError, ValidationError } from './errors';
import { parsePhone } from './phone';

/** Reads and conditional writes before the operator's caller-ID change gives up on a busy tenant's settings. */
const CALLER_ID_WRITE_ATTEMPTS = 3;

/**
 * R15: the caller IDs the operator assigns to a tenant. Apart from TenantService because it
 * checks numbers with the phone-number library, which only the operator's handler should carry.
 */
export class CallerIdService {
  constructor(private readonly deps: { tenants: Pick<TenantStore, 'getTenant' | 'setCallerIds'> }) {}

  /**
   * R15: the operator replaces the caller IDs assigned to a tenant. A callerId no longer assigned
   * is cleared in the same write, so voice answers `caller_id_missing` until an admin picks an
   * assigned number, rather than showing a number the tenant may no longer use.
   */
  async setCallerIds(tenantId: string, callerIds: readonly string[]): Promise<{ tenantId: string; callerIds: string[]; callerIdCleared: boolean }> {
    const errors: { pointer: string; detail: string }[] = [];
    // One number after the other, so the errors come in list order.
    for (const [i, id] of callerIds.entries()) {
      try {
        await parsePhone(id, `/callerIds/${i}`);
      } catch (error) {
        if (error instanceof ValidationError) errors.push(...error.errors);
        else throw error;
      }
      if (callerIds.indexOf(id) !== i) errors.push({ pointer: `/callerIds/${i}`, detail: 'is already in the list' });
    }
    if (errors.length) throw new ValidationError('The caller IDs are not valid', errors);
    // The write is conditional on the callerId read; a settings write in between means read again.
    for (let attempt = 0; attempt < CALLER_ID_WRITE_ATTEMPTS; attempt++) {
      const tenant = await this.deps.tenants.getTenant(tenantId);
      if (!tenant) throw new NotFoundError('No such tenant');
      const current = tenant.settings.callerId;
      const callerIdCleared = current !== undefined && !callerIds.includes(current);
      if (await this.deps.tenants.setCallerIds(tenantId, callerIds, current, callerIdCleared)) {
        return { tenantId, callerIds: [...callerIds], callerIdCleared };
      }
    }
    throw new ConflictError('The tenant’s settings changed meanwhile; try again');
  }
}
