import { rememberedDeviceService, routeHandler } from '../shared/composition';
import { rememberedDevicesInputs } from '../shared/schemas/routes';

const remembered = rememberedDeviceService();

/** /v1/remembered-devices… — a relying app remembers a device after an approved challenge, and asks whether it still is (issue 16). */
export const handler = routeHandler('remembered-devices', rememberedDevicesInputs, {
  'POST /v1/remembered-devices': async (req, inputs) => {
    const { challengeId, binding } = req.json(inputs.body);
    return { status: 201, body: await remembered.remember(req.principal, challengeId, binding) };
  },
  'POST /v1/remembered-devices/check': async (req, inputs) => {
    const { userId, token, binding } = req.json(inputs.body);
    return { status: 200, body: await remembered.check(req.principal, userId, token, binding) };
  },
});
