import { recoveryCodeService, routeHandler } from '../shared/composition';
import { recoveryCodesInputs } from '../shared/schemas/routes';

const codes = recoveryCodeService();

/** POST /v1/recovery-codes — a relying app generates a user's ten recovery codes (a step-up once the user has a method). */
export const handler = routeHandler('recovery-codes', recoveryCodesInputs, {
  'POST /v1/recovery-codes': async (req, inputs) => {
    const { userId, challengeId } = req.json(inputs.body);
    return { status: 201, body: await codes.generate(req.principal, userId, 'auth', challengeId) };
  },
});
