import { challengeStatus, routeHandler } from '../shared/composition';

const challenges = challengeStatus();

/** GET /v1/challenges/{challengeId} — status: pending, approved, denied, expired or locked. */
export const handler = routeHandler('get-challenge', {
  'GET /v1/challenges/{challengeId}': async (req, inputs) => ({
    status: 200,
    body: await challenges.get(req.principal, req.param('challengeId', inputs.params.challengeId)),
  }),
});
