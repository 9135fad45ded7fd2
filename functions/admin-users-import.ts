import { routeHandler, tenantStore, userService } from '../shared/composition';
import { importUsers } from '../shared/domain/user-import';
import { adminUsersImportInputs } from '../shared/schemas/routes';

const users = userService();
const store = tenantStore();

/** POST /v1/admin/users:import — bulk import from CSV with a per-row report (R19). */
export const handler = routeHandler('admin-users-import', adminUsersImportInputs, {
  'POST /v1/admin/users:import': async (req, inputs) => {
    const csv = req.text(inputs.text.contentTypes, inputs.text.maxBytes);
    return { status: 200, body: await importUsers({ users, store }, req.principal, csv) };
  },
});
