import { pushSender } from '../shared/adapters/push/senders';
import { compose } from '../shared/composition';
import { anyone, httpHandler } from '../shared/http/handler';
import { activatePushBody } from '../shared/schemas/push';

const app = compose({ push: pushSender });
const push = app.pushService();

/**
 * POST /v1/push/activate — the phone trades a one-time activation code for its device id and
 * device key (R18). Public: the code is the credential (random, single use, short-lived).
 */
export const handler = httpHandler({ authenticate: anyone, log: app.log }, async (req) => {
  return { status: 201, body: await push.activate(req.json(activatePushBody)) };
});
