import { authLogService, billingService, clock, routeHandler } from '../shared/composition';
import { adminLogsInputs } from '../shared/schemas/routes';

const logs = authLogService();
const billing = billingService();
const time = clock();

/** GET /v1/admin/auth-logs, /v1/admin/usage and /v1/admin/notifications (R23), and /v1/admin/billing (R26). */
export const handler = routeHandler('admin-logs', adminLogsInputs, {
  'GET /v1/admin/auth-logs': async (req, inputs) => ({ status: 200, body: await logs.list(req.principal, req.query(inputs.query), time.now()) }),
  'GET /v1/admin/usage': async (req, inputs) => ({ status: 200, body: await logs.usage(req.principal, req.query(inputs.query).month) }),
  'GET /v1/admin/billing': async (req, inputs) => ({ status: 200, body: await billing.forTenant(req.principal, req.query(inputs.query).month) }),
  'GET /v1/admin/notifications': async (req, inputs) => ({ status: 200, body: await logs.notifications(req.principal, req.query(inputs.query)) }),
});
