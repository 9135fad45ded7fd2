import { rememberedDeviceService, routeHandler } from '../shared/composition';
import { adminRememberedDevicesInputs } from '../shared/schemas/routes';

const remembered = rememberedDeviceService();

/** /v1/admin/users/{userId}/remembered-devices — a user's live remembered devices (no tokens), and revoking them all (issue 16). */
export const handler = routeHandler('admin-remembered-devices', adminRememberedDevicesInputs, {
  'GET /v1/admin/users/{userId}/remembered-devices': async (req, inputs) => ({
    status: 200,
    body: await remembered.list(req.principal, req.param('userId', inputs.params.userId)),
  }),
  'DELETE /v1/admin/users/{userId}/remembered-devices': async (req, inputs) => ({
    status: 200,
    body: await remembered.revokeAll(req.principal, req.param('userId', inputs.params.userId)),
  }),
});
