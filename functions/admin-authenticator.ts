import { authenticatorService, routeHandler } from '../shared/composition';
import { adminAuthenticatorInputs } from '../shared/schemas/routes';

const authenticators = authenticatorService();

/** /v1/admin/users/{userId}/authenticator… — enrol (secret shown once), confirm with a code, remove (R5). */
export const handler = routeHandler('admin-authenticator', adminAuthenticatorInputs, {
  'POST /v1/admin/users/{userId}/authenticator': async (req, inputs) => ({
    status: 201,
    body: await authenticators.enroll(req.principal, req.param('userId', inputs.params.userId)),
  }),
  'POST /v1/admin/users/{userId}/authenticator/confirm': async (req, inputs) => {
    const userId = req.param('userId', inputs.params.userId);
    return { status: 200, body: await authenticators.confirm(req.principal, userId, req.json(inputs.body)) };
  },
  'DELETE /v1/admin/users/{userId}/authenticator': async (req, inputs) => {
    await authenticators.remove(req.principal, req.param('userId', inputs.params.userId));
    return { status: 204 };
  },
});
