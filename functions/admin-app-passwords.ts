import { appPasswordService, routeHandler } from '../shared/composition';
import { adminAppPasswordsInputs } from '../shared/schemas/routes';

const passwords = appPasswordService();

/** /v1/admin/users/{userId}/app-passwords… — create (shown once), list without secrets, delete one or all (R21). */
export const handler = routeHandler('admin-app-passwords', adminAppPasswordsInputs, {
  'POST /v1/admin/users/{userId}/app-passwords': async (req, inputs) => {
    const userId = req.param('userId', inputs.params.userId);
    return { status: 201, body: await passwords.create(req.principal, userId, req.json(inputs.body).name) };
  },
  'GET /v1/admin/users/{userId}/app-passwords': async (req, inputs) => ({
    status: 200,
    body: { items: await passwords.list(req.principal, req.param('userId', inputs.params.userId)) },
  }),
  'DELETE /v1/admin/users/{userId}/app-passwords': async (req, inputs) => ({
    status: 200,
    body: { deleted: await passwords.deleteAll(req.principal, req.param('userId', inputs.params.userId)) },
  }),
  'DELETE /v1/admin/users/{userId}/app-passwords/{passwordId}': async (req, inputs) => {
    const userId = req.param('userId', inputs.params.userId);
    await passwords.delete(req.principal, userId, req.param('passwordId', inputs.params.passwordId));
    return { status: 204 };
  },
});
