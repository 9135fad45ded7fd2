import { phoneClassifier } from '../shared/adapters/phone/classifiers';
import { compose } from '../shared/composition';
import { importUsers } from '../shared/domain/user-import';
import { UserService } from '../shared/domain/users';
import { httpHandler, tenantKey } from '../shared/http/handler';
import { ROUTE_INPUTS as inputs } from '../shared/schemas/routes';

const app = compose();
const users = new UserService({ users: app.tenantStore, credentials: app.userCredentials, clock: app.clock, phones: phoneClassifier(app.config), notifications: app.notifications, cursors: app.cursors });

/** POST /v1/admin/users:import — bulk import from CSV with a per-row report (R19). */
export const handler = httpHandler({ authenticate: tenantKey(app.authenticator, 'admin'), log: app.log }, async (req) => {
  const { contentTypes, maxBytes } = inputs['POST /v1/admin/users:import'].text;
  const csv = req.text(contentTypes, maxBytes);
  return { status: 200, body: await importUsers({ users, store: app.tenantStore }, req.principal, csv) };
});
