import { compose } from '../shared/composition';
import { CallerIdService } from '../shared/domain/caller-ids';
import { TenantService } from '../shared/domain/tenants';
import { NotFoundError } from '../shared/domain/errors';
import { httpHandler, operatorKey, type Reply, type Request } from '../shared/http/handler';
import { ROUTE_INPUTS as inputs } from '../shared/schemas/routes';

const app = compose();
const tenants = new TenantService({ tenants: app.tenantStore, clock: app.clock });
const callerIds = new CallerIdService({ tenants: app.tenantStore });

type OperatorTenantRoute = 'POST /v1/operator/tenants' | 'PUT /v1/operator/tenants/{tenantId}/limits' | 'PUT /v1/operator/tenants/{tenantId}/caller-ids';

const routes: Record<OperatorTenantRoute, (req: Request<{ operator: true }>) => Promise<Reply>> = {
  /** Create a tenant with its first admin and auth keys (shown once). */
  'POST /v1/operator/tenants': async (req) => {
    const { tenant, adminKey, authKey } = await tenants.create(req.json(inputs['POST /v1/operator/tenants'].body));
    return { status: 201, body: { ...tenant, adminKey, authKey } };
  },
  /** R6: a tenant's per-second caps; only the operator raises them. */
  'PUT /v1/operator/tenants/{tenantId}/limits': async (req) => {
    const route = inputs['PUT /v1/operator/tenants/{tenantId}/limits'];
    const tenantId = req.param('tenantId', route.params.tenantId);
    return { status: 200, body: await tenants.setCaps(tenantId, req.json(route.body)) };
  },
  /** R15: the caller IDs the tenant may use; a callerId taken away is cleared. */
  'PUT /v1/operator/tenants/{tenantId}/caller-ids': async (req) => {
    const route = inputs['PUT /v1/operator/tenants/{tenantId}/caller-ids'];
    const tenantId = req.param('tenantId', route.params.tenantId);
    return { status: 200, body: await callerIds.setCallerIds(tenantId, req.json(route.body).callerIds) };
  },
};

/** POST /v1/operator/tenants, PUT /v1/operator/tenants/{tenantId}/limits and /caller-ids — the operator's tenant routes. */
export const handler = httpHandler({ authenticate: operatorKey(app.config.operatorKeySha256), log: app.log }, async (req) => {
  const run = routes[req.route as keyof typeof routes];
  if (!run) throw new NotFoundError('No such route');
  return run(req);
});
