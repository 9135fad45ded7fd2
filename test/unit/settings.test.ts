import { randomBytes, X509Certificate } from 'node:crypto';
import { LocalSecretBox } from '../../shared/adapters/secrets/local-secret-box';
import { ValidationError } from '../../shared/domain/errors';
import { webhookSecretContext } from '../../shared/domain/notifications';
import { SettingsService, type SettingsInput } from '../../shared/domain/settings';
import { DEFAULT_SETTINGS, type Principal } from '../../shared/domain/types';
import { toProblem } from '../../shared/http/problem';
import { attestationCA } from '../support/attestation-certs';
import { InMemoryTenantStore, principalOf, tenantFixture } from '../support/fakes';

const TENANT = `tn${'c'.repeat(24)}`;

const valid: SettingsInput = {
  enabledMethods: ['sms', 'voice'],
  callerId: '+14155550100',
  appPasswordsAllowed: false,
  blockOnFraud: true,
  allowedCountries: ['US', 'FR'],
  logOptionalFields: false,
  webhookUrl: null,
  limits: null,
  passkeys: null,
};

async function setup(options: { allowLoopbackWebhooks?: boolean } = {}) {
  const tenants = new InMemoryTenantStore();
  const box = new LocalSecretBox(randomBytes(32).toString('base64'));
  // R15: the operator assigned the tenant its caller-ID number.
  await tenants.createTenant(tenantFixture(TENANT, { callerIds: ['+14155550100'] }), []);
  const service = new SettingsService({ tenants, box, allowLoopbackWebhooks: options.allowLoopbackWebhooks ?? false });
  const admin = async (): Promise<Principal> => principalOf((await tenants.getTenant(TENANT)) ?? tenantFixture(TENANT), 'admin');
  const stored = async () => tenants.getTenant(TENANT);
  return { tenants, box, service, admin, stored };
}

async function validationError(promise: Promise<unknown>): Promise<ValidationError> {
  const error = await promise.catch((e: unknown) => e);
  if (!(error instanceof ValidationError)) throw new Error(`expected a ValidationError, got ${String(error)}`);
  return error;
}

describe('R15 R19 tenant settings', () => {
  it('stores valid settings and answers them; null leaves an optional setting out', async () => {
    const { service, admin, stored } = await setup();
    const view = await service.put(await admin(), { ...valid, allowedCountries: null });
    expect(view).toEqual({ ...valid, allowedCountries: null, rememberedDevices: { enabled: false, days: 30 }, webhookConfigured: false });
    const { settings } = (await stored()) ?? {};
    expect(settings).toEqual({
      enabledMethods: ['sms', 'voice'],
      callerId: '+14155550100',
      appPasswordsAllowed: false,
      blockOnFraud: true,
      logOptionalFields: false,
    });
    expect(service.get(await admin())).toEqual(view);
  });

  it('R6 keeps the limits the tenant sets, and the defaults (none stored) with null', async () => {
    const { service, admin, stored } = await setup();
    const limits = { challengesPerUserPerWindow: 3, challengesPerSecond: 20 };
    await expect(service.put(await admin(), { ...valid, limits })).resolves.toMatchObject({ limits });
    expect((await stored())?.settings.limits).toEqual(limits);
    await expect(service.patch(await admin(), { limits: null })).resolves.toMatchObject({ limits: null });
    expect((await stored())?.settings).not.toHaveProperty('limits');
  });

  it('keeps each method and country once', async () => {
    const { service, admin, stored } = await setup();
    await service.put(await admin(), { ...valid, enabledMethods: ['sms', 'sms', 'voice'], allowedCountries: ['FR', 'FR'] });
    expect((await stored())?.settings).toMatchObject({ enabledMethods: ['sms', 'voice'], allowedCountries: ['FR'] });
  });

  it('changes only what a patch names', async () => {
    const { service, admin, stored } = await setup();
    await service.put(await admin(), valid);
    await service.patch(await admin(), { blockOnFraud: false, callerId: null });
    expect((await stored())?.settings).toEqual({
      enabledMethods: ['sms', 'voice'],
      appPasswordsAllowed: false,
      blockOnFraud: false,
      allowedCountries: ['US', 'FR'],
      logOptionalFields: false,
    });
  });
});

