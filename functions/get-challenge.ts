import { challengeStatus, routeHandler } from '../shared/composition';
import { getChallengeInputs } from '../shared/schemas/routes';

const challenges = challengeStatus();

/** GET /v1/challenges/{challengeId} — status: pending, approved, denied, expired or locked. */
export const handler = routeHandler('get-challenge', getChallengeInputs, {
  'GET /v1/challenges/{challengeId}': async (req, inputs) => ({
    status: 200,
    body: await challenges.get(req.principal, req.param('challengeId', inputs.params.challengeId)),
  }),
});
