import { challengeService, routeHandler } from '../shared/composition';
import { validate } from '../shared/http/request';
import { createChallengeInputs } from '../shared/schemas/routes';

const challenges = challengeService();

/** POST /v1/challenges — start a second-factor challenge for a user: a text (R1, R16), a call (R10–R15) or a push (R9). */
export const handler = routeHandler('create-challenge', createChallengeInputs, {
  'POST /v1/challenges': async (req, inputs) => {
    const body = req.json(inputs.body);
    const rawKey = req.header('idempotency-key');
    const key = rawKey === undefined ? undefined : validate(inputs.headers['Idempotency-Key'], rawKey, 'Idempotency-Key header');
    const { view, replayed } = await challenges.create(req.principal, body, key);
    return { status: 201, body: view, headers: { 'idempotent-replayed': String(replayed) } };
  },
});
