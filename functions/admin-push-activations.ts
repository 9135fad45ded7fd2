import { pushServiceSendingNothing, routeHandler } from '../shared/composition';

const push = pushServiceSendingNothing();

/**
 * POST /v1/admin/users/{userId}/push-activations — a one-time activation code for the user's
 * phone (R18), and its QR code. Shown once; only its hash is stored.
 */
export const handler = routeHandler('admin-push-activations', {
  'POST /v1/admin/users/{userId}/push-activations': async (req, inputs) => {
    req.json(inputs.body);
    return { status: 201, body: await push.issueActivation(req.principal, req.param('userId', inputs.params.userId)) };
  },
});
