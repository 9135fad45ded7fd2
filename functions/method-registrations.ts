import { methodRegistrationService, routeHandler } from '../shared/composition';
import { methodRegistrationsInputs } from '../shared/schemas/routes';

const registrations = methodRegistrationService();

/**
 * /v1/authenticators… and /v1/phones — a relying app registers an authenticator app or phones for
 * a user (a step-up once the user has a method: the onboarding and recovery path, issue 16).
 */
export const handler = routeHandler('method-registrations', methodRegistrationsInputs, {
  'POST /v1/authenticators': async (req, inputs) => {
    const { userId, challengeId } = req.json(inputs.body);
    return { status: 201, body: await registrations.startAuthenticator(req.principal, userId, challengeId) };
  },
  'POST /v1/authenticators/confirm': async (req, inputs) => ({ status: 200, body: await registrations.confirmAuthenticator(req.principal, req.json(inputs.body)) }),
  'PUT /v1/phones': async (req, inputs) => ({ status: 200, body: await registrations.setPhones(req.principal, req.json(inputs.body)) }),
});