describe('passkey policy in the settings', () => {
  const policy = { rpId: 'example.com', rpName: 'Example', origins: ['https://login.example.com'], userVerification: 'required', attestation: 'direct', allowSynced: false, phishingResistantOnly: false } as const;

  it('refuses an attestation root that is not a CA certificate, and stores one that is', async () => {
    const { service, admin, stored } = await setup();
    const vendor = attestationCA();
    const leaf = new X509Certificate(vendor.leafDer).toString();
    const refused = service.put(await admin(), { ...valid, passkeys: { ...policy, attestationRoots: [vendor.rootPem, leaf] } });
    await expect(refused).rejects.toMatchObject({ errors: [{ pointer: '/passkeys/attestationRoots/1' }] });
    expect((await stored())?.settings.passkeys).toBeUndefined();
    await service.put(await admin(), { ...valid, passkeys: { ...policy, attestationRoots: [vendor.rootPem] } });
    expect((await stored())?.settings.passkeys?.attestationRoots).toEqual([vendor.rootPem]);
  });

  it('stores the policy (each AAGUID once), keeps it through a patch of other fields, and a PUT without it clears it', async () => {
    const { service, admin, stored } = await setup();
    const aaguid = 'cb69481e-8ff7-4039-93ec-0a2729a154a8';
    const view = await service.put(await admin(), { ...valid, passkeys: { ...policy, aaguids: [aaguid, aaguid] } });
    expect(view.passkeys).toEqual({ ...policy, aaguids: [aaguid] });
    await service.patch(await admin(), { blockOnFraud: false });
    expect((await stored())?.settings.passkeys).toEqual({ ...policy, aaguids: [aaguid] });
    const { passkeys: _absent, ...withoutPasskeys } = valid;
    expect((await service.put(await admin(), withoutPasskeys)).passkeys).toBeNull();
    expect((await stored())?.settings).not.toHaveProperty('passkeys');
  });
});

