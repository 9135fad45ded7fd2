import { compose } from '../shared/composition';
import { TenantService } from '../shared/domain/tenants';
import { httpHandler, tenantKey } from '../shared/http/handler';
import { ROUTE_INPUTS as inputs } from '../shared/schemas/routes';

const app = compose();
const tenants = new TenantService({ tenants: app.tenantStore, clock: app.clock });

/** PUT, GET and DELETE /v1/admin/provider — the tenant's one MFA provider (R17, R18). */
export const handler = httpHandler({ authenticate: tenantKey(app.authenticator, 'admin'), log: app.log }, async (req) => {
  switch (req.method) {
    case 'PUT': {
      const { provider, created } = await tenants.putProvider(req.principal, req.json(inputs['PUT /v1/admin/provider'].body));
      return { status: created ? 201 : 200, body: provider };
    }
    case 'DELETE':
      await tenants.deleteProvider(req.principal);
      return { status: 204 };
    default:
      return { status: 200, body: tenants.getProvider(req.principal) };
  }
});
