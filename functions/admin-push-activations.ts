import { compose } from '../shared/composition';
import { qrSvg } from '../shared/domain/otp/otpauth';
import { httpHandler, tenantKey } from '../shared/http/handler';
import { ROUTE_INPUTS as inputs } from '../shared/schemas/routes';

const app = compose();
const push = app.pushService();

/**
 * POST /v1/admin/users/{userId}/push-activations — a one-time activation code for the user's
 * phone (R18), and its QR code. Shown once; only its hash is stored.
 */
export const handler = httpHandler({ authenticate: tenantKey(app.authenticator, 'admin'), log: app.log }, async (req) => {
  const route = inputs['POST /v1/admin/users/{userId}/push-activations'];
  req.json(route.body);
  const { uri, ...activation } = await push.issueActivation(req.principal, req.param('userId', route.params.userId));
  return { status: 201, body: { ...activation, qr: { uri, svg: await qrSvg(uri) } } };
});
