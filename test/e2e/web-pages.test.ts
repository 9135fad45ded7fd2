import { join } from 'node:path';
import { type Browser, type BrowserContext, type Page } from 'playwright-core';
import { openBrowser, requireChromium, SHOTS } from '../support/browser';
import { TestApi, type Tenant } from '../support/runtime';

const PRIMARY = '+14155558001';
const BACKUP = '+14155558002';
const USER = 'erin';

let api: TestApi;
let tenant: Tenant;
let browser: Browser;
let context: BrowserContext;
let consolePage: Page;
let demo: Page;
let simulator: Page;

beforeAll(async () => {
  requireChromium();
  api = await TestApi.start();
  tenant = await api.createTenant('Browser Co');
  ({ browser, context } = await openBrowser());
  consolePage = await context.newPage();
  simulator = await context.newPage();
  demo = await context.newPage();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await api?.stop();
});

const shot = (page: Page, name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });

/** Starts a sign-in on the demo page for USER with the given method. */
async function startSignIn(method: string): Promise<void> {
  await demo.goto(`${api.url}/local/demo/`);
  await demo.getByLabel('Tessera auth key').fill(tenant.authKey);
  await demo.getByLabel('User id').fill(USER);
  await demo.getByLabel('Second factor').selectOption(method);
  await demo.getByRole('button', { name: 'Continue' }).click();
}

async function expectSignedIn(method: string): Promise<void> {
  const result = demo.locator('#result');
  await result.waitFor();
  expect(await result.getAttribute('data-status')).toBe('approved');
  expect(await result.textContent()).toBe(`Signed in as ${USER}`);
  expect(await demo.getByLabel('Assertion claims').textContent()).toContain(`"amr": [\n    "${method}"\n  ]`);
}

