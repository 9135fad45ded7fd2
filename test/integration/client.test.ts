import { createRemoteJWKSet, jwtVerify } from 'jose';
import type * as z from 'zod';
import { ROUTE_DOCS } from '../../shared/api/docs';
import { createTesseraClient, TesseraError, type RouteKey, type TesseraClient } from '../../shared/client';
import { SoftwareAuthenticator } from '../support/authenticator';
import { TestApi } from '../support/runtime';

let api: TestApi;
let operator: TesseraClient;

beforeAll(async () => {
  api = await TestApi.start();
  operator = createTesseraClient({ baseUrl: api.url, apiKey: api.runtime.operatorKey });
});

afterAll(() => api.stop());

/** The answer matches the schema the OpenAPI document gives for that route (one of its 2xx). */
function documented<T>(route: RouteKey, value: T): T {
  const answers = Object.values(ROUTE_DOCS[route].responses as Record<number, { schema: z.ZodType | null }>);
  const failures = answers.map((a) => (a.schema ? a.schema.safeParse(value) : { success: value === undefined, error: 'expected no content' }));
  if (!failures.some((f) => f.success)) throw new Error(`${route} answered outside its documented schema: ${JSON.stringify(failures.map((f) => f.error))}`);
  return value;
}

const rejection = async (promise: Promise<unknown>): Promise<TesseraError> => {
  try {
    await promise;
  } catch (error) {
    if (error instanceof TesseraError) return error;
    throw error;
  }
  throw new Error('expected a TesseraError');
};

