import { routeHandler, signer } from '../shared/composition';
import { JWKS_MAX_AGE_SECONDS } from '../shared/rules';
import { jwksInputs } from '../shared/schemas/routes';

const keys = signer();

/** GET /.well-known/jwks.json — public keys for checking assertions offline (R4). */
export const handler = routeHandler('jwks', jwksInputs, {
  'GET /.well-known/jwks.json': async () => ({
    status: 200,
    body: await keys.jwks(),
    headers: { 'cache-control': `public, max-age=${JWKS_MAX_AGE_SECONDS}` },
  }),
});
