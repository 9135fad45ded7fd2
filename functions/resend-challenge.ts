import { smsSenders } from '../shared/adapters/sms/senders';
import { compose } from '../shared/composition';
import { httpHandler, tenantKey } from '../shared/http/handler';
import { ROUTE_INPUTS as inputs } from '../shared/schemas/routes';

const app = compose({ sms: smsSenders });
const challenges = app.challengeService();

/** POST /v1/challenges/{challengeId}/resend — a new code that voids the old one (R3). */
export const handler = httpHandler({ authenticate: tenantKey(app.authenticator, 'auth'), log: app.log }, async (req) => {
  const route = inputs['POST /v1/challenges/{challengeId}/resend'];
  const challengeId = req.param('challengeId', route.params.challengeId);
  req.json(route.body);
  return { status: 200, body: await challenges.resend(req.principal, challengeId) };
});
