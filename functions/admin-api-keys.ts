import { compose } from '../shared/composition';
import { ApiKeyService } from '../shared/domain/api-keys';
import { httpHandler, tenantKey } from '../shared/http/handler';
import { DEFAULT_KEY_ROTATION_GRACE_SECONDS } from '../shared/rules';
import { ROUTE_INPUTS as inputs } from '../shared/schemas/routes';

const app = compose();
const keys = new ApiKeyService({ tenants: app.tenantStore, clock: app.clock });

/** /v1/admin/api-keys… — create (secret shown once), list, revoke, rotate with a grace period. */
export const handler = httpHandler({ authenticate: tenantKey(app.authenticator, 'admin'), log: app.log }, async (req) => {
  const { principal } = req;
  switch (req.route) {
    case 'POST /v1/admin/api-keys': {
      const { key, view } = await keys.create(principal, req.json(inputs['POST /v1/admin/api-keys'].body));
      return { status: 201, body: { ...view, key } };
    }
    case 'DELETE /v1/admin/api-keys/{keyId}':
      await keys.revoke(principal, req.param('keyId', inputs['DELETE /v1/admin/api-keys/{keyId}'].params.keyId));
      return { status: 204 };
    case 'POST /v1/admin/api-keys/{keyId}/rotate': {
      const route = inputs['POST /v1/admin/api-keys/{keyId}/rotate'];
      const keyId = req.param('keyId', route.params.keyId);
      const grace = req.json(route.body)?.graceSeconds ?? DEFAULT_KEY_ROTATION_GRACE_SECONDS;
      const { key, view } = await keys.rotate(principal, keyId, grace);
      return { status: 201, body: { ...view, key } };
    }
    default:
      return { status: 200, body: { items: await keys.list(principal) } };
  }
});
