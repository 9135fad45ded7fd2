import { jobService, routeHandler } from '../shared/composition';
import { adminJobsInputs } from '../shared/schemas/routes';

const jobs = jobService();

/** /v1/admin/jobs… — bulk imports (users, OATH tokens) and the users export (R19, R22), only ever the caller's tenant's (R27). */
export const handler = routeHandler('admin-jobs', adminJobsInputs, {
  'POST /v1/admin/jobs': async (req, inputs) => ({ status: 202, body: await jobs.create(req.principal, req.json(inputs.body)) }),
  'GET /v1/admin/jobs/{jobId}': async (req, inputs) => ({ status: 200, body: await jobs.get(req.principal, req.param('jobId', inputs.params.jobId)) }),
  'POST /v1/admin/jobs/{jobId}/start': async (req, inputs) => {
    req.json(inputs.body);
    return { status: 202, body: await jobs.start(req.principal, req.param('jobId', inputs.params.jobId)) };
  },
  'POST /v1/admin/jobs/{jobId}/cancel': async (req, inputs) => {
    req.json(inputs.body);
    return { status: 200, body: await jobs.cancel(req.principal, req.param('jobId', inputs.params.jobId)) };
  },
  'GET /v1/admin/jobs/{jobId}/download': async (req, inputs) => ({ status: 200, body: await jobs.download(req.principal, req.param('jobId', inputs.params.jobId)) }),
});