describe('R29 settings validation: a clear 400 that changes nothing', () => {
  it.each(['4155550100', '+1 415 555 0100', '+999123456789', 'not a number'])('refuses the caller ID %s (R15)', async (callerId) => {
    const { service, admin, stored } = await setup();
    const before = await stored();
    const error = await validationError(service.put(await admin(), { ...valid, callerId }));
    expect(error.errors).toEqual([{ pointer: '/callerId', detail: expect.any(String) }]);
    expect(toProblem(error).statusCode).toBe(400);
    await expect(stored()).resolves.toEqual(before);
  });

  it('R15: refuses a caller ID the operator did not assign to the tenant, and changes nothing', async () => {
    const { service, admin, stored } = await setup();
    const before = await stored();
    const error = await validationError(service.put(await admin(), { ...valid, callerId: '+14155550199' }));
    expect(error.errors).toEqual([{ pointer: '/callerId', detail: 'is not a caller-ID number the operator assigned to this tenant' }]);
    expect(toProblem(error).statusCode).toBe(400);
    await expect(stored()).resolves.toEqual(before);
  });

  it('R15: a tenant with no assigned numbers cannot set a caller ID; one set before assignment existed is kept, not reused elsewhere', async () => {
    const tenants = new InMemoryTenantStore();
    const box = new LocalSecretBox(randomBytes(32).toString('base64'));
    const legacy = tenantFixture(TENANT, { settings: { ...DEFAULT_SETTINGS, callerId: '+14155550123' } });
    await tenants.createTenant(legacy, []);
    const service = new SettingsService({ tenants, box, allowLoopbackWebhooks: false });
    const admin = async (): Promise<Principal> => principalOf((await tenants.getTenant(TENANT)) ?? legacy, 'admin');
    await expect(service.patch(await admin(), { blockOnFraud: false })).resolves.toMatchObject({ callerId: '+14155550123' });
    await expect(validationError(service.patch(await admin(), { callerId: '+14155550100' }))).resolves.toMatchObject({
      errors: [{ pointer: '/callerId', detail: 'is not a caller-ID number the operator assigned to this tenant' }],
    });
  });

  it('refuses countries that are not ISO 3166-1 alpha-2 with phone numbers, pointing at each', async () => {
    const { service, admin } = await setup();
    const error = await validationError(service.put(await admin(), { ...valid, allowedCountries: ['US', 'XX', 'fr', 'FR'] }));
    expect(error.errors).toEqual([
      { pointer: '/allowedCountries/1', detail: expect.any(String) },
      { pointer: '/allowedCountries/2', detail: expect.any(String) },
    ]);
  });

  it('reports every problem at once', async () => {
    const { service, admin } = await setup();
    const error = await validationError(
      service.put(await admin(), { ...valid, callerId: '123', allowedCountries: ['ZZ'], webhookUrl: 'http://hooks.example.com/x' }),
    );
    expect(error.errors.map((e) => e.pointer)).toEqual(['/callerId', '/allowedCountries/0', '/webhookUrl']);
  });

  it.each([
    'http://hooks.example.com/tessera',
    'ftp://hooks.example.com/tessera',
    'not a url',
    'http://127.0.0.1:8080/hook',
    'http://localhost/hook',
  ])('refuses the webhook %s when loopback webhooks are not allowed', async (webhookUrl) => {
    const { service, admin, stored } = await setup();
    const error = await validationError(service.put(await admin(), { ...valid, webhookUrl }));
    expect(error.errors).toEqual([{ pointer: '/webhookUrl', detail: 'must be an https URL' }]);
    expect((await stored())?.settings).not.toHaveProperty('webhookUrl');
  });

  it.each([
    'https://127.0.0.1/hook',
    'https://10.0.0.1/hook',
    'https://169.254.169.254/latest/meta-data/',
    'https://100.64.0.1/hook',
    'https://[::1]/hook',
    'https://[fd00:ec2::254]/hook',
    'https://[::ffff:169.254.169.254]/hook',
    'https://0x7f000001/hook',
  ])('SSRF: refuses the webhook %s, whose host is a non-public IP literal', async (webhookUrl) => {
    const { service, admin, stored } = await setup();
    const error = await validationError(service.put(await admin(), { ...valid, webhookUrl }));
    expect(error.errors).toEqual([{ pointer: '/webhookUrl', detail: 'must not point to a private, loopback, link-local or reserved address' }]);
    expect((await stored())?.settings).not.toHaveProperty('webhookUrl');
  });

  it.each(['http://127.0.0.1:8080/hook', 'http://localhost:9000/hook', 'http://[::1]:9000/hook'])(
    'accepts the loopback webhook %s when the local runtime allows it',
    async (webhookUrl) => {
      const { service, admin } = await setup({ allowLoopbackWebhooks: true });
      await expect(service.put(await admin(), { ...valid, webhookUrl })).resolves.toMatchObject({ webhookUrl, webhookConfigured: true });
    },
  );

  it.each(['http://hooks.example.com/x', 'http://127.0.0.1.example.com/x', 'http://localhost.example.com/x', 'ftp://127.0.0.1/x'])(
    'still refuses %s when loopback webhooks are allowed',
    async (webhookUrl) => {
      const { service, admin } = await setup({ allowLoopbackWebhooks: true });
      await expect(service.put(await admin(), { ...valid, webhookUrl })).rejects.toThrow(ValidationError);
    },
  );
});

