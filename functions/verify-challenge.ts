import { compose } from '../shared/composition';
import { httpHandler, tenantKey } from '../shared/http/handler';
import { ROUTE_INPUTS as inputs } from '../shared/schemas/routes';

const app = compose();
const challenges = app.challengeService();

/** POST /v1/challenges/{challengeId}/verify — check a code; approval carries a signed assertion (R2–R4). */
export const handler = httpHandler({ authenticate: tenantKey(app.authenticator, 'auth'), log: app.log }, async (req) => {
  const route = inputs['POST /v1/challenges/{challengeId}/verify'];
  const challengeId = req.param('challengeId', route.params.challengeId);
  const { code } = req.json(route.body);
  const { view, assertion } = await challenges.verify(req.principal, challengeId, code);
  return { status: 200, body: { ...view, assertion } };
});
