import { phoneClassifier } from '../shared/adapters/phone/classifiers';
import { compose } from '../shared/composition';
import { tenantLimits, throttleView } from '../shared/domain/throttling';
import { UserService } from '../shared/domain/users';
import { httpHandler, tenantKey } from '../shared/http/handler';
import { ROUTE_INPUTS as inputs } from '../shared/schemas/routes';

const app = compose();
const users = new UserService({ users: app.tenantStore, credentials: app.userCredentials, clock: app.clock, phones: phoneClassifier(app.config), notifications: app.notifications, cursors: app.cursors });

/** /v1/admin/users… — a tenant admin manages its users (R19, R20, R27, R30). */
export const handler = httpHandler({ authenticate: tenantKey(app.authenticator, 'admin'), log: app.log }, async (req) => {
  const { principal } = req;
  if (req.route === 'GET /v1/admin/users') return { status: 200, body: await users.list(principal, req.query(inputs['GET /v1/admin/users'].query)) };
  const userId = req.param('userId', inputs['GET /v1/admin/users/{userId}'].params.userId);
  switch (req.route) {
    case 'PUT /v1/admin/users/{userId}': {
      const { user, created } = await users.put(principal, userId, req.json(inputs['PUT /v1/admin/users/{userId}'].body));
      return { status: created ? 201 : 200, body: user };
    }
    case 'PATCH /v1/admin/users/{userId}':
      return { status: 200, body: await users.patch(principal, userId, req.json(inputs['PATCH /v1/admin/users/{userId}'].body)) };
    case 'DELETE /v1/admin/users/{userId}':
      await users.delete(principal, userId);
      return { status: 204 };
    case 'POST /v1/admin/users/{userId}/reset':
      return { status: 200, body: await users.reset(principal, userId) };
    case 'POST /v1/admin/users/{userId}/block':
      return { status: 200, body: await users.block(principal, userId, req.json(inputs['POST /v1/admin/users/{userId}/block'].body)?.reason ?? 'blocked by an admin') };
    case 'POST /v1/admin/users/{userId}/unblock':
      return { status: 200, body: await users.unblock(principal, userId) };
    case 'DELETE /v1/admin/users/{userId}/throttling':
      await users.get(principal, userId);
      await app.throttleStore.clear(principal.tenantId, userId);
      return { status: 204 };
    default: {
      const [user, state] = await Promise.all([users.get(principal, userId), app.throttleStore.getUserState(principal.tenantId, userId)]);
      const limit = tenantLimits(principal.tenant).challengesPerUserPerWindow;
      return { status: 200, body: { ...user, throttling: throttleView(state, app.clock.now(), limit) } };
    }
  }
});
