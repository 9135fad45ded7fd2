import { compose } from '../shared/composition';
import { AuthLogService } from '../shared/domain/auth-log';
import { BillingService } from '../shared/domain/billing';
import { httpHandler, tenantKey } from '../shared/http/handler';
import { ROUTE_INPUTS as inputs } from '../shared/schemas/routes';

const app = compose();
const logs = new AuthLogService({ logs: app.logStore, usage: app.logStore, notifications: app.logStore, cursors: app.cursors });
const billing = new BillingService({ store: app.billingStore, clock: app.clock });

/** GET /v1/admin/auth-logs, /v1/admin/usage and /v1/admin/notifications (R23), and /v1/admin/billing (R26). */
export const handler = httpHandler({ authenticate: tenantKey(app.authenticator, 'admin'), log: app.log }, async (req) => {
  const { principal } = req;
  switch (req.route) {
    case 'GET /v1/admin/usage':
      return { status: 200, body: await logs.usage(principal, req.query(inputs['GET /v1/admin/usage'].query).month) };
    case 'GET /v1/admin/billing':
      return { status: 200, body: await billing.forTenant(principal, req.query(inputs['GET /v1/admin/billing'].query).month) };
    case 'GET /v1/admin/notifications':
      return { status: 200, body: await logs.notifications(principal, req.query(inputs['GET /v1/admin/notifications'].query)) };
    default:
      return { status: 200, body: await logs.list(principal, req.query(inputs['GET /v1/admin/auth-logs'].query), app.clock.now()) };
  }
});
