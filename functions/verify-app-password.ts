import { appPasswordService, routeHandler } from '../shared/composition';
import { verifyAppPasswordInputs } from '../shared/schemas/routes';

const passwords = appPasswordService();

/** POST /v1/app-passwords/verify — a legacy client's sign-in with an app password (R21). */
export const handler = routeHandler('verify-app-password', verifyAppPasswordInputs, {
  'POST /v1/app-passwords/verify': async (req, inputs) => {
    const { userId, password } = req.json(inputs.body);
    return { status: 200, body: await passwords.verify(req.principal, userId, password) };
  },
});
