import { compose } from '../shared/composition';
import { SettingsService } from '../shared/domain/settings';
import { httpHandler, tenantKey } from '../shared/http/handler';
import { ROUTE_INPUTS as inputs } from '../shared/schemas/routes';

const app = compose();
const settings = new SettingsService({ tenants: app.tenantStore, box: app.box, allowLoopbackWebhooks: app.config.runtime === 'local' });

/** GET, PUT and PATCH /v1/admin/settings — methods policy and tenant settings (R14, R15, R20, R21, R23). */
export const handler = httpHandler({ authenticate: tenantKey(app.authenticator, 'admin'), log: app.log }, async (req) => {
  switch (req.method) {
    case 'PUT':
      return { status: 200, body: await settings.put(req.principal, req.json(inputs['PUT /v1/admin/settings'].body)) };
    case 'PATCH':
      return { status: 200, body: await settings.patch(req.principal, req.json(inputs['PATCH /v1/admin/settings'].body)) };
    default:
      return { status: 200, body: settings.get(req.principal) };
  }
});
