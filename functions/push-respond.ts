import { compose } from '../shared/composition';
import { capPerSource, httpHandler } from '../shared/http/handler';
import { ROUTE_INPUTS as inputs } from '../shared/schemas/routes';

const app = compose();
const push = app.pushService();

/**
 * POST /v1/push/respond — the phone's answer to a push prompt (R9), signed with its device
 * key. Public: the signature is the credential; a bad or stale one is refused and changes nothing.
 */
export const handler = httpHandler({ authenticate: capPerSource(app.requestCaps), log: app.log }, async (req) => {
  return { status: 200, body: await push.respond(req.json(inputs['POST /v1/push/respond'].body)) };
});
