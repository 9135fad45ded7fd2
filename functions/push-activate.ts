import { pushSender } from '../shared/adapters/push/senders';
import { compose } from '../shared/composition';
import { capPerSource, httpHandler } from '../shared/http/handler';
import { ROUTE_INPUTS as inputs } from '../shared/schemas/routes';

const app = compose({ push: pushSender });
const push = app.pushService();

/**
 * POST /v1/push/activate — the phone trades a one-time activation code for its device id and
 * device key (R18). Public: the code is the credential (random, single use, short-lived).
 */
export const handler = httpHandler({ authenticate: capPerSource(app.requestCaps), log: app.log }, async (req) => {
  return { status: 201, body: await push.activate(req.json(inputs['POST /v1/push/activate'].body)) };
});
