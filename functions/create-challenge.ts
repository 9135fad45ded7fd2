import { pushSender } from '../shared/adapters/push/senders';
import { smsSenders } from '../shared/adapters/sms/senders';
import { voiceRollover } from '../shared/adapters/voice/rollovers';
import { compose } from '../shared/composition';
import { httpHandler, tenantKey } from '../shared/http/handler';
import { ROUTE_INPUTS as inputs } from '../shared/schemas/routes';
import { validate } from '../shared/http/request';

const app = compose({ sms: smsSenders, voice: voiceRollover, push: pushSender });
const challenges = app.challengeService();

/** POST /v1/challenges — start a second-factor challenge for a user: a text (R1, R16), a call (R10–R15) or a push (R9). */
export const handler = httpHandler({ authenticate: tenantKey(app.authenticator, 'auth'), log: app.log }, async (req) => {
  const route = inputs['POST /v1/challenges'];
  const body = req.json(route.body);
  const rawKey = req.header('idempotency-key');
  const key = rawKey === undefined ? undefined : validate(route.headers['Idempotency-Key'], rawKey, 'Idempotency-Key header');
  const { view, replayed } = await challenges.create(req.principal, body, key);
  return { status: 201, body: view, headers: { 'idempotent-replayed': String(replayed) } };
});
