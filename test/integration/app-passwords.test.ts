import { expectProblem, TestApi, type Tenant } from '../support/runtime';

let api: TestApi;
let acme: Tenant;
let other: Tenant;

const allow = (tenant: Tenant, allowed: boolean) =>
  api.request('PATCH', '/v1/admin/settings', { key: tenant.adminKey, body: { appPasswordsAllowed: allowed } });
const create = (tenant: Tenant, userId: string, name = 'Mail client') =>
  api.request<{ passwordId: string; password: string; name: string }>('POST', `/v1/admin/users/${userId}/app-passwords`, { key: tenant.adminKey, body: { name } });
const verify = (tenant: Tenant, userId: string, password: string) =>
  api.request('POST', '/v1/app-passwords/verify', { key: tenant.authKey, body: { userId, password } });

beforeAll(async () => {
  api = await TestApi.start();
  acme = await api.createTenant('Acme');
  other = await api.createTenant('Other');
});

afterAll(() => api.stop());

describe('R21 app passwords', () => {
  it('are refused while the tenant has them turned off (the default)', async () => {
    const { userId } = await api.newUser(acme, 'off');
    expectProblem(await create(acme, userId), 403, 'app-passwords-disabled');
    expectProblem(await verify(acme, userId, 'abcd-efgh-jkmn-pqrs'), 403, 'app-passwords-disabled');
  });

  it('lifecycle: shown once, listed without secrets, verified, deleted one by one or all at once', async () => {
    expect((await allow(acme, true)).status).toBe(200);
    const { userId } = await api.newUser(acme, 'life');
    const mail = await create(acme, userId, 'Mail');
    expect(mail.status).toBe(201);
    expect(mail.body.password).toMatch(/^[a-z2-9]{4}(-[a-z2-9]{4}){3}$/);
    const vpn = await create(acme, userId, 'VPN');

    const listed = await api.request<{ items: Record<string, unknown>[] }>('GET', `/v1/admin/users/${userId}/app-passwords`, { key: acme.adminKey });
    expect(listed.body.items.map((i) => i.name).sort()).toEqual(['Mail', 'VPN']);
    for (const item of listed.body.items) expect(Object.keys(item).sort()).toEqual(['createdAt', 'name', 'passwordId']);

    expect((await verify(acme, userId, mail.body.password)).body).toMatchObject({ valid: true, passwordId: mail.body.passwordId, name: 'Mail' });
    // Clients that drop the dashes or shout still work: the hash is of the canonical form.
    expect((await verify(acme, userId, mail.body.password.replace(/-/g, '').toUpperCase())).status).toBe(200);
    expectProblem(await verify(acme, userId, 'abcd-efgh-jkmn-pqrs'), 422, 'wrong-code');
    expectProblem(await verify(acme, 'nobody', mail.body.password), 422, 'wrong-code');

    expect((await api.request('DELETE', `/v1/admin/users/${userId}/app-passwords/${mail.body.passwordId}`, { key: acme.adminKey })).status).toBe(204);
    expectProblem(await verify(acme, userId, mail.body.password), 422, 'wrong-code');
    expect((await verify(acme, userId, vpn.body.password)).status).toBe(200);

    await create(acme, userId, 'Phone');
    const all = await api.request('DELETE', `/v1/admin/users/${userId}/app-passwords`, { key: acme.adminKey });
    expect(all.body).toEqual({ deleted: 2 });
    expectProblem(await verify(acme, userId, vpn.body.password), 422, 'wrong-code');

    // The tenant switch applies at once, to passwords already issued.
    const kept = await create(acme, userId, 'Kept');
    expect((await allow(acme, false)).status).toBe(200);
    expectProblem(await verify(acme, userId, kept.body.password), 403, 'app-passwords-disabled');
    await allow(acme, true);
  });

  it('a user has at most 10, so a verify costs at most 10 scrypt checks', async () => {
    const { userId } = await api.newUser(acme, 'cap');
    for (let i = 0; i < 10; i++) expect((await create(acme, userId, `p${i}`)).status).toBe(201);
    expectProblem(await create(acme, userId, 'one too many'), 409, 'conflict');
  });

  it('R27: another tenant can neither list, delete nor verify them', async () => {
    const { userId } = await api.newUser(acme, 'iso');
    const mine = await create(acme, userId);
    await allow(other, true);
    expectProblem(await api.request('GET', `/v1/admin/users/${userId}/app-passwords`, { key: other.adminKey }), 404, 'not-found');
    expectProblem(await api.request('DELETE', `/v1/admin/users/${userId}/app-passwords/${mine.body.passwordId}`, { key: other.adminKey }), 404, 'not-found');
    expectProblem(await verify(other, userId, mine.body.password), 422, 'wrong-code');
    expect((await verify(acme, userId, mine.body.password)).status).toBe(200);
  });

  it('R28: stored only as scrypt hashes', async () => {
    const { userId } = await api.newUser(acme, 'scan');
    const { password } = (await create(acme, userId)).body;
    const dump = JSON.stringify(await api.allItems());
    expect(dump).toContain('scrypt$');
    expect(dump).not.toContain(password);
    expect(dump).not.toContain(password.replace(/-/g, ''));
  });
});
