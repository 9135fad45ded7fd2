import { pushServiceSendingNothing, routeHandler } from '../shared/composition';
import { qrSvg } from '../shared/domain/otp/otpauth';
import { adminPushActivationsInputs } from '../shared/schemas/routes';

const push = pushServiceSendingNothing();

/**
 * POST /v1/admin/users/{userId}/push-activations — a one-time activation code for the user's
 * phone (R18), and its QR code. Shown once; only its hash is stored.
 */
export const handler = routeHandler('admin-push-activations', adminPushActivationsInputs, {
  'POST /v1/admin/users/{userId}/push-activations': async (req, inputs) => {
    req.json(inputs.body);
    const { uri, ...activation } = await push.issueActivation(req.principal, req.param('userId', inputs.params.userId));
    // The QR code is drawn here, so the other handlers sharing PushService bundle no QR or PNG encoder.
    return { status: 201, body: { ...activation, qr: { uri, svg: await qrSvg(uri) } } };
  },
});
