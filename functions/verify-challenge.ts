import { challengeVerifier, routeHandler } from '../shared/composition';
import { verifyChallengeInputs } from '../shared/schemas/routes';

const challenges = challengeVerifier();

/** POST /v1/challenges/{challengeId}/verify — check a code or a passkey's assertion; approval carries a signed assertion (R2–R4). */
export const handler = routeHandler('verify-challenge', verifyChallengeInputs, {
  'POST /v1/challenges/{challengeId}/verify': async (req, inputs) => {
    const challengeId = req.param('challengeId', inputs.params.challengeId);
    const { view, assertion } = await challenges.verify(req.principal, challengeId, req.json(inputs.body));
    return { status: 200, body: { ...view, assertion } };
  },
});
