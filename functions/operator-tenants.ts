import { compose } from '../shared/composition';
import { TenantService } from '../shared/domain/tenants';
import { httpHandler, operatorKey } from '../shared/http/handler';
import { ROUTE_INPUTS as inputs } from '../shared/schemas/routes';

const app = compose();
const tenants = new TenantService({ tenants: app.tenantStore, clock: app.clock });

/** POST /v1/operator/tenants — create a tenant with its first admin and auth keys (shown once). */
export const handler = httpHandler({ authenticate: operatorKey(app.config.operatorKeySha256), log: app.log }, async (req) => {
  const { tenant, adminKey, authKey } = await tenants.create(req.json(inputs['POST /v1/operator/tenants'].body));
  return { status: 201, body: { ...tenant, adminKey, authKey } };
});
