import { passkeyService, routeHandler } from '../shared/composition';
import { passkeyRegistrationsInputs } from '../shared/schemas/routes';

const passkeys = passkeyService();

/** /v1/passkeys/registrations… — a relying app adds a passkey to a user (a step-up once the user has a method). */
export const handler = routeHandler('passkey-registrations', passkeyRegistrationsInputs, {
  'POST /v1/passkeys/registrations': async (req, inputs) => {
    const { userId, challengeId } = req.json(inputs.body);
    return { status: 201, body: await passkeys.startRegistration(req.principal, userId, 'auth', challengeId) };
  },
  'POST /v1/passkeys/registrations/{registrationId}': async (req, inputs) => {
    const registrationId = req.param('registrationId', inputs.params.registrationId);
    return { status: 201, body: await passkeys.finishRegistration(req.principal, registrationId, req.json(inputs.body), 'auth') };
  },
});
