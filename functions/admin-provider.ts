import { routeHandler, tenantService } from '../shared/composition';
import { adminProviderInputs } from '../shared/schemas/routes';

const tenants = tenantService();

/** PUT, GET and DELETE /v1/admin/provider — the tenant's one MFA provider (R17, R18). */
export const handler = routeHandler('admin-provider', adminProviderInputs, {
  'PUT /v1/admin/provider': async (req, inputs) => {
    const { provider, created } = await tenants.putProvider(req.principal, req.json(inputs.body));
    return { status: created ? 201 : 200, body: provider };
  },
  'GET /v1/admin/provider': async (req) => ({ status: 200, body: tenants.getProvider(req.principal) }),
  'DELETE /v1/admin/provider': async (req) => {
    await tenants.deleteProvider(req.principal);
    return { status: 204 };
  },
});
