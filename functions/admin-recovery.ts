import { accessPassService, recoveryCodeService, routeHandler } from '../shared/composition';
import { adminRecoveryInputs } from '../shared/schemas/routes';

const codes = recoveryCodeService();
const passes = accessPassService();

/** /v1/admin/users/{userId}/recovery-codes and …/access-passes — a user's recovery codes and Temporary Access Passes, from the console. */
export const handler = routeHandler('admin-recovery', adminRecoveryInputs, {
  'POST /v1/admin/users/{userId}/recovery-codes': async (req, inputs) => {
    req.json(inputs.body);
    return { status: 201, body: await codes.generate(req.principal, req.param('userId', inputs.params.userId), 'admin') };
  },
  'GET /v1/admin/users/{userId}/recovery-codes': async (req, inputs) => ({
    status: 200,
    body: await codes.status(req.principal, req.param('userId', inputs.params.userId)),
  }),
  'POST /v1/admin/users/{userId}/access-passes': async (req, inputs) => {
    const userId = req.param('userId', inputs.params.userId);
    return { status: 201, body: await passes.issue(req.principal, userId, req.json(inputs.body)) };
  },
  'GET /v1/admin/users/{userId}/access-passes': async (req, inputs) => ({
    status: 200,
    body: { items: await passes.list(req.principal, req.param('userId', inputs.params.userId)) },
  }),
  'DELETE /v1/admin/users/{userId}/access-passes/{passId}': async (req, inputs) => {
    await passes.revoke(req.principal, req.param('userId', inputs.params.userId), req.param('passId', inputs.params.passId));
    return { status: 204 };
  },
});
