import { clock, routeHandler, throttleStore, userService } from '../shared/composition';
import { tenantLimits, throttleView } from '../shared/domain/throttling';
import { adminUsersInputs } from '../shared/schemas/routes';

const users = userService();
const throttle = throttleStore();
const time = clock();

/** /v1/admin/users… — a tenant admin manages its users (R19, R20, R27, R30). */
export const handler = routeHandler('admin-users', adminUsersInputs, {
  'GET /v1/admin/users': async (req, inputs) => ({ status: 200, body: await users.list(req.principal, req.query(inputs.query)) }),
  'GET /v1/admin/users/{userId}': async (req, inputs) => {
    const { principal } = req;
    const userId = req.param('userId', inputs.params.userId);
    const [user, state] = await Promise.all([users.get(principal, userId), throttle.getUserState(principal.tenantId, userId)]);
    const limit = tenantLimits(principal.tenant).challengesPerUserPerWindow;
    return { status: 200, body: { ...user, throttling: throttleView(state, time.now(), limit) } };
  },
  'PUT /v1/admin/users/{userId}': async (req, inputs) => {
    const userId = req.param('userId', inputs.params.userId);
    const { user, created } = await users.put(req.principal, userId, req.json(inputs.body));
    return { status: created ? 201 : 200, body: user };
  },
  'PATCH /v1/admin/users/{userId}': async (req, inputs) => {
    const userId = req.param('userId', inputs.params.userId);
    return { status: 200, body: await users.patch(req.principal, userId, req.json(inputs.body)) };
  },
  'DELETE /v1/admin/users/{userId}': async (req, inputs) => {
    await users.delete(req.principal, req.param('userId', inputs.params.userId));
    return { status: 204 };
  },
  'POST /v1/admin/users/{userId}/reset': async (req, inputs) => ({ status: 200, body: await users.reset(req.principal, req.param('userId', inputs.params.userId)) }),
  'POST /v1/admin/users/{userId}/block': async (req, inputs) => {
    const userId = req.param('userId', inputs.params.userId);
    return { status: 200, body: await users.block(req.principal, userId, req.json(inputs.body)?.reason ?? 'blocked by an admin') };
  },
  'POST /v1/admin/users/{userId}/unblock': async (req, inputs) => ({ status: 200, body: await users.unblock(req.principal, req.param('userId', inputs.params.userId)) }),
  'DELETE /v1/admin/users/{userId}/throttling': async (req, inputs) => {
    const userId = req.param('userId', inputs.params.userId);
    await users.get(req.principal, userId);
    await throttle.clear(req.principal.tenantId, userId);
    return { status: 204 };
  },
});
