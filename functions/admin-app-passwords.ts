import { compose } from '../shared/composition';
import { AppPasswordService } from '../shared/domain/app-password-service';
import { httpHandler, tenantKey } from '../shared/http/handler';
import { appPasswordIdSchema, createAppPasswordBody, userIdSchema } from '../shared/schemas';

const app = compose();
const passwords = new AppPasswordService({ store: app.otpStore, users: app.tenantStore, clock: app.clock });

/** /v1/admin/users/{userId}/app-passwords… — create (shown once), list without secrets, delete one or all (R21). */
export const handler = httpHandler({ authenticate: tenantKey(app.authenticator, 'admin'), log: app.log }, async (req) => {
  const { principal } = req;
  const userId = req.param('userId', userIdSchema);
  switch (req.route) {
    case 'POST /v1/admin/users/{userId}/app-passwords':
      return { status: 201, body: await passwords.create(principal, userId, req.json(createAppPasswordBody).name) };
    case 'DELETE /v1/admin/users/{userId}/app-passwords':
      return { status: 200, body: { deleted: await passwords.deleteAll(principal, userId) } };
    case 'DELETE /v1/admin/users/{userId}/app-passwords/{passwordId}':
      await passwords.delete(principal, userId, req.param('passwordId', appPasswordIdSchema));
      return { status: 204 };
    default:
      return { status: 200, body: { items: await passwords.list(principal, userId) } };
  }
});
