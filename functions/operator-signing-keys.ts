import { compose } from '../shared/composition';
import { httpHandler, operatorKey } from '../shared/http/handler';
import { ROUTE_INPUTS as inputs } from '../shared/schemas/routes';

const app = compose();

/** POST /v1/operator/signing-keys — publish the next signing key; it signs after the JWKS max-age (R4). */
export const handler = httpHandler({ authenticate: operatorKey(app.config.operatorKeySha256), log: app.log }, async (req) => {
  req.json(inputs['POST /v1/operator/signing-keys'].body);
  return { status: 201, body: await app.signer.rotate() };
});
