import { compose } from '../shared/composition';
import { AppPasswordService } from '../shared/domain/app-password-service';
import { httpHandler, tenantKey } from '../shared/http/handler';
import { ROUTE_INPUTS as inputs } from '../shared/schemas/routes';

const app = compose();
const passwords = new AppPasswordService({ store: app.otpStore, users: app.tenantStore, clock: app.clock, logs: app.logStore });

/** POST /v1/app-passwords/verify — a legacy client's sign-in with an app password (R21). */
export const handler = httpHandler({ authenticate: tenantKey(app.authenticator, 'auth'), log: app.log }, async (req) => {
  const { userId, password } = req.json(inputs['POST /v1/app-passwords/verify'].body);
  return { status: 200, body: await passwords.verify(req.principal, userId, password) };
});
