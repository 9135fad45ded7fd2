import { routeHandler, signer } from '../shared/composition';
import { operatorSigningKeysInputs } from '../shared/schemas/routes';

const keys = signer();

/** POST /v1/operator/signing-keys — publish the next signing key; it signs after the JWKS max-age (R4). */
export const handler = routeHandler('operator-signing-keys', operatorSigningKeysInputs, {
  'POST /v1/operator/signing-keys': async (req, inputs) => {
    req.json(inputs.body);
    return { status: 201, body: await keys.rotate() };
  },
});
