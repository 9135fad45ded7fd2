import { pushActivation, routeHandler } from '../shared/composition';
import { pushActivateInputs } from '../shared/schemas/routes';

const push = pushActivation();

/**
 * POST /v1/push/activate — the phone trades a one-time activation code for its device id and
 * device key (R18). Public: the code is the credential (random, single use, short-lived).
 */
export const handler = routeHandler(
  'push-activate',
  pushActivateInputs,
  { 'POST /v1/push/activate': async (req, inputs) => ({ status: 201, body: await push.activate(req.json(inputs.body)) }) },
);
