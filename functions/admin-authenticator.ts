import { compose } from '../shared/composition';
import { AuthenticatorService } from '../shared/domain/otp/authenticator';
import { httpHandler, tenantKey } from '../shared/http/handler';
import { ROUTE_INPUTS as inputs } from '../shared/schemas/routes';

const app = compose();
const authenticators = new AuthenticatorService({ store: app.otpStore, users: app.tenantStore, box: app.box, clock: app.clock });

/** /v1/admin/users/{userId}/authenticator… — enrol (secret shown once), confirm with a code, remove (R5). */
export const handler = httpHandler({ authenticate: tenantKey(app.authenticator, 'admin'), log: app.log }, async (req) => {
  const userId = req.param('userId', inputs['POST /v1/admin/users/{userId}/authenticator'].params.userId);
  switch (req.route) {
    case 'POST /v1/admin/users/{userId}/authenticator/confirm':
      return { status: 200, body: await authenticators.confirm(req.principal, userId, req.json(inputs['POST /v1/admin/users/{userId}/authenticator/confirm'].body)) };
    case 'DELETE /v1/admin/users/{userId}/authenticator':
      await authenticators.remove(req.principal, userId);
      return { status: 204 };
    default:
      return { status: 201, body: await authenticators.enroll(req.principal, userId) };
  }
});
