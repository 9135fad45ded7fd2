import { routeHandler, settingsService } from '../shared/composition';
import { adminSettingsInputs } from '../shared/schemas/routes';

const settings = settingsService();

/** GET, PUT and PATCH /v1/admin/settings — methods policy and tenant settings (R14, R15, R20, R21, R23). */
export const handler = routeHandler('admin-settings', adminSettingsInputs, {
  'GET /v1/admin/settings': async (req) => ({ status: 200, body: settings.get(req.principal) }),
  'PUT /v1/admin/settings': async (req, inputs) => ({ status: 200, body: await settings.put(req.principal, req.json(inputs.body)) }),
  'PATCH /v1/admin/settings': async (req, inputs) => ({ status: 200, body: await settings.patch(req.principal, req.json(inputs.body)) }),
});
