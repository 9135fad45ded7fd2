import { compose } from '../shared/composition';
import { httpHandler, tenantKey } from '../shared/http/handler';
import { ROUTE_INPUTS as inputs } from '../shared/schemas/routes';

const app = compose();
const challenges = app.challengeService();

/** GET /v1/challenges/{challengeId} — status: pending, approved, denied, expired or locked. */
export const handler = httpHandler({ authenticate: tenantKey(app.authenticator, 'auth'), log: app.log }, async (req) => {
  const view = await challenges.get(req.principal, req.param('challengeId', inputs['GET /v1/challenges/{challengeId}'].params.challengeId));
  return { status: 200, body: view };
});
