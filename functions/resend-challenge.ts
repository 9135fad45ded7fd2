import { challengeServiceTextsOnly, routeHandler } from '../shared/composition';
import { resendChallengeInputs } from '../shared/schemas/routes';

const challenges = challengeServiceTextsOnly();

/** POST /v1/challenges/{challengeId}/resend — a new code that voids the old one (R3). */
export const handler = routeHandler('resend-challenge', resendChallengeInputs, {
  'POST /v1/challenges/{challengeId}/resend': async (req, inputs) => {
    const challengeId = req.param('challengeId', inputs.params.challengeId);
    req.json(inputs.body);
    return { status: 200, body: await challenges.resend(req.principal, challengeId) };
  },
});
