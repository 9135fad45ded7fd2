import { compose } from '../shared/composition';
import { httpHandler, tenantKey } from '../shared/http/handler';
import { challengeIdSchema, verifyChallengeBody } from '../shared/schemas';

const app = compose();
const challenges = app.challengeService();

/** POST /v1/challenges/{challengeId}/verify — check a code; approval carries a signed assertion (R2–R4). */
export const handler = httpHandler({ authenticate: tenantKey(app.authenticator, 'auth'), log: app.log }, async (req) => {
  const challengeId = req.param('challengeId', challengeIdSchema);
  const { code } = req.json(verifyChallengeBody);
  const { view, assertion } = await challenges.verify(req.principal, challengeId, code);
  return { status: 200, body: { ...view, assertion } };
});
