import { callerIdService, routeHandler, tenantService } from '../shared/composition';
import { operatorTenantsInputs } from '../shared/schemas/routes';

const tenants = tenantService();
const callerIds = callerIdService();

/** POST /v1/operator/tenants, PUT /v1/operator/tenants/{tenantId}/limits and /caller-ids — the operator's tenant routes. */
export const handler = routeHandler('operator-tenants', operatorTenantsInputs, {
  /** Create a tenant with its first admin and auth keys (shown once). */
  'POST /v1/operator/tenants': async (req, inputs) => {
    const { tenant, adminKey, authKey } = await tenants.create(req.json(inputs.body));
    return { status: 201, body: { ...tenant, adminKey, authKey } };
  },
  /** R6: a tenant's per-second caps; only the operator raises them. */
  'PUT /v1/operator/tenants/{tenantId}/limits': async (req, inputs) => {
    const tenantId = req.param('tenantId', inputs.params.tenantId);
    return { status: 200, body: await tenants.setCaps(tenantId, req.json(inputs.body)) };
  },
  /** R15: the caller IDs the tenant may use; a callerId taken away is cleared. */
  'PUT /v1/operator/tenants/{tenantId}/caller-ids': async (req, inputs) => {
    const tenantId = req.param('tenantId', inputs.params.tenantId);
    return { status: 200, body: await callerIds.setCallerIds(tenantId, req.json(inputs.body).callerIds) };
  },
});
