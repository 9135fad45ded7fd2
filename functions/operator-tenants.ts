import { compose } from '../shared/composition';
import { TenantService } from '../shared/domain/tenants';
import { httpHandler, operatorKey } from '../shared/http/handler';
import { createTenantBody } from '../shared/schemas';

const app = compose();
const tenants = new TenantService({ tenants: app.tenantStore, clock: app.clock });

/** POST /v1/operator/tenants — create a tenant with its first admin and auth keys (shown once). */
export const handler = httpHandler({ authenticate: operatorKey(app.config.operatorKeySha256), log: app.log }, async (req) => {
  const { tenant, adminKey, authKey } = await tenants.create(req.json(createTenantBody));
  return { status: 201, body: { ...tenant, adminKey, authKey } };
});
