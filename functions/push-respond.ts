import { pushServiceSendingNothing, routeHandler } from '../shared/composition';
import { pushRespondInputs } from '../shared/schemas/routes';

const push = pushServiceSendingNothing();

/**
 * POST /v1/push/respond — the phone's answer to a push prompt (R9), signed with its device
 * key. Public: the signature is the credential; a bad or stale one is refused and changes nothing.
 */
export const handler = routeHandler(
  'push-respond',
  pushRespondInputs,
  { 'POST /v1/push/respond': async (req, inputs) => ({ status: 200, body: await push.respond(req.json(inputs.body)) }) },
);
