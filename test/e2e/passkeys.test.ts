import { join } from 'node:path';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { type Browser, type BrowserContext, type CDPSession, type Page, type Request, type Response } from 'playwright-core';
import { attestationCA } from '../support/attestation-certs';
import { openBrowser, requireChromium, SHOTS } from '../support/browser';
import { TestApi, type Tenant } from '../support/runtime';

/** The AAGUID Chromium's virtual CTAP2 authenticators report (checked with attestation "direct"). */
const VIRTUAL_AAGUID = '01020304-0506-0708-0102-030405060708';
/** A YubiKey 5's AAGUID: an allow-list naming only it refuses the virtual security key. */
const OTHER_AAGUID = 'cb69481e-8ff7-4039-93ec-0a2729a154a8';
const ALICE = 'alice';
const ALICE_PHONE = '+14155558101';

let api: TestApi;
let tenant: Tenant;
let browser: Browser;
let context: BrowserContext;
/**
 * WebAuthn needs a secure context: `http://localhost` is one, `http://127.0.0.1` (the runtime's URL)
 * may not be. The pages are opened on localhost, which is also the relying party id.
 */
let origin: string;

beforeAll(async () => {
  requireChromium();
  api = await TestApi.start();
  origin = api.url.replace('//127.0.0.1:', '//localhost:');
  tenant = await api.createTenant('Passkey Co');
  const alice = await api.putUser(tenant, ALICE, ALICE_PHONE);
  if (alice.status !== 201) throw new Error(`alice not created: ${JSON.stringify(alice.body)}`);
  ({ browser, context } = await openBrowser());
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await api?.stop();
});

const shot = (page: Page, name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });

interface VirtualAuthenticator {
  readonly page: Page;
  readonly cdp: CDPSession;
  readonly authenticatorId: string;
}

/**
 * A tab with a virtual authenticator of the DevTools protocol's WebAuthn domain: a platform
 * authenticator (internal transport, like Touch ID or Windows Hello) or a USB security key.
 * Each tab has its own, so a ceremony never picks another test's authenticator.
 */
async function tabWithAuthenticator(transport: 'internal' | 'usb', { synced = false } = {}): Promise<VirtualAuthenticator> {
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport,
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
      // A synced passkey (a password manager's): backup eligible and backed up.
      ...(synced ? { defaultBackupEligibility: true, defaultBackupState: true } : {}),
    },
  });
  return { page, cdp, authenticatorId };
}

async function credentialsOf(authenticator: VirtualAuthenticator): Promise<{ credentialId: string; signCount: number; rpId?: string }[]> {
  const { credentials } = await authenticator.cdp.send('WebAuthn.getCredentials', { authenticatorId: authenticator.authenticatorId });
  return credentials;
}

/** CDP names credentials in base64, Tessera (and WebAuthn's JSON) in base64url. */
const base64url = (base64: string) => Buffer.from(base64, 'base64').toString('base64url');

async function setPolicy(policy: Record<string, unknown>): Promise<void> {
  const reply = await api.request('PATCH', '/v1/admin/settings', {
    key: tenant.adminKey,
    body: { passkeys: { rpId: 'localhost', rpName: 'Passkey Co', origins: [origin], userVerification: 'required', attestation: 'none', allowSynced: true, phishingResistantOnly: false, ...policy } },
  });
  expect(reply.status).toBe(200);
}

async function openDemo(page: Page, userId: string, method = ''): Promise<void> {
  await page.goto(`${origin}/local/demo/`);
  await page.getByLabel('Tessera auth key').fill(tenant.authKey);
  await page.getByLabel('User id').fill(userId);
  await page.getByLabel('Second factor').selectOption(method);
}

const isVerify = (r: Response) => r.request().method() === 'POST' && /\/v1\/challenges\/[^/]+\/verify$/.test(new URL(r.url()).pathname);
const isRegistrationFinish = (r: Response) => r.request().method() === 'POST' && /\/v1\/passkeys\/registrations\/[^/]+$/.test(new URL(r.url()).pathname);

