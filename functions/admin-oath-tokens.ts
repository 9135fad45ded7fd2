import { compose } from '../shared/composition';
import { OathTokenService } from '../shared/domain/otp/oath-tokens';
import { httpHandler, tenantKey } from '../shared/http/handler';
import { validate } from '../shared/http/request';
import { OATH_IMPORT_TYPES, ROUTE_INPUTS as inputs } from '../shared/schemas/routes';

const app = compose();
const tokens = new OathTokenService({ store: app.otpStore, users: app.tenantStore, box: app.box, clock: app.clock, cursors: app.cursors });

const CSV = OATH_IMPORT_TYPES.csv;
const upload = inputs['POST /v1/admin/oath-tokens:import'];

/** /v1/admin/oath-tokens… — import (CSV or PSKC), list, assign, unassign and resync hardware tokens (R22, R5). */
export const handler = httpHandler({ authenticate: tenantKey(app.authenticator, 'admin'), log: app.log }, async (req) => {
  const { principal } = req;
  if (req.route === 'GET /v1/admin/oath-tokens') return { status: 200, body: await tokens.list(principal, req.query(inputs['GET /v1/admin/oath-tokens'].query)) };
  if (req.route === 'POST /v1/admin/oath-tokens:import') {
    const body = req.text(upload.text.contentTypes, upload.text.maxBytes);
    if ((req.header('content-type') ?? '').toLowerCase().startsWith(CSV)) return { status: 200, body: await tokens.import(principal, { format: 'csv' }, body) };
    // The pre-shared key comes in a header, never the query string, which access logs keep.
    const key = req.header('tessera-pskc-key');
    const preSharedKey = key === undefined ? undefined : Buffer.from(validate(upload.headers['Tessera-PSKC-Key'], key, 'Tessera-PSKC-Key header'), 'hex');
    try {
      return { status: 200, body: await tokens.import(principal, { format: 'pskc', ...(preSharedKey ? { preSharedKey } : {}) }, body) };
    } finally {
      preSharedKey?.fill(0);
    }
  }
  const serial = req.param('serial', inputs['POST /v1/admin/oath-tokens/{serial}/assign'].params.serial);
  switch (req.route) {
    case 'POST /v1/admin/oath-tokens/{serial}/assign':
      return { status: 200, body: await tokens.assign(principal, serial, req.json(inputs['POST /v1/admin/oath-tokens/{serial}/assign'].body).userId) };
    case 'POST /v1/admin/oath-tokens/{serial}/unassign':
      return { status: 200, body: await tokens.unassign(principal, serial) };
    default:
      return { status: 200, body: await tokens.resync(principal, serial, req.json(inputs['POST /v1/admin/oath-tokens/{serial}/resync'].body)) };
  }
});
