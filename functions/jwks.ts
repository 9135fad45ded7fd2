import { compose } from '../shared/composition';
import { anyone, httpHandler } from '../shared/http/handler';
import { JWKS_MAX_AGE_SECONDS } from '../shared/rules';

const app = compose();

/** GET /.well-known/jwks.json — public keys for checking assertions offline (R4). */
export const handler = httpHandler({ authenticate: anyone, log: app.log }, async () => ({
  status: 200,
  body: await app.signer.jwks(),
  headers: { 'cache-control': `public, max-age=${JWKS_MAX_AGE_SECONDS}` },
}));