describe('R14 webhook signing secret', () => {
  const URL_1 = 'https://hooks.example.com/one';
  const URL_2 = 'https://hooks.example.com/two';

  it('issues a secret when a URL is set, returns it once and stores it only sealed', async () => {
    const { service, admin, stored, box } = await setup();
    const view = await service.put(await admin(), { ...valid, webhookUrl: URL_1 });
    expect(view).toMatchObject({ webhookUrl: URL_1, webhookConfigured: true, webhookSecret: expect.stringMatching(/^whsec_[A-Za-z0-9_-]{43}$/) });
    const sealed = (await stored())?.encryptedWebhookSecret ?? '';
    expect(sealed).not.toContain(view.webhookSecret);
    expect(Buffer.from(await box.decrypt(sealed, webhookSecretContext(TENANT))).toString()).toBe(view.webhookSecret);
    expect(service.get(await admin())).not.toHaveProperty('webhookSecret');
  });

  it('keeps the secret, and does not show it again, when the URL stays the same', async () => {
    const { service, admin, stored } = await setup();
    await service.put(await admin(), { ...valid, webhookUrl: URL_1 });
    const sealed = (await stored())?.encryptedWebhookSecret;
    const again = await service.put(await admin(), { ...valid, webhookUrl: URL_1, blockOnFraud: false });
    expect(again).not.toHaveProperty('webhookSecret');
    expect(again.webhookConfigured).toBe(true);
    expect((await stored())?.encryptedWebhookSecret).toBe(sealed);
  });

  it('issues a new secret when the URL changes', async () => {
    const { service, admin, stored } = await setup();
    const first = await service.put(await admin(), { ...valid, webhookUrl: URL_1 });
    const sealed = (await stored())?.encryptedWebhookSecret;
    const second = await service.patch(await admin(), { webhookUrl: URL_2 });
    expect(second.webhookSecret).toEqual(expect.stringMatching(/^whsec_/));
    expect(second.webhookSecret).not.toBe(first.webhookSecret);
    expect((await stored())?.encryptedWebhookSecret).not.toBe(sealed);
  });

  it('forgets the secret when the URL is cleared', async () => {
    const { service, admin, stored } = await setup();
    await service.put(await admin(), { ...valid, webhookUrl: URL_1 });
    const cleared = await service.put(await admin(), { ...valid, webhookUrl: null });
    expect(cleared).toMatchObject({ webhookUrl: null, webhookConfigured: false });
    expect(cleared).not.toHaveProperty('webhookSecret');
    expect(await stored()).not.toHaveProperty('encryptedWebhookSecret');
    expect((await stored())?.settings).not.toHaveProperty('webhookUrl');
  });
});

describe('issue 16: remembered devices in the settings', () => {
  const epochOf = async (stored: () => Promise<{ settings: { rememberedDevices?: { epoch?: string } } } | undefined>) => (await stored())?.settings.rememberedDevices?.epoch;
  const policy = { rpId: 'example.com', rpName: 'Example', origins: ['https://example.com'], userVerification: 'required' as const, attestation: 'none' as const, allowSynced: true };

  it('are off with a 30-day window until set, and a tenant that never sets them stores nothing', async () => {
    const { service, admin, stored } = await setup();
    expect(service.get(await admin()).rememberedDevices).toEqual({ enabled: false, days: 30 });
    await service.patch(await admin(), { blockOnFraud: false });
    expect((await stored())?.settings.rememberedDevices).toBeUndefined();
  });

  it('store the window; other changes keep the tenant epoch; the view never shows it', async () => {
    const { service, admin, stored } = await setup();
    await service.patch(await admin(), { rememberedDevices: { enabled: true, days: 90 } });
    expect((await stored())?.settings.rememberedDevices).toEqual({ enabled: true, days: 90 });
    await service.patch(await admin(), { rememberedDevices: { enabled: false, days: 90 } });
    const epoch = await epochOf(stored);
    expect(epoch).toMatch(/^re_/);
    await service.patch(await admin(), { rememberedDevices: { enabled: true, days: 7 }, blockOnFraud: true });
    expect(await epochOf(stored)).toBe(epoch);
    expect(service.get(await admin()).rememberedDevices).toEqual({ enabled: true, days: 7 });
  });

  it('turning them off, or phishing-resistant only on, draws a new tenant epoch (revokes every token); keeping them so does not', async () => {
    const { service, admin, stored } = await setup();
    await service.patch(await admin(), { rememberedDevices: { enabled: true, days: 30 } });
    expect(await epochOf(stored)).toBeUndefined();
    await service.patch(await admin(), { passkeys: { ...policy, phishingResistantOnly: true } });
    const first = await epochOf(stored);
    expect(first).toMatch(/^re_/);
    await service.patch(await admin(), { passkeys: { ...policy, phishingResistantOnly: true }, blockOnFraud: false });
    expect(await epochOf(stored)).toBe(first);
    // A PUT without the setting turns it off.
    await service.put(await admin(), { ...valid });
    const second = await epochOf(stored);
    expect(second).toMatch(/^re_/);
    expect(second).not.toBe(first);
    expect((await stored())?.settings.rememberedDevices?.enabled).toBe(false);
  });
});
