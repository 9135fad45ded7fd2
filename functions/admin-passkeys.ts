import { passkeyService, routeHandler } from '../shared/composition';
import { adminPasskeysInputs } from '../shared/schemas/routes';

const passkeys = passkeyService();

/** /v1/admin/users/{userId}/passkeys… — register a passkey from the console, list, rename and delete a user's passkeys. */
export const handler = routeHandler('admin-passkeys', adminPasskeysInputs, {
  'POST /v1/admin/users/{userId}/passkeys/registrations': async (req, inputs) => {
    req.json(inputs.body);
    return { status: 201, body: await passkeys.startRegistration(req.principal, req.param('userId', inputs.params.userId), 'admin') };
  },
  'POST /v1/admin/users/{userId}/passkeys/registrations/{registrationId}': async (req, inputs) => {
    const userId = req.param('userId', inputs.params.userId);
    const registrationId = req.param('registrationId', inputs.params.registrationId);
    return { status: 201, body: await passkeys.finishRegistration(req.principal, registrationId, req.json(inputs.body), 'admin', userId) };
  },
  'GET /v1/admin/users/{userId}/passkeys': async (req, inputs) => ({
    status: 200,
    body: { items: await passkeys.list(req.principal, req.param('userId', inputs.params.userId)) },
  }),
  'PATCH /v1/admin/users/{userId}/passkeys/{passkeyId}': async (req, inputs) => {
    const userId = req.param('userId', inputs.params.userId);
    const passkeyId = req.param('passkeyId', inputs.params.passkeyId);
    return { status: 200, body: await passkeys.rename(req.principal, userId, passkeyId, req.json(inputs.body).name) };
  },
  'DELETE /v1/admin/users/{userId}/passkeys/{passkeyId}': async (req, inputs) => {
    await passkeys.delete(req.principal, req.param('userId', inputs.params.userId), req.param('passkeyId', inputs.params.passkeyId));
    return { status: 204 };
  },
});
