import { smsSenders } from '../shared/adapters/sms/senders';
import { compose } from '../shared/composition';
import { httpHandler, tenantKey } from '../shared/http/handler';
import { challengeIdSchema, emptyBody } from '../shared/schemas';

const app = compose({ sms: smsSenders });
const challenges = app.challengeService();

/** POST /v1/challenges/{challengeId}/resend — a new code that voids the old one (R3). */
export const handler = httpHandler({ authenticate: tenantKey(app.authenticator, 'auth'), log: app.log }, async (req) => {
  const challengeId = req.param('challengeId', challengeIdSchema);
  req.json(emptyBody);
  return { status: 200, body: await challenges.resend(req.principal, challengeId) };
});
