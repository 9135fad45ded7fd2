import { apiKeyService, routeHandler } from '../shared/composition';
import { DEFAULT_KEY_ROTATION_GRACE_SECONDS } from '../shared/rules';
import { adminApiKeysInputs } from '../shared/schemas/routes';

const keys = apiKeyService();

/** /v1/admin/api-keys… — create (secret shown once), list, revoke, rotate with a grace period. */
export const handler = routeHandler('admin-api-keys', adminApiKeysInputs, {
  'GET /v1/admin/api-keys': async (req) => ({ status: 200, body: { items: await keys.list(req.principal) } }),
  'POST /v1/admin/api-keys': async (req, inputs) => {
    const { key, view } = await keys.create(req.principal, req.json(inputs.body));
    return { status: 201, body: { ...view, key } };
  },
  'DELETE /v1/admin/api-keys/{keyId}': async (req, inputs) => {
    await keys.revoke(req.principal, req.param('keyId', inputs.params.keyId));
    return { status: 204 };
  },
  'POST /v1/admin/api-keys/{keyId}/rotate': async (req, inputs) => {
    const keyId = req.param('keyId', inputs.params.keyId);
    const grace = req.json(inputs.body)?.graceSeconds ?? DEFAULT_KEY_ROTATION_GRACE_SECONDS;
    const { key, view } = await keys.rotate(req.principal, keyId, grace);
    return { status: 201, body: { ...view, key } };
  },
});