/** Signs `userId` in with a passkey on the demo page; answers the verify route's status and body. */
async function passkeySignIn(page: Page, userId: string): Promise<{ status: number; body: Record<string, unknown> }> {
  await openDemo(page, userId, 'passkey');
  const verified = page.waitForResponse(isVerify);
  await page.getByRole('button', { name: 'Continue' }).click();
  const response = await verified;
  return { status: response.status(), body: (await response.json()) as Record<string, unknown> };
}

async function passkeysOf(userId: string): Promise<Record<string, unknown>[]> {
  const reply = await api.request<{ items: Record<string, unknown>[] }>('GET', `/v1/admin/users/${userId}/passkeys`, { key: tenant.adminKey });
  expect(reply.status).toBe(200);
  return reply.body.items;
}

async function newUserWithoutMethods(userId: string): Promise<void> {
  const reply = await api.request('PUT', `/v1/admin/users/${userId}`, { key: tenant.adminKey, body: { mfaEnabled: true, phones: {} } });
  expect(reply.status).toBe(201);
}

describe('passkeys in headless Chromium, with the DevTools protocol’s virtual authenticators', () => {
  let laptop: VirtualAuthenticator;
  let passkeyId: string;

  it('an admin sets the tenant passkey policy in the console', async () => {
    const page = await context.newPage();
    await page.goto(`${origin}/console/`);
    await page.getByLabel('Admin key').fill(tenant.adminKey);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('navigation', { name: 'Sections' }).waitFor();
    await page.getByRole('button', { name: 'Settings' }).click();
    await page.getByLabel('Relying party id').fill('localhost');
    await page.getByLabel('Relying party name').fill('Passkey Co');
    await page.getByLabel('Allowed origins').fill(origin);
    await page.getByLabel('User verification').selectOption('required');
    await page.getByLabel('Attestation', { exact: true }).selectOption('none');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.locator('#toast', { hasText: 'Settings saved.' }).waitFor();
    await shot(page, 'console-passkey-policy');
    await page.close();

    const settings = await api.request('GET', '/v1/admin/settings', { key: tenant.adminKey });
    expect(settings.body.passkeys).toMatchObject({ rpId: 'localhost', rpName: 'Passkey Co', origins: [origin], userVerification: 'required', attestation: 'none', allowSynced: true, phishingResistantOnly: false });
  }, 60_000);

  it('the demo registers a passkey for alice after she signs in by SMS, and the browser holds it', async () => {
    laptop = await tabWithAuthenticator('internal');
    const { page } = laptop;
    await openDemo(page, ALICE, 'sms');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByLabel('Code').waitFor();
    await page.getByLabel('Code').fill(await api.latestCode(ALICE_PHONE));
    await page.getByRole('button', { name: 'Verify' }).click();
    expect(await page.locator('#result').getAttribute('data-status')).toBe('approved');

    // A user who has a method already proves it first: the SMS sign-in just approved is the step-up.
    await page.getByRole('button', { name: 'Add a passkey' }).click();
    const added = page.locator('#passkey-added');
    await added.waitFor();
    passkeyId = (await added.getAttribute('data-passkey-id')) ?? '';
    await shot(page, 'demo-passkey-added');

    const held = await credentialsOf(laptop);
    expect(held.map((c) => base64url(c.credentialId))).toEqual([passkeyId]);
    expect(held[0]?.rpId).toBe('localhost');
    const [stored, ...more] = await passkeysOf(ALICE);
    expect(more).toEqual([]);
    expect(stored).toMatchObject({ passkeyId, transports: ['internal'], deviceType: 'singleDevice', backedUp: false, name: expect.any(String) });
  }, 60_000);

  it('alice signs in with the passkey; the assertion verifies against the JWKS and says phishing-resistant', async () => {
    const { status, body } = await passkeySignIn(laptop.page, ALICE);
    expect({ status, challengeStatus: body.status }).toEqual({ status: 200, challengeStatus: 'approved' });
    const result = laptop.page.locator('#result');
    await result.waitFor();
    expect(await result.getAttribute('data-status')).toBe('approved');
    expect(await result.textContent()).toBe(`Signed in as ${ALICE}`);

    const jwks = createRemoteJWKSet(new URL(`${api.url}/.well-known/jwks.json`));
    const { payload } = await jwtVerify(body.assertion as string, jwks, { issuer: api.url });
    expect(payload).toMatchObject({ tid: tenant.tenantId, sub: ALICE, mth: 'passkey', cid: body.challengeId, acr: 'phr' });
    // RFC 8176: a device-bound key (hwk), the user present (user) and verified (mfa).
    expect([...(payload.amr as string[])].sort()).toEqual(['hwk', 'mfa', 'user']);
    expect(await laptop.page.getByLabel('Assertion claims').textContent()).toContain('"acr": "phr"');
    await shot(laptop.page, 'demo-passkey-signed-in');

    const [stored] = await passkeysOf(ALICE);
    expect(stored?.lastUsedAt).toEqual(expect.any(String));
    const [held] = await credentialsOf(laptop);
    expect(held?.signCount).toBeGreaterThan(0);
  }, 60_000);

  it('user verification fails on the authenticator: the browser refuses, nothing is posted, nobody is signed in', async () => {
    await laptop.cdp.send('WebAuthn.setUserVerified', { authenticatorId: laptop.authenticatorId, isUserVerified: false });
    try {
      await openDemo(laptop.page, ALICE, 'passkey');
      let verifies = 0;
      const count = (r: Request) => {
        if (r.method() === 'POST' && r.url().endsWith('/verify')) verifies++;
      };
      laptop.page.on('request', count);
      const created = laptop.page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/v1/challenges');
      await laptop.page.getByRole('button', { name: 'Continue' }).click();
      const challenge = (await (await created).json()) as { challengeId: string; publicKey: { userVerification: string } };
      expect(challenge.publicKey.userVerification).toBe('required');
      await laptop.page.locator('#error').waitFor();
      expect(await laptop.page.locator('#result').count()).toBe(0);
      expect(verifies).toBe(0);
      const after = await api.request('GET', `/v1/challenges/${challenge.challengeId}`, { key: tenant.authKey });
      expect(after.body.status).toBe('pending');
      laptop.page.off('request', count);
    } finally {
      await laptop.cdp.send('WebAuthn.setUserVerified', { authenticatorId: laptop.authenticatorId, isUserVerified: true });
    }
  }, 60_000);

  it('a page that asks the authenticator to skip user verification gets an assertion Tessera denies', async () => {
    // A relay or a tampered page: it rewrites the request options Tessera sent to "discouraged", so
    // the authenticator signs without verifying the user. The policy says "required": denied.
    const { page } = laptop;
    await page.route('**/v1/challenges', async (route) => {
      const response = await route.fetch();
      const body = (await response.json()) as { publicKey?: Record<string, unknown> };
      if (body.publicKey) body.publicKey.userVerification = 'discouraged';
      await route.fulfill({ response, json: body });
    });
    try {
      const { status, body } = await passkeySignIn(page, ALICE);
      // R3: a wrong attempt, like a wrong code: four left on this challenge.
      expect({ status, body }).toMatchObject({ status: 422, body: { status: 422, type: expect.stringMatching(/^urn:tessera:problem:/), attemptsRemaining: 4 } });
      expect(body).not.toHaveProperty('assertion');
      await page.locator('#error').waitFor();
      expect(await page.locator('#result').count()).toBe(0);
    } finally {
      await page.unroute('**/v1/challenges');
    }
    const logs = await api.request<{ items: { method: string; result: string; userId: string }[] }>('GET', `/v1/admin/auth-logs?userId=${ALICE}&method=passkey&result=denied`, { key: tenant.adminKey });
    expect(logs.body.items.length).toBeGreaterThanOrEqual(1);
  }, 60_000);

  // Chromium's virtual authenticator attests with a certificate of no root a tenant could trust, so
  // an allow-list refuses it even when it names its AAGUID: the list needs a chain to a trusted root.
  it('a security key is refused by an AAGUID allow-list, even one naming it without its attestation root; without a list it signs in as phr', async () => {
    const key = await tabWithAuthenticator('usb');
    const userId = 'carol';
    await newUserWithoutMethods(userId);
    await setPolicy({ attestation: 'direct', aaguids: [OTHER_AAGUID], allowSynced: false });

    // A first enrolment (carol has nothing registered) needs no step-up.
    await openDemo(key.page, userId);
    let finish = key.page.waitForResponse(isRegistrationFinish);
    await key.page.getByRole('button', { name: 'Set up a passkey' }).click();
    const refused = await finish;
    expect(refused.status()).toBeGreaterThanOrEqual(400);
    expect(refused.status()).toBeLessThan(500);
    await key.page.locator('#passkey-error').waitFor();
    expect(await passkeysOf(userId)).toEqual([]);

    for (const attestationRoots of [undefined, [attestationCA().rootPem]]) {
      await setPolicy({ attestation: 'direct', aaguids: [OTHER_AAGUID, VIRTUAL_AAGUID], allowSynced: false, ...(attestationRoots ? { attestationRoots } : {}) });
      await openDemo(key.page, userId);
      finish = key.page.waitForResponse(isRegistrationFinish);
      await key.page.getByRole('button', { name: 'Set up a passkey' }).click();
      expect((await finish).status()).toBe(422);
      await key.page.locator('#passkey-error').waitFor();
      expect(await passkeysOf(userId)).toEqual([]);
    }

    await setPolicy({ attestation: 'direct', allowSynced: false });
    await openDemo(key.page, userId);
    finish = key.page.waitForResponse(isRegistrationFinish);
    await key.page.getByRole('button', { name: 'Set up a passkey' }).click();
    expect((await finish).status()).toBe(201);
    await key.page.locator('#passkey-added').waitFor();
    const [stored, ...more] = await passkeysOf(userId);
    expect(more).toEqual([]);
    expect(stored).toMatchObject({ aaguid: VIRTUAL_AAGUID, transports: ['usb'], deviceType: 'singleDevice' });
    await shot(key.page, 'demo-security-key-added');

    const { status, body } = await passkeySignIn(key.page, userId);
    expect(status).toBe(200);
    const { payload } = await jwtVerify(body.assertion as string, createRemoteJWKSet(new URL(`${api.url}/.well-known/jwks.json`)), { issuer: api.url });
    expect(payload).toMatchObject({ sub: userId, mth: 'passkey', acr: 'phr' });
    await key.page.close();
    await setPolicy({});
  }, 90_000);

  it('a synced passkey is refused while only device-bound ones are allowed; once allowed it signs in as swk/phr', async () => {
    const manager = await tabWithAuthenticator('internal', { synced: true });
    const userId = 'dave';
    await newUserWithoutMethods(userId);
    await setPolicy({ allowSynced: false });
    await openDemo(manager.page, userId);
    let finish = manager.page.waitForResponse(isRegistrationFinish);
    await manager.page.getByRole('button', { name: 'Set up a passkey' }).click();
    expect((await finish).status()).toBe(422);
    await manager.page.locator('#passkey-error').waitFor();
    expect(await passkeysOf(userId)).toEqual([]);

    await setPolicy({ allowSynced: true });
    await openDemo(manager.page, userId);
    finish = manager.page.waitForResponse(isRegistrationFinish);
    await manager.page.getByRole('button', { name: 'Set up a passkey' }).click();
    expect((await finish).status()).toBe(201);
    expect(await passkeysOf(userId)).toEqual([expect.objectContaining({ deviceType: 'multiDevice', backedUp: true })]);

    const { status, body } = await passkeySignIn(manager.page, userId);
    expect(status).toBe(200);
    const { payload } = await jwtVerify(body.assertion as string, createRemoteJWKSet(new URL(`${api.url}/.well-known/jwks.json`)), { issuer: api.url });
    // RFC 8176 swk: a software-protected (synced) key; phr: phishing-resistant, not hardware-bound.
    expect({ amr: [...(payload.amr as string[])].sort(), acr: payload.acr }).toEqual({ amr: ['mfa', 'swk', 'user'], acr: 'phr' });
    await manager.page.close();
  }, 60_000);

  it('the console lists alice’s passkey, renames it, sets her phishing-resistant only, deletes the passkey and registers a security key for her', async () => {
    // The admin's browser has a security key plugged in, for the last step.
    const adminKey = await tabWithAuthenticator('usb');
    const { page } = adminKey;
    await page.goto(`${origin}/console/`);
    await page.getByLabel('Admin key').fill(tenant.adminKey);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('navigation', { name: 'Sections' }).waitFor();
    await page.getByRole('button', { name: ALICE, exact: true }).click();
    await page.getByRole('heading', { name: `User ${ALICE}` }).waitFor();

    const row = page.locator(`#passkeys tr[data-passkey-id="${passkeyId}"]`);
    await row.waitFor();
    const cells = await row.locator('td').allTextContents();
    expect(cells[1]).toBe('device-bound');
    expect(cells[2]).toBe(VIRTUAL_AAGUID);
    expect(cells[4]).not.toBe('never');
    await shot(page, 'console-passkeys');

    await row.getByLabel('New name').fill('Alice’s laptop');
    await row.getByRole('button', { name: 'Rename' }).click();
    await page.locator('#toast', { hasText: 'Renamed.' }).waitFor();
    await page.locator(`#passkeys tr[data-passkey-id="${passkeyId}"] td`, { hasText: 'Alice’s laptop' }).waitFor();
    expect((await passkeysOf(ALICE))[0]).toMatchObject({ passkeyId, name: 'Alice’s laptop' });

    await page.getByLabel('Phishing-resistant only (passkeys)').check();
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.locator('#toast', { hasText: `Saved ${ALICE}.` }).waitFor();
    const user = await api.request('GET', `/v1/admin/users/${ALICE}`, { key: tenant.adminKey });
    expect(user.body).toMatchObject({ phishingResistantOnly: true, passkeyCount: 1 });
    expect(await page.getByLabel('Phishing-resistant only (passkeys)').isChecked()).toBe(true);

    page.once('dialog', (dialog) => void dialog.accept());
    await page.getByRole('button', { name: 'Delete passkey Alice’s laptop' }).click();
    await page.locator('#toast', { hasText: 'Passkey deleted.' }).waitFor();
    await page.locator('#passkeys', { hasText: 'None.' }).waitFor();
    expect(await passkeysOf(ALICE)).toEqual([]);

    // The browser still holds the credential, but alice has no passkey left to sign in with.
    expect(await credentialsOf(laptop)).toHaveLength(1);
    await openDemo(laptop.page, ALICE, 'passkey');
    await laptop.page.getByRole('button', { name: 'Continue' }).click();
    await laptop.page.locator('#error').waitFor();
    expect(await laptop.page.locator('#result').count()).toBe(0);

    // An admin registers a security key for alice from the console (the admin ceremony, no step-up).
    await page.getByLabel('Name of a security key to register here').fill('Spare key');
    await page.getByRole('button', { name: 'Register a security key' }).click();
    await page.locator('#toast', { hasText: 'Passkey registered.' }).waitFor();
    const [spare] = await credentialsOf(adminKey);
    const spareRow = page.locator(`#passkeys tr[data-passkey-id="${base64url(spare?.credentialId ?? '')}"]`);
    await spareRow.waitFor();
    expect(await spareRow.locator('td').first().textContent()).toBe('Spare key');
    expect(await passkeysOf(ALICE)).toEqual([expect.objectContaining({ name: 'Spare key', transports: ['usb'], deviceType: 'singleDevice' })]);
    await shot(page, 'console-security-key');
    await page.close();
  }, 60_000);
});
