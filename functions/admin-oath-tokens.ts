import { oathTokenService, routeHandler } from '../shared/composition';
import { validate } from '../shared/http/request';
import { adminOathTokensInputs, OATH_IMPORT_TYPES } from '../shared/schemas/routes';

const tokens = oathTokenService();

const CSV = OATH_IMPORT_TYPES.csv;

/** /v1/admin/oath-tokens… — import (CSV or PSKC), list, assign, unassign and resync hardware tokens (R22, R5). */
export const handler = routeHandler('admin-oath-tokens', adminOathTokensInputs, {
  'GET /v1/admin/oath-tokens': async (req, inputs) => ({ status: 200, body: await tokens.list(req.principal, req.query(inputs.query)) }),
  'POST /v1/admin/oath-tokens:import': async (req, upload) => {
    const body = req.text(upload.text.contentTypes, upload.text.maxBytes);
    if ((req.header('content-type') ?? '').toLowerCase().startsWith(CSV)) return { status: 200, body: await tokens.import(req.principal, { format: 'csv' }, body) };
    // The pre-shared key comes in a header, never the query string, which access logs keep.
    const key = req.header('tessera-pskc-key');
    const preSharedKey = key === undefined ? undefined : Buffer.from(validate(upload.headers['Tessera-PSKC-Key'], key, 'Tessera-PSKC-Key header'), 'hex');
    try {
      return { status: 200, body: await tokens.import(req.principal, { format: 'pskc', ...(preSharedKey ? { preSharedKey } : {}) }, body) };
    } finally {
      preSharedKey?.fill(0);
    }
  },
  'POST /v1/admin/oath-tokens/{serial}/assign': async (req, inputs) => {
    const serial = req.param('serial', inputs.params.serial);
    return { status: 200, body: await tokens.assign(req.principal, serial, req.json(inputs.body).userId) };
  },
  'POST /v1/admin/oath-tokens/{serial}/unassign': async (req, inputs) => ({
    status: 200,
    body: await tokens.unassign(req.principal, req.param('serial', inputs.params.serial)),
  }),
  'POST /v1/admin/oath-tokens/{serial}/resync': async (req, inputs) => {
    const serial = req.param('serial', inputs.params.serial);
    return { status: 200, body: await tokens.resync(req.principal, serial, req.json(inputs.body)) };
  },
});