describe('the typed client', () => {
  it('an operator creates a tenant; its admin manages a user; the relying app signs the user in by SMS', async () => {
    const tenant = documented('POST /v1/operator/tenants', await operator.operator.createTenant({ name: 'Client Co', provider: { billingModel: 'per_authentication' } }));
    const admin = createTesseraClient({ baseUrl: `${api.url}/`, apiKey: tenant.adminKey });
    const app = createTesseraClient({ baseUrl: api.url, apiKey: tenant.authKey });

    const phone = '+14155557001';
    const created = documented('PUT /v1/admin/users/{userId}', await admin.admin.users.put('grace', { mfaEnabled: true, firstName: 'Grace', phones: { primary: phone } }));
    expect(created).toMatchObject({ userId: 'grace', mfaEnabled: true, phones: { primary: { e164: phone, country: 'US' } } });
    const listed = documented('GET /v1/admin/users', await admin.admin.users.list({ prefix: 'gr', limit: 10 }));
    expect(listed.items.map((u) => u.userId)).toEqual(['grace']);
    documented('GET /v1/admin/users/{userId}', await admin.admin.users.get('grace'));

    const challenge = documented('POST /v1/challenges', await app.challenges.create({ userId: 'grace', method: 'sms', context: { appName: 'Client test' } }, 'client-1'));
    expect(challenge).toMatchObject({ status: 'pending', method: 'sms', userId: 'grace' });
    const code = await api.latestCode(phone);

    const wrong = await rejection(app.challenges.verify(challenge.challengeId, code === '000000' ? '111111' : '000000'));
    expect(wrong).toMatchObject({ status: 422, code: 'wrong-code', problem: { attemptsRemaining: 4 } });

    const approved = documented('POST /v1/challenges/{challengeId}/verify', await app.challenges.verify(challenge.challengeId, code));
    expect(approved.status).toBe('approved');
    const { payload } = await jwtVerify(approved.assertion, createRemoteJWKSet(new URL(`${api.url}/.well-known/jwks.json`)), {
      issuer: api.url,
      audience: tenant.tenantId,
      currentDate: new Date(Date.parse(approved.createdAt)),
    });
    expect(payload).toMatchObject({ sub: 'grace', amr: ['sms'] });
    expect(documented('GET /v1/challenges/{challengeId}', await app.challenges.waitUntilDone(challenge.challengeId)).status).toBe('approved');
    documented('GET /.well-known/jwks.json', await app.jwks());

    const month = approved.createdAt.slice(0, 7);
    const usage = documented('GET /v1/admin/usage', await admin.admin.usage(month));
    expect(usage.totals.byMethod.sms).toBeGreaterThanOrEqual(1);
    const logs = documented('GET /v1/admin/auth-logs', await admin.admin.authLogs({ userId: 'grace', result: 'approved' }));
    expect(logs.items).toEqual([expect.objectContaining({ userId: 'grace', method: 'sms', result: 'approved', challengeId: challenge.challengeId })]);
    documented('GET /v1/admin/billing', await admin.admin.bill(month));
    expect(documented('GET /v1/admin/provider', await admin.admin.provider.get()).billingModel).toBe('per_authentication');
  });

  it('admin calls: settings, block and unblock, app passwords; errors are TesseraErrors with the problem', async () => {
    const tenant = await operator.operator.createTenant({ name: 'Admin Co', provider: { billingModel: 'per_user' } });
    const admin = createTesseraClient({ baseUrl: api.url, apiKey: tenant.adminKey });
    const app = createTesseraClient({ baseUrl: api.url, apiKey: tenant.authKey });
    await admin.admin.users.put('lin', { mfaEnabled: true, phones: { primary: '+14155557002' } });

    const settings = documented('PATCH /v1/admin/settings', await admin.admin.settings.patch({ appPasswordsAllowed: true }));
    expect(settings.appPasswordsAllowed).toBe(true);
    const password = documented('POST /v1/admin/users/{userId}/app-passwords', await admin.admin.appPasswords.create('lin', 'Mail'));
    documented('POST /v1/app-passwords/verify', await app.appPasswords.verify('lin', password.password));
    expect(documented('GET /v1/admin/users/{userId}/app-passwords', await admin.admin.appPasswords.list('lin')).items).toHaveLength(1);
    expect(await admin.admin.appPasswords.deleteAll('lin')).toEqual({ deleted: 1 });

    const blocked = documented('POST /v1/admin/users/{userId}/block', await admin.admin.users.block('lin', 'lost phone'));
    expect(blocked.blocked?.reason).toBe('lost phone');
    expect(await rejection(app.challenges.create({ userId: 'lin' }))).toMatchObject({ status: 403, code: 'user-blocked' });
    expect(documented('POST /v1/admin/users/{userId}/unblock', await admin.admin.users.unblock('lin')).blocked).toBeUndefined();
    expect(await admin.admin.users.delete('lin')).toBeUndefined();

    const missing = await rejection(admin.admin.users.get('lin'));
    expect(missing).toMatchObject({ status: 404, code: 'not-found', problem: { type: 'urn:tessera:problem:not-found' } });
    const badInput = await rejection(admin.call('PUT /v1/admin/users/{userId}', { params: { userId: 'bad id' }, body: { mfaEnabled: true, phones: {} } }));
    expect(badInput.status).toBe(400);
    expect(await rejection(app.admin.users.list())).toMatchObject({ status: 403 });
    expect(await rejection(createTesseraClient({ baseUrl: api.url }).admin.users.list())).toMatchObject({ status: 401 });
  });

  it('remembered devices: the setting, remember and check by the relying app, list and revoke all by the console', async () => {
    const tenant = await operator.operator.createTenant({ name: 'Remember Co', provider: { billingModel: 'per_authentication' } });
    const admin = createTesseraClient({ baseUrl: api.url, apiKey: tenant.adminKey });
    const app = createTesseraClient({ baseUrl: api.url, apiKey: tenant.authKey });
    await admin.admin.users.put('mo', { mfaEnabled: true, phones: { primary: '+14155557003' } });
    const off = await rejection(app.rememberedDevices.check('mo', `rdt_${'A'.repeat(43)}`, 'cookie-hash-0123456789'));
    expect(off).toMatchObject({ status: 409, code: 'remembered-devices-disabled' });
    expect(documented('PATCH /v1/admin/settings', await admin.admin.settings.patch({ rememberedDevices: { enabled: true, days: 14 } })).rememberedDevices).toEqual({ enabled: true, days: 14 });
    const challenge = await app.challenges.create({ userId: 'mo', method: 'sms' });
    await app.challenges.verify(challenge.challengeId, await api.latestCode('+14155557003'));
    const issued = documented('POST /v1/remembered-devices', await app.rememberedDevices.remember(challenge.challengeId, 'cookie-hash-0123456789'));
    const checked = documented('POST /v1/remembered-devices/check', await app.rememberedDevices.check('mo', issued.token, 'cookie-hash-0123456789'));
    expect(checked).toEqual({ status: 'remembered', expiresAt: issued.expiresAt });
    expect(documented('GET /v1/admin/users/{userId}/remembered-devices', await admin.admin.rememberedDevices.list('mo')).count).toBe(1);
    expect(documented('DELETE /v1/admin/users/{userId}/remembered-devices', await admin.admin.rememberedDevices.revokeAll('mo'))).toEqual({ revoked: 1 });
    expect((await app.rememberedDevices.check('mo', issued.token, 'cookie-hash-0123456789')).status).toBe('revoked');
  });

  it('passkeys: the policy, registration by the console and by the relying app, sign-in, rename, list and delete', async () => {
    const origin = 'https://login.client.example';
    const tenant = await operator.operator.createTenant({ name: 'Passkey Co', provider: { billingModel: 'per_authentication' } });
    const admin = createTesseraClient({ baseUrl: api.url, apiKey: tenant.adminKey });
    const app = createTesseraClient({ baseUrl: api.url, apiKey: tenant.authKey });
    const settings = documented('PATCH /v1/admin/settings', await admin.admin.settings.patch({ passkeys: { rpId: 'client.example', rpName: 'Client', origins: [origin] } }));
    expect(settings.passkeys).toMatchObject({ rpId: 'client.example', userVerification: 'required' });
    await admin.admin.users.put('ada', { mfaEnabled: true, phones: {} });

    const authenticator = new SoftwareAuthenticator();
    const first = documented('POST /v1/passkeys/registrations', await app.passkeys.startRegistration('ada'));
    const laptop = documented(
      'POST /v1/passkeys/registrations/{registrationId}',
      await app.passkeys.finishRegistration(first.registrationId, authenticator.create(first.options, origin), 'Laptop'),
    );
    expect(laptop.passkey.name).toBe('Laptop');
    expect(await rejection(app.passkeys.startRegistration('ada'))).toMatchObject({ status: 403, code: 'step-up-required' });

    const second = documented('POST /v1/admin/users/{userId}/passkeys/registrations', await admin.admin.passkeys.startRegistration('ada'));
    const key = new SoftwareAuthenticator({ attestation: 'packed', alg: 'RS256' });
    documented(
      'POST /v1/admin/users/{userId}/passkeys/registrations/{registrationId}',
      await admin.admin.passkeys.finishRegistration('ada', second.registrationId, key.create(second.options, origin)),
    );

    const challenge = documented('POST /v1/challenges', await app.challenges.create({ userId: 'ada', method: 'passkey' }));
    if (!challenge.publicKey) throw new Error('no request options');
    const approved = documented('POST /v1/challenges/{challengeId}/verify', await app.challenges.verifyPasskey(challenge.challengeId, authenticator.get(challenge.publicKey, origin)));
    expect(approved.status).toBe('approved');

    const renamed = documented('PATCH /v1/admin/users/{userId}/passkeys/{passkeyId}', await admin.admin.passkeys.rename('ada', laptop.passkey.passkeyId, 'Old laptop'));
    expect(renamed.name).toBe('Old laptop');
    expect(documented('GET /v1/admin/users/{userId}/passkeys', await admin.admin.passkeys.list('ada')).items).toHaveLength(2);
    expect(documented('DELETE /v1/admin/users/{userId}/passkeys/{passkeyId}', await admin.admin.passkeys.delete('ada', laptop.passkey.passkeyId))).toBeUndefined();
    expect((await admin.admin.passkeys.list('ada')).items).toHaveLength(1);
  });

  it('recovery codes and access passes: generate, status, issue, list, revoke, sign in, and the relying app’s codes after a step-up', async () => {
    const tenant = await operator.operator.createTenant({ name: 'Recovery Co', provider: { billingModel: 'per_authentication' } });
    const admin = createTesseraClient({ baseUrl: api.url, apiKey: tenant.adminKey });
    const app = createTesseraClient({ baseUrl: api.url, apiKey: tenant.authKey });
    await admin.admin.users.put('ida', { mfaEnabled: true, phones: { primary: '+14155550177' } });

    const made = documented('POST /v1/admin/users/{userId}/recovery-codes', await admin.admin.recoveryCodes.regenerate('ida'));
    expect(made.codes).toHaveLength(10);
    const recovery = documented('POST /v1/challenges', await app.challenges.create({ userId: 'ida', method: 'recovery' }));
    expect(documented('POST /v1/challenges/{challengeId}/verify', await app.challenges.verify(recovery.challengeId, made.codes[0] as string)).status).toBe('approved');
    expect(documented('GET /v1/admin/users/{userId}/recovery-codes', await admin.admin.recoveryCodes.status('ida'))).toMatchObject({ remaining: 9 });

    const issued = documented('POST /v1/admin/users/{userId}/access-passes', await admin.admin.accessPasses.issue('ida', { lifetimeMinutes: 10, oneTime: true }));
    expect(documented('GET /v1/admin/users/{userId}/access-passes', await admin.admin.accessPasses.list('ida')).items).toEqual([expect.objectContaining({ passId: issued.passId, state: 'active' })]);
    const tap = await app.challenges.create({ userId: 'ida', method: 'tap' });
    expect((await app.challenges.verify(tap.challengeId, issued.pass)).status).toBe('approved');
    expect(await rejection(app.recoveryCodes.generate('ida'))).toMatchObject({ status: 403, code: 'step-up-required' });
    expect(documented('POST /v1/recovery-codes', await app.recoveryCodes.generate('ida', tap.challengeId)).codes).toHaveLength(10);
    expect(documented('DELETE /v1/admin/users/{userId}/access-passes/{passId}', await admin.admin.accessPasses.revoke('ida', issued.passId))).toBeUndefined();
    expect((await admin.admin.accessPasses.list('ida')).items).toEqual([]);
  });
});
