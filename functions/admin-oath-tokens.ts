import { compose } from '../shared/composition';
import { OathTokenService } from '../shared/domain/otp/oath-tokens';
import { httpHandler, tenantKey } from '../shared/http/handler';
import { validate } from '../shared/http/request';
import { OATH_IMPORT_MAX_BYTES } from '../shared/rules';
import { assignOathTokenBody, oathSerialSchema, oathTokensQuery, pskcKeySchema, resyncOathTokenBody } from '../shared/schemas';

const app = compose();
const tokens = new OathTokenService({ store: app.otpStore, users: app.tenantStore, box: app.box, clock: app.clock });

const CSV = 'text/csv';
const PSKC = ['application/pskc+xml', 'application/xml', 'text/xml'];

/** /v1/admin/oath-tokens… — import (CSV or PSKC), list, assign, unassign and resync hardware tokens (R22, R5). */
export const handler = httpHandler({ authenticate: tenantKey(app.authenticator, 'admin'), log: app.log }, async (req) => {
  const { principal } = req;
  if (req.route === 'GET /v1/admin/oath-tokens') return { status: 200, body: await tokens.list(principal, req.query(oathTokensQuery)) };
  if (req.route === 'POST /v1/admin/oath-tokens:import') {
    const body = req.text([CSV, ...PSKC], OATH_IMPORT_MAX_BYTES);
    if ((req.header('content-type') ?? '').toLowerCase().startsWith(CSV)) return { status: 200, body: await tokens.import(principal, { format: 'csv' }, body) };
    // The pre-shared key comes in a header, never the query string, which access logs keep.
    const key = req.header('tessera-pskc-key');
    const preSharedKey = key === undefined ? undefined : Buffer.from(validate(pskcKeySchema, key, 'Tessera-PSKC-Key header'), 'hex');
    try {
      return { status: 200, body: await tokens.import(principal, { format: 'pskc', ...(preSharedKey ? { preSharedKey } : {}) }, body) };
    } finally {
      preSharedKey?.fill(0);
    }
  }
  const serial = req.param('serial', oathSerialSchema);
  switch (req.route) {
    case 'POST /v1/admin/oath-tokens/{serial}/assign':
      return { status: 200, body: await tokens.assign(principal, serial, req.json(assignOathTokenBody).userId) };
    case 'POST /v1/admin/oath-tokens/{serial}/unassign':
      return { status: 200, body: await tokens.unassign(principal, serial) };
    default:
      return { status: 200, body: await tokens.resync(principal, serial, req.json(resyncOathTokenBody)) };
  }
});
