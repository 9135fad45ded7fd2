import { compose } from '../shared/composition';
import { AppPasswordService } from '../shared/domain/app-password-service';
import { httpHandler, tenantKey } from '../shared/http/handler';
import { ROUTE_INPUTS as inputs } from '../shared/schemas/routes';

const app = compose();
const passwords = new AppPasswordService({ store: app.otpStore, users: app.tenantStore, clock: app.clock });

/** /v1/admin/users/{userId}/app-passwords… — create (shown once), list without secrets, delete one or all (R21). */
export const handler = httpHandler({ authenticate: tenantKey(app.authenticator, 'admin'), log: app.log }, async (req) => {
  const { principal } = req;
  const userId = req.param('userId', inputs['GET /v1/admin/users/{userId}/app-passwords'].params.userId);
  switch (req.route) {
    case 'POST /v1/admin/users/{userId}/app-passwords':
      return { status: 201, body: await passwords.create(principal, userId, req.json(inputs['POST /v1/admin/users/{userId}/app-passwords'].body).name) };
    case 'DELETE /v1/admin/users/{userId}/app-passwords':
      return { status: 200, body: { deleted: await passwords.deleteAll(principal, userId) } };
    case 'DELETE /v1/admin/users/{userId}/app-passwords/{passwordId}':
      await passwords.delete(principal, userId, req.param('passwordId', inputs['DELETE /v1/admin/users/{userId}/app-passwords/{passwordId}'].params.passwordId));
      return { status: 204 };
    default:
      return { status: 200, body: { items: await passwords.list(principal, userId) } };
  }
});