describe('the web pages in headless Chromium', () => {
  it('an admin signs in to the console, sets the caller ID and creates a user with two phones', async () => {
    await consolePage.goto(`${api.url}/console`);
    await consolePage.getByLabel('Admin key').fill('tsr_admin_not_a_key');
    await consolePage.getByRole('button', { name: 'Sign in' }).click();
    await expect(consolePage.locator('#toast.error').textContent()).resolves.toMatch(/Authentication required/);

    await consolePage.getByLabel('Admin key').fill(tenant.adminKey);
    await consolePage.getByRole('button', { name: 'Sign in' }).click();
    await consolePage.getByRole('navigation', { name: 'Sections' }).waitFor();

    await consolePage.getByRole('button', { name: 'Settings' }).click();
    await consolePage.getByLabel('Caller ID for voice calls (E.164)').fill('+14155550199');
    await consolePage.getByLabel('Relying apps may remember devices').check();
    await consolePage.getByLabel('Remember for (days, 1–365)').fill('60');
    await consolePage.getByRole('button', { name: 'Save settings' }).click();
    await consolePage.locator('#toast', { hasText: 'Settings saved.' }).waitFor();
    expect((await api.request('GET', '/v1/admin/settings', { key: tenant.adminKey })).body.rememberedDevices).toEqual({ enabled: true, days: 60 });

    await consolePage.getByRole('button', { name: 'Users' }).click();
    await consolePage.getByRole('button', { name: 'New user' }).click();
    await consolePage.getByLabel('User id').fill(USER);
    await consolePage.getByLabel('First name').fill('Erin');
    await consolePage.getByLabel('Primary phone (E.164)').fill(PRIMARY);
    await consolePage.getByLabel('Backup phones, in order').fill(BACKUP);
    await consolePage.getByRole('button', { name: 'Create user' }).click();
    await consolePage.locator('#toast', { hasText: `Saved ${USER}.` }).waitFor();
    await consolePage.getByRole('heading', { name: `User ${USER}` }).waitFor();
    await consolePage.locator('#remembered-count', { hasText: '0 remembered devices' }).waitFor();

    await consolePage.getByLabel('Last name').fill('Example');
    await consolePage.getByRole('button', { name: 'Save', exact: true }).click();
    await consolePage.locator('#toast', { hasText: `Saved ${USER}.` }).waitFor();
    await consolePage.getByLabel('Last name').and(consolePage.locator('[value="Example"]')).waitFor();

    const user = await api.request('GET', `/v1/admin/users/${USER}`, { key: tenant.adminKey });
    expect(user.body).toMatchObject({ firstName: 'Erin', lastName: 'Example', mfaEnabled: true, phones: { primary: { e164: PRIMARY }, backup: [{ e164: BACKUP }] } });
    await shot(consolePage, 'console-user');

    // Recovery codes (shown once) and an access pass (issued, shown once, revoked).
    await consolePage.getByRole('button', { name: 'Generate recovery codes' }).click();
    const codes = ((await consolePage.locator('#recovery-codes').textContent()) ?? '').split(' ');
    expect(codes).toHaveLength(10);
    await consolePage.locator('#recovery-status', { hasText: 'Recovery codes left: 10' }).waitFor();
    await consolePage.getByLabel('Lifetime (minutes, 10–43200)').fill('30');
    await consolePage.getByRole('button', { name: 'Issue access pass' }).click();
    const pass = (await consolePage.locator('#access-pass').textContent()) ?? '';
    expect(pass).toMatch(/^([0-9a-z]{4}-){4}[0-9a-z]{4}$/);
    const passes = await api.request('GET', `/v1/admin/users/${USER}/access-passes`, { key: tenant.adminKey });
    const [issued] = passes.body.items as { passId: string; oneTime: boolean }[];
    expect(issued).toMatchObject({ oneTime: true });
    await consolePage.getByRole('button', { name: `Revoke access pass ${issued?.passId}` }).click();
    await consolePage.locator('#toast', { hasText: 'Revoked.' }).waitFor();
    expect((await api.request('GET', `/v1/admin/users/${USER}/access-passes`, { key: tenant.adminKey })).body.items).toEqual([]);
  }, 60_000);

  it('the demo page signs the user in by SMS, with the code read from the simulator page', async () => {
    await simulator.goto(`${api.url}/local/simulator/`);
    await startSignIn('sms');
    await demo.getByLabel('Code').waitFor();

    const code = simulator.locator(`#sms [data-number="${PRIMARY}"] [data-code]`).first();
    await code.waitFor();
    await demo.getByLabel('Code').fill((await code.textContent()) ?? '');
    await shot(simulator, 'simulator-sms');
    await demo.getByRole('button', { name: 'Verify' }).click();
    await expectSignedIn('sms');
    await shot(demo, 'demo-sms');
  }, 60_000);

  it('R12 R13: by voice with rollover: voicemail on the primary, # on the backup', async () => {
    await startSignIn('voice');
    const primary = simulator.locator(`#phones [data-number="${PRIMARY}"]`);
    await primary.getByRole('alert').waitFor();
    expect(await primary.getByRole('alert').textContent()).toMatch(/Call from \+14155550199: .*press the pound key/);
    await shot(simulator, 'simulator-ringing');
    await primary.getByRole('button', { name: 'Voicemail' }).click();

    // The demo shows the rollover while the backup rings.
    await demo.locator('li[data-outcome="voicemail"]').waitFor();
    expect(await demo.locator('#calling').textContent()).toMatch(/Calling •+8002/);
    await shot(demo, 'demo-voice-rollover');
    const backup = simulator.locator(`#phones [data-number="${BACKUP}"]`);
    await backup.getByRole('button', { name: 'Press #' }).click();
    await expectSignedIn('voice');
  }, 90_000);

  it('R9: by push with number matching, on a phone activated with the code from the console', async () => {
    await consolePage.getByRole('button', { name: 'Push activation code' }).click();
    const activation = (await consolePage.locator('#activation-code').textContent()) ?? '';
    expect(activation).toMatch(/^[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}$/);
    await simulator.getByLabel('Activation code from the admin').fill(activation);
    await simulator.getByRole('button', { name: 'Activate this phone' }).click();
    await simulator.locator('#devices [data-device]').waitFor();

    await startSignIn('push');
    const number = (await demo.locator('#push-number').textContent()) ?? '';
    expect(number).toMatch(/^\d{1,3}$/);
    const prompt = simulator.locator('#devices form[data-challenge]');
    await prompt.waitFor();
    expect(await prompt.textContent()).toContain('Sign in to Acme Portal?');
    await shot(demo, 'demo-push');
    await prompt.getByLabel('Enter the number shown on the sign-in screen').fill(number);
    await prompt.getByRole('button', { name: 'Approve' }).click();
    await expectSignedIn('push');
  }, 60_000);

  it('R23: the usage chart shows the three authentications, one per method', async () => {
    await consolePage.getByRole('button', { name: 'Usage' }).click();
    const chart = consolePage.locator('#usage-chart');
    await chart.waitFor();
    for (const method of ['sms', 'voice', 'push']) {
      expect(await consolePage.locator(`#usage-totals tr[data-method="${method}"] td`).nth(1).textContent()).toBe('1');
      expect(await chart.locator(`rect[data-method="${method}"]`).getAttribute('data-count')).toBe('1');
    }
    expect(await consolePage.locator('#usage-totals tr[data-method="app"] td').nth(1).textContent()).toBe('0');
    await shot(consolePage, 'console-usage');

    await consolePage.getByRole('button', { name: 'Auth logs' }).click();
    await consolePage.getByLabel('Result').selectOption('approved');
    await consolePage.getByRole('button', { name: 'Filter' }).click();
    // Polled from the test, not with waitForFunction: its repeated checks evaluate code in the page,
    // which the console's CSP (no 'unsafe-eval') rightly refuses.
    const readRows = () => consolePage.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));
    let rows = await readRows();
    for (let i = 0; i < 100 && !(rows.length > 0 && rows.every((cells) => cells[4] === 'approved')); i++) {
      await consolePage.waitForTimeout(100);
      rows = await readRows();
    }
    // One line per verification, and for voice also one per call (R23): the backup's call was approved too.
    expect(new Set(rows.map((cells) => `${cells[2]} ${cells[4]}`))).toEqual(new Set(['sms approved', 'voice approved', 'push approved']));
    expect(rows.every((cells) => cells[1] === USER)).toBe(true);
    await shot(consolePage, 'console-logs');

    await consolePage.getByRole('button', { name: 'Billing' }).click();
    await consolePage.locator('#billing-model').waitFor();
    expect(await consolePage.locator('#billing-model').textContent()).toMatch(/^per authentication/);
    await shot(consolePage, 'console-billing');
  }, 60_000);

  it('the API reference and the simulator fit a phone-sized screen', async () => {
    const phone = await context.newPage();
    await phone.setViewportSize({ width: 390, height: 844 });
    for (const [path, name] of [['/docs', 'docs'], ['/local/simulator/', 'simulator-phone'], ['/local/demo/', 'demo-phone'], ['/console/', 'console-phone']] as const) {
      await phone.goto(`${api.url}${path}`);
      await phone.locator('h1').first().waitFor();
      const overflow = await phone.evaluate<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth');
      expect({ path, overflow }).toEqual({ path, overflow: 0 });
      await shot(phone, name);
    }
    await phone.close();
  }, 60_000);
});
