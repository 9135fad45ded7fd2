import { startRegistration, type PublicKeyCredentialCreationOptionsJSON } from '@simplewebauthn/browser';
import { createTesseraClient, TesseraError, type PasskeyRegistration, type ResponseOf, type TesseraClient } from '../../../shared/client';
import type { CountryCode } from '../../../shared/schemas/phone';
import { $, h, show } from '../dom';

type User = ResponseOf<'GET /v1/admin/users/{userId}'>;
type Settings = ResponseOf<'GET /v1/admin/settings'>;
type Factor = 'sms' | 'voice' | 'push' | 'app' | 'oath' | 'passkey' | 'recovery' | 'tap';
const FACTORS: Factor[] = ['sms', 'voice', 'push', 'app', 'oath', 'passkey', 'recovery', 'tap'];
/** The ways back (recovery codes, access passes) are asked for by name only: never a default method. */
const DEFAULTABLE = FACTORS.filter((f) => f !== 'recovery' && f !== 'tap');
const FACTOR_NAMES: Record<Factor, string> = {
  sms: 'SMS',
  voice: 'Voice',
  push: 'Push',
  app: 'Authenticator app',
  oath: 'Hardware token',
  passkey: 'Passkey',
  recovery: 'Recovery code',
  tap: 'Access pass',
};
const COLORS: Record<Factor, string> = { sms: '#0969da', voice: '#1a7f37', push: '#8250df', app: '#bf8700', oath: '#cf222e', passkey: '#1b7c83', recovery: '#953800', tap: '#57606a' };
const TABS = ['Users', 'Settings', 'OATH tokens', 'Auth logs', 'Usage', 'Billing'] as const;
type Tab = (typeof TABS)[number];

const app = $('#app');
const toast = $('#toast');
let client: TesseraClient;

const errorText = (error: unknown) =>
  error instanceof TesseraError
    ? `${error.problem.title}${error.problem.detail ? `: ${error.problem.detail}` : ''}${error.problem.errors ? ` (${error.problem.errors.map((e) => `${e.pointer ?? ''} ${e.detail}`).join('; ')})` : ''}`
    : error instanceof Error
      ? error.message
      : String(error);
function say(text: string, error = false): void {
  toast.textContent = text;
  toast.className = error ? 'error' : '';
}
/** Runs an admin action; any problem is shown, never thrown. */
async function attempt<T>(action: () => Promise<T>, success?: string): Promise<T | undefined> {
  try {
    const result = await action();
    if (success) say(success);
    return result;
  } catch (error) {
    say(errorText(error), true);
    return undefined;
  }
}
const field = (id: string, label: string, input: HTMLElement) => h('div', {}, h('label', { for: id }, label), input);
const value = (id: string) => ($(`#${id}`) as HTMLInputElement).value.trim();
const checked = (id: string) => ($(`#${id}`) as HTMLInputElement).checked;
const month = () => new Date().toISOString().slice(0, 7);
const list = (text: string) => text.split(/[\s,]+/).filter(Boolean);

// Sign-in ------------------------------------------------------------------------------------------

function signInPage(): void {
  $('#who').textContent = '';
  show(app,
    h('form', { class: 'panel signin', 'aria-labelledby': 'signin-h', onsubmit: (e: Event) => { e.preventDefault(); void signIn(value('api'), value('admin-key')); } },
      h('h2', { id: 'signin-h' }, 'Sign in'),
      field('api', 'API URL', h('input', { id: 'api', type: 'url', required: true, value: sessionStorage.getItem('tessera.console.api') ?? location.origin })),
      h('p', {}),
      field('admin-key', 'Admin key', h('input', { id: 'admin-key', type: 'password', required: true, autocomplete: 'off', placeholder: 'tsr_admin_…' })),
      h('p', { class: 'muted' }, 'A tenant API key of the admin scope. It stays in this tab only.'),
      h('button', { type: 'submit', class: 'primary' }, 'Sign in')));
  ($('#admin-key') as HTMLInputElement).focus();
}

async function signIn(api: string, key: string): Promise<void> {
  const candidate = createTesseraClient({ baseUrl: api, apiKey: key });
  const settings = await attempt(() => candidate.admin.settings.get());
  if (!settings) return;
  client = candidate;
  sessionStorage.setItem('tessera.console.api', api);
  sessionStorage.setItem('tessera.console.key', key);
  $('#who').textContent = `Key ${key.split('_')[3] ?? ''}`;
  say('Signed in.');
  open('Users');
}

function signOut(): void {
  sessionStorage.removeItem('tessera.console.key');
  say('Signed out.');
  signInPage();
}

// Shell --------------------------------------------------------------------------------------------

function open(tab: Tab): void {
  say('');
  const content = h('main', { id: 'content', 'aria-live': 'polite' });
  show(app,
    h('nav', { 'aria-label': 'Sections' },
      TABS.map((t) => h('button', { type: 'button', 'aria-current': t === tab ? 'page' : undefined, onclick: () => open(t) }, t)),
      h('button', { type: 'button', onclick: signOut, style: 'margin-left:auto' }, 'Sign out')),
    content);
  const render: Record<Tab, (root: HTMLElement) => Promise<void>> = { Users: usersPage, Settings: settingsPage, 'OATH tokens': oathPage, 'Auth logs': logsPage, Usage: usagePage, Billing: billingPage };
  void render[tab](content);
}

// Users --------------------------------------------------------------------------------------------

async function usersPage(root: HTMLElement): Promise<void> {
  const results = h('div', { class: 'scroll' });
  const search = async () => {
    const prefix = value('q');
    const state = value('state');
    const page = await attempt(() => client.admin.users.list({ ...(prefix ? { prefix } : {}), ...(state === 'blocked' ? { blocked: 'true' } : state === 'disabled' ? { mfaEnabled: 'false' } : {}), limit: 50 }));
    if (!page) return;
    show(results,
      page.items.length
        ? h('table', {},
            h('caption', { class: 'muted', style: 'text-align:left' }, `${page.items.length} user(s)`),
            h('thead', {}, h('tr', {}, ['User', 'Name', 'Primary phone', 'MFA', 'Status'].map((c) => h('th', { scope: 'col' }, c)))),
            h('tbody', {}, page.items.map((u) =>
              h('tr', {},
                h('td', {}, h('button', { type: 'button', onclick: () => void editUser(root, u.userId) }, u.userId)),
                h('td', {}, [u.firstName, u.lastName].filter(Boolean).join(' ')),
                h('td', {}, u.phones.primary?.e164 ?? '—'),
                h('td', {}, u.mfaEnabled ? 'on' : 'off'),
                h('td', { class: u.blocked ? 'no' : 'ok' }, u.blocked ? `blocked: ${u.blocked.reason}` : 'active')))))
        : h('p', { class: 'muted' }, 'No user matches.'));
  };
  show(root,
    h('section', { class: 'panel', 'aria-labelledby': 'users-h' },
      h('h2', { id: 'users-h' }, 'Users'),
      h('form', { class: 'row', role: 'search', onsubmit: (e: Event) => { e.preventDefault(); void search(); } },
        field('q', 'User id starts with', h('input', { id: 'q', type: 'search' })),
        field('state', 'Show', h('select', { id: 'state' }, h('option', { value: '' }, 'All'), h('option', { value: 'blocked' }, 'Blocked'), h('option', { value: 'disabled' }, 'MFA off'))),
        h('button', { type: 'submit' }, 'Search'),
        h('button', { type: 'button', class: 'primary', onclick: () => void editUser(root) }, 'New user')),
      results));
  await search();
}

async function editUser(root: HTMLElement, userId?: string): Promise<void> {
  const user: User | undefined = userId ? await attempt(() => client.admin.users.get(userId)) : undefined;
  if (userId && !user) return;
  const save = async () => {
    const id = userId ?? value('u-id');
    const primary = value('u-primary');
    const defaultMethod = value('u-default') as Factor | '';
    const fields = {
      firstName: value('u-first') || null,
      lastName: value('u-last') || null,
      email: value('u-email') || null,
      mfaEnabled: checked('u-mfa'),
      defaultMethod: defaultMethod || null,
      phones: { primary: primary || null, backup: list(value('u-backup')) },
    };
    // An existing user is patched, so fields this form does not show (licence, office phone) stay.
    const saved = await attempt(() => (userId ? client.admin.users.patch(id, { ...fields, phishingResistantOnly: checked('u-pr') }) : client.admin.users.put(id, fields)));
    if (!saved) return;
    // Said once the page shows the saved user, so nothing is clicked on the page being replaced.
    await editUser(root, id);
    say(`Saved ${id}.`);
  };
  const action = (label: string, run: () => Promise<unknown>, kind?: string) =>
    h('button', { type: 'button', class: kind, onclick: () => void attempt(run, `${label}: done.`).then((r) => { if (r !== undefined && userId) void editUser(root, userId); }) }, label);
  const secrets = h('div', { 'aria-live': 'polite' });
  show(root,
    h('section', { class: 'panel', 'aria-labelledby': 'user-h' },
      h('button', { type: 'button', onclick: () => open('Users') }, '← All users'),
      h('h2', { id: 'user-h', style: 'margin-top:10px' }, userId ? `User ${userId}` : 'New user'),
      h('form', { onsubmit: (e: Event) => { e.preventDefault(); void save(); } },
        h('div', { class: 'row' },
          userId ? null : field('u-id', 'User id', h('input', { id: 'u-id', required: true, pattern: '[A-Za-z0-9._@+\\-]+' })),
          field('u-first', 'First name', h('input', { id: 'u-first', value: user?.firstName ?? '' })),
          field('u-last', 'Last name', h('input', { id: 'u-last', value: user?.lastName ?? '' })),
          field('u-email', 'Email', h('input', { id: 'u-email', type: 'email', value: user?.email ?? '' }))),
        h('div', { class: 'row' },
          field('u-primary', 'Primary phone (E.164)', h('input', { id: 'u-primary', inputmode: 'tel', value: user?.phones.primary?.e164 ?? '' })),
          field('u-backup', 'Backup phones, in order', h('input', { id: 'u-backup', inputmode: 'tel', value: (user?.phones.backup ?? []).map((p) => p.e164).join(', ') })),
          field('u-default', 'Default method', h('select', { id: 'u-default' }, h('option', { value: '' }, 'None'), DEFAULTABLE.map((f) => h('option', { value: f, selected: user?.defaultMethod === f }, FACTOR_NAMES[f])))),
          h('label', { class: 'check' }, h('input', { id: 'u-mfa', type: 'checkbox', checked: user ? user.mfaEnabled : true }), 'MFA enabled'),
          user ? h('label', { class: 'check' }, h('input', { id: 'u-pr', type: 'checkbox', checked: user.phishingResistantOnly ?? false }), 'Phishing-resistant only (passkeys)') : null),
        h('button', { type: 'submit', class: 'primary' }, userId ? 'Save' : 'Create user')),
      user
        ? [
            h('p', { class: 'muted' },
              `Registered: ${[user.phones.primary ? 'phone' : '', user.authenticator ? 'authenticator app' : '', user.oathToken ? `token ${user.oathToken.serial}` : '', user.push ? 'push' : '', user.passkeyCount ? `${user.passkeyCount} passkey(s)` : ''].filter(Boolean).join(', ') || 'nothing'}`,
              user.blocked ? ` · Blocked: ${user.blocked.reason}` : ''),
            h('div', { class: 'row' },
              user.blocked ? action('Unblock', () => client.admin.users.unblock(user.userId)) : action('Block', () => client.admin.users.block(user.userId, 'blocked in the console'), 'danger'),
              action('Reset methods', () => client.admin.users.reset(user.userId), 'danger'),
              action('Clear throttling', () => client.admin.users.clearThrottling(user.userId)),
              h('button', { type: 'button', onclick: () => void attempt(async () => {
                const activation = await client.admin.users.pushActivation(user.userId);
                show(secrets, h('p', {}, 'Push activation code (shown once): ', h('span', { class: 'secret', id: 'activation-code' }, activation.activationCode)));
              }) }, 'Push activation code'),
              action('Delete user', async () => {
                if (!confirm(`Delete ${user.userId}?`)) return undefined;
                await client.admin.users.delete(user.userId);
                open('Users');
                return undefined;
              }, 'danger')),
            secrets,
            await passkeys(user.userId),
            await appPasswords(user.userId, secrets),
            await rememberedDevices(user.userId),
            await waysBack(user.userId, secrets),
          ]
        : null));
}

/** A user's passkeys (R19-style management): listed, renamed, deleted; a security key registered from this browser. */
async function passkeys(userId: string): Promise<HTMLElement> {
  const box = h('div', { id: 'passkeys' }, h('h3', {}, 'Passkeys'));
  const page = await attempt(() => client.admin.passkeys.list(userId));
  const reload = async () => box.replaceWith(await passkeys(userId));
  const when = (iso: string | undefined) => (iso ? new Date(iso).toLocaleString() : 'never');
  const register = async () => {
    const registration = await client.admin.passkeys.startRegistration(userId);
    const response = await startRegistration({ optionsJSON: registration.options as PublicKeyCredentialCreationOptionsJSON });
    const name = value('pk-name');
    // The same JSON; the API's schema types it with open records where the library declares interfaces.
    await client.admin.passkeys.finishRegistration(userId, registration.registrationId, response as PasskeyRegistration, name || undefined);
  };
  box.append(
    page?.items.length
      ? h('div', { class: 'scroll' }, h('table', {},
          h('thead', {}, h('tr', {}, ['Name', 'Type', 'AAGUID', 'Created', 'Last used', ''].map((c) => h('th', { scope: 'col' }, c)))),
          h('tbody', {}, page.items.map((p) => {
            const rename = h('input', { 'aria-label': 'New name', required: true, maxlength: 64, size: 14, value: p.name });
            return h('tr', { 'data-passkey-id': p.passkeyId },
              h('td', {}, p.name),
              h('td', { title: p.transports.join(', ') }, p.deviceType === 'multiDevice' ? 'synced' : 'device-bound'),
              h('td', {}, h('code', {}, p.aaguid)),
              h('td', {}, when(p.createdAt)),
              h('td', {}, when(p.lastUsedAt)),
              h('td', {},
                h('form', { class: 'row', style: 'margin:0', onsubmit: (e: Event) => { e.preventDefault(); void attempt(() => client.admin.passkeys.rename(userId, p.passkeyId, rename.value.trim()), 'Renamed.').then((r) => r && reload()); } },
                  rename, h('button', { type: 'submit' }, 'Rename'),
                  h('button', { type: 'button', class: 'danger', 'aria-label': `Delete passkey ${p.name}`, onclick: () => {
                    if (!confirm(`Delete the passkey “${p.name}”? It no longer signs ${userId} in.`)) return;
                    void attempt(() => client.admin.passkeys.delete(userId, p.passkeyId), 'Passkey deleted.').then(reload);
                  } }, 'Delete'))));
          }))))
      : h('p', { class: 'muted' }, 'None.'),
    h('form', { class: 'row', onsubmit: (e: Event) => { e.preventDefault(); void attempt(register, 'Passkey registered.').then(reload); } },
      field('pk-name', 'Name of a security key to register here', h('input', { id: 'pk-name', maxlength: 64, placeholder: 'optional' })),
      h('button', { type: 'submit' }, 'Register a security key')),
  );
  return box;
}

async function appPasswords(userId: string, secrets: HTMLElement): Promise<HTMLElement> {
  const box = h('div', {}, h('h3', {}, 'App passwords'));
  const page = await attempt(() => client.admin.appPasswords.list(userId));
  const reload = async () => box.replaceWith(await appPasswords(userId, secrets));
  box.append(
    page?.items.length
      ? h('ul', {}, page.items.map((p) => h('li', {}, `${p.name} (created ${new Date(p.createdAt).toLocaleString()}) `,
          h('button', { type: 'button', 'aria-label': `Delete app password ${p.name}`, onclick: () => void attempt(() => client.admin.appPasswords.delete(userId, p.passwordId), 'Deleted.').then(reload) }, 'Delete'))))
      : h('p', { class: 'muted' }, 'None.'),
    h('form', { class: 'row', onsubmit: (e: Event) => { e.preventDefault(); void attempt(async () => {
        const created = await client.admin.appPasswords.create(userId, value('ap-name'));
        show(secrets, h('p', {}, `App password “${created.name}” (shown once): `, h('span', { class: 'secret' }, created.password)));
        await reload();
      }); } },
      field('ap-name', 'New app password name', h('input', { id: 'ap-name', required: true })),
      h('button', { type: 'submit' }, 'Create'),
      page?.items.length ? h('button', { type: 'button', class: 'danger', onclick: () => void attempt(() => client.admin.appPasswords.deleteAll(userId), 'All app passwords deleted.').then(reload) }, 'Delete all (lost phone)') : null),
  );
  return box;
}

async function rememberedDevices(userId: string): Promise<HTMLElement> {
  const box = h('div', {}, h('h3', {}, 'Remembered devices'));
  const page = await attempt(() => client.admin.rememberedDevices.list(userId));
  const reload = async () => box.replaceWith(await rememberedDevices(userId));
  box.append(
    h('p', { id: 'remembered-count' }, page ? `${page.count} remembered device${page.count === 1 ? '' : 's'}` : ''),
    ...(page?.count
      ? [h('button', { type: 'button', class: 'danger', onclick: () => void attempt(() => client.admin.rememberedDevices.revokeAll(userId), 'All remembered devices revoked.').then(reload) }, 'Revoke all')]
      : []),
  );
  return box;
}

/** Recovery codes (status, regenerate: shown once) and Temporary Access Passes (issue, list, revoke). */
async function waysBack(userId: string, secrets: HTMLElement): Promise<HTMLElement> {
  const box = h('div', {}, h('h3', {}, 'Recovery codes and access passes'));
  const [status, passes] = await Promise.all([attempt(() => client.admin.recoveryCodes.status(userId)), attempt(() => client.admin.accessPasses.list(userId))]);
  const reload = async () => box.replaceWith(await waysBack(userId, secrets));
  box.append(
    h('div', { class: 'row' },
      h('p', { id: 'recovery-status' }, status ? `Recovery codes left: ${status.remaining}${status.createdAt ? ` (made ${new Date(status.createdAt).toLocaleString()})` : ''}` : ''),
      h('button', { type: 'button', onclick: () => void attempt(async () => {
        const made = await client.admin.recoveryCodes.regenerate(userId);
        show(secrets, h('p', {}, 'Recovery codes (shown once; the previous set is void): ', h('span', { class: 'secret', id: 'recovery-codes' }, made.codes.join(' '))));
        await reload();
      }) }, status?.remaining ? 'Regenerate recovery codes' : 'Generate recovery codes')),
    passes?.items.length
      ? h('ul', {}, passes.items.map((p) => h('li', {}, `Access pass ${p.passId}: ${p.state}, ${p.oneTime ? 'one-time' : `used ${p.uses}×`}, ${new Date(p.startsAt).toLocaleString()} – ${new Date(p.expiresAt).toLocaleString()} `,
          h('button', { type: 'button', 'aria-label': `Revoke access pass ${p.passId}`, onclick: () => void attempt(() => client.admin.accessPasses.revoke(userId, p.passId), 'Revoked.').then(reload) }, 'Revoke'))))
      : h('p', { class: 'muted' }, 'No access passes.'),
    h('form', { class: 'row', onsubmit: (e: Event) => { e.preventDefault(); void attempt(async () => {
        const startsAt = value('tap-start');
        const issued = await client.admin.accessPasses.issue(userId, {
          lifetimeMinutes: Number(value('tap-minutes')),
          oneTime: ($('#tap-once') as HTMLInputElement).checked,
          ...(startsAt ? { startsAt: new Date(startsAt).toISOString() } : {}),
        });
        show(secrets, h('p', {}, `Access pass (shown once, until ${new Date(issued.expiresAt).toLocaleString()}): `, h('span', { class: 'secret', id: 'access-pass' }, issued.pass)));
        await reload();
      }); } },
      field('tap-minutes', 'Lifetime (minutes, 10–43200)', h('input', { id: 'tap-minutes', type: 'number', min: 10, max: 43200, value: 60, required: true })),
      field('tap-start', 'Starts (empty: now)', h('input', { id: 'tap-start', type: 'datetime-local' })),
      h('label', { class: 'check' }, h('input', { id: 'tap-once', type: 'checkbox', checked: true }), 'One-time'),
      h('button', { type: 'submit' }, 'Issue access pass')),
  );
  return box;
}

// Settings -----------------------------------------------------------------------------------------

async function settingsPage(root: HTMLElement): Promise<void> {
  const s = await attempt(() => client.admin.settings.get());
  if (!s) return;
  const save = () =>
    attempt(
      () =>
        client.admin.settings.patch({
          enabledMethods: FACTORS.filter((f) => checked(`m-${f}`)),
          callerId: value('s-caller') || null,
          appPasswordsAllowed: checked('s-ap'),
          blockOnFraud: checked('s-fraud'),
          logOptionalFields: checked('s-log'),
          // As typed: the server checks each code and its 400 names a wrong one.
          allowedCountries: value('s-countries') ? (list(value('s-countries').toUpperCase()) as CountryCode[]) : null,
          webhookUrl: value('s-webhook') || null,
          ...passkeyPolicy(),
          rememberedDevices: { enabled: checked('s-remember'), days: Number(value('s-remember-days')) },
        }),
      'Settings saved.',
    );
  show(root,
    h('form', { class: 'panel', 'aria-labelledby': 'settings-h', onsubmit: (e: Event) => { e.preventDefault(); void save(); } },
      h('h2', { id: 'settings-h' }, 'Methods and settings'),
      h('fieldset', { style: 'border:0;padding:0' }, h('legend', { style: 'font-weight:600' }, 'Methods users may use'),
        h('div', { class: 'row' }, FACTORS.map((f) => h('label', { class: 'check' }, h('input', { id: `m-${f}`, type: 'checkbox', checked: s.enabledMethods.includes(f) }), FACTOR_NAMES[f])))),
      h('div', { class: 'row' },
        field('s-caller', 'Caller ID for voice calls (E.164)', h('input', { id: 's-caller', inputmode: 'tel', value: s.callerId ?? '' })),
        field('s-countries', 'Allowed countries (ISO codes; empty: all)', h('input', { id: 's-countries', value: (s.allowedCountries ?? []).join(', ') })),
        field('s-webhook', 'Webhook URL (notifications)', h('input', { id: 's-webhook', type: 'url', value: s.webhookUrl ?? '' }))),
      h('div', { class: 'row' },
        h('label', { class: 'check' }, h('input', { id: 's-ap', type: 'checkbox', checked: s.appPasswordsAllowed }), 'App passwords allowed'),
        h('label', { class: 'check' }, h('input', { id: 's-fraud', type: 'checkbox', checked: s.blockOnFraud }), 'Block users who report fraud'),
        h('label', { class: 'check' }, h('input', { id: 's-log', type: 'checkbox', checked: s.logOptionalFields }), 'Log names and emails')),
      passkeyFields(s),
      h('div', { class: 'row' },
        h('label', { class: 'check' }, h('input', { id: 's-remember', type: 'checkbox', checked: s.rememberedDevices?.enabled ?? false }), 'Relying apps may remember devices'),
        field('s-remember-days', 'Remember for (days, 1–365)', h('input', { id: 's-remember-days', type: 'number', min: '1', max: '365', required: true, value: String(s.rememberedDevices?.days ?? 30) }))),
      h('button', { type: 'submit', class: 'primary' }, 'Save settings')));
}

/** The tenant passkey policy; an empty relying party id turns passkeys off. */
function passkeyFields(s: Settings): HTMLElement {
  const p = s.passkeys;
  const option = (v: string, label: string, current: string | undefined) => h('option', { value: v, selected: v === current }, label);
  return h('fieldset', { style: 'border:0;padding:0;margin:0 0 10px' }, h('legend', { style: 'font-weight:600' }, 'Passkeys'),
    h('div', { class: 'row' },
      field('p-rpid', 'Relying party id', h('input', { id: 'p-rpid', value: p?.rpId ?? '', placeholder: 'example.com' })),
      field('p-rpname', 'Relying party name', h('input', { id: 'p-rpname', value: p?.rpName ?? '' })),
      field('p-origins', 'Allowed origins', h('input', { id: 'p-origins', size: 36, value: (p?.origins ?? []).join(', '), placeholder: 'https://login.example.com' }))),
    h('div', { class: 'row' },
      field('p-uv', 'User verification', h('select', { id: 'p-uv' }, option('required', 'Required', p?.userVerification), option('preferred', 'Preferred', p?.userVerification))),
      field('p-att', 'Attestation', h('select', { id: 'p-att' }, option('none', 'None', p?.attestation), option('direct', 'Direct', p?.attestation))),
      field('p-aaguids', 'AAGUID allow-list (with direct attestation; empty: any)', h('input', { id: 'p-aaguids', size: 36, value: (p?.aaguids ?? []).join(', ') }))),
    h('div', { class: 'row' },
      h('label', { class: 'check' }, h('input', { id: 'p-synced', type: 'checkbox', checked: p ? p.allowSynced : true }), 'Synced passkeys allowed'),
      h('label', { class: 'check' }, h('input', { id: 'p-pr', type: 'checkbox', checked: p?.phishingResistantOnly ?? false }), 'Phishing-resistant only (every user)')));
}

function passkeyPolicy(): Pick<Settings, 'passkeys'> {
  if (!value('p-rpid')) return { passkeys: null };
  const aaguids = list(value('p-aaguids').toLowerCase());
  return {
    passkeys: {
      rpId: value('p-rpid'),
      rpName: value('p-rpname') || value('p-rpid'),
      // As typed: the server checks each origin and its 400 names a wrong one.
      origins: list(value('p-origins')),
      userVerification: value('p-uv') as 'required' | 'preferred',
      attestation: value('p-att') as 'none' | 'direct',
      ...(aaguids.length ? { aaguids } : {}),
      allowSynced: checked('p-synced'),
      phishingResistantOnly: checked('p-pr'),
    },
  };
}

// OATH tokens --------------------------------------------------------------------------------------

async function oathPage(root: HTMLElement): Promise<void> {
  const report = h('div', { 'aria-live': 'polite' });
  const tokens = await attempt(() => client.admin.oathTokens.list({ limit: 100 }));
  const upload = async () => {
    const result = await attempt(() => client.admin.oathTokens.import(($('#o-file') as HTMLTextAreaElement).value, value('o-format') as 'csv' | 'pskc', value('o-key') || undefined));
    if (!result) return;
    show(report, h('p', {}, `Imported ${result.imported}, failed ${result.failed}.`), result.failed ? h('pre', {}, JSON.stringify(result.results.filter((r) => r.status === 'error'), null, 2)) : null);
    await oathPage(root).then(() => say(`Imported ${result.imported}, failed ${result.failed}.`));
  };
  show(root,
    h('form', { class: 'panel', 'aria-labelledby': 'oath-h', onsubmit: (e: Event) => { e.preventDefault(); void upload(); } },
      h('h2', { id: 'oath-h' }, 'Import hardware tokens'),
      h('div', { class: 'row' },
        field('o-format', 'Format', h('select', { id: 'o-format' }, h('option', { value: 'csv' }, 'CSV: serial, Base32 secret, interval'), h('option', { value: 'pskc' }, 'PSKC (RFC 6030)'))),
        field('o-key', 'PSKC pre-shared key (32 hex digits, if encrypted)', h('input', { id: 'o-key', type: 'password', autocomplete: 'off', pattern: '[0-9A-Fa-f]{32}' }))),
      field('o-file', 'File contents', h('textarea', { id: 'o-file', required: true, spellcheck: 'false' })),
      h('button', { type: 'submit', class: 'primary' }, 'Import'), report),
    h('section', { class: 'panel', 'aria-labelledby': 'tokens-h' },
      h('h2', { id: 'tokens-h' }, 'Tokens'),
      tokens?.items.length
        ? h('div', { class: 'scroll' }, h('table', {},
            h('thead', {}, h('tr', {}, ['Serial', 'Interval', 'Drift', 'User', ''].map((c) => h('th', { scope: 'col' }, c)))),
            h('tbody', {}, tokens.items.map((t) => {
              const id = `assign-${t.serial}`;
              return h('tr', {}, h('td', {}, t.serial), h('td', {}, `${t.step} s`), h('td', {}, String(t.driftSteps)), h('td', {}, t.assignee?.userId ?? '—'),
                h('td', {}, t.assignee
                  ? h('button', { type: 'button', onclick: () => void attempt(() => client.admin.oathTokens.unassign(t.serial), 'Unassigned.').then(() => oathPage(root)) }, 'Unassign')
                  : h('form', { class: 'row', style: 'margin:0', onsubmit: (e: Event) => { e.preventDefault(); void attempt(() => client.admin.oathTokens.assign(t.serial, value(id)), 'Assigned.').then(() => oathPage(root)); } },
                      h('label', { for: id, class: 'muted' }, 'User id'), h('input', { id, required: true, size: 10 }), h('button', { type: 'submit' }, 'Assign'))));
            }))))
        : h('p', { class: 'muted' }, 'No token yet.')));
}

// Auth logs ----------------------------------------------------------------------------------------

async function logsPage(root: HTMLElement): Promise<void> {
  const results = h('div', { class: 'scroll' });
  const search = async () => {
    const from = value('l-from');
    const to = value('l-to');
    const query = {
      ...(value('l-user') ? { userId: value('l-user') } : {}),
      ...(value('l-method') ? { method: value('l-method') as Factor } : {}),
      ...(value('l-result') ? { result: value('l-result') as 'approved' } : {}),
      ...(from ? { from: new Date(from).toISOString() } : {}),
      ...(to ? { to: new Date(to).toISOString() } : {}),
      limit: 100,
    };
    const page = await attempt(() => client.admin.authLogs(query));
    if (!page) return;
    show(results,
      page.items.length
        ? h('table', {},
            h('thead', {}, h('tr', {}, ['Time', 'User', 'Method', 'Event', 'Result', 'Reason', 'Phone', 'App key', 'Client IP'].map((c) => h('th', { scope: 'col' }, c)))),
            h('tbody', {}, page.items.map((l) =>
              h('tr', {}, [new Date(l.time).toLocaleString(), l.userId, l.method, l.event, l.result, l.reason ?? '', l.phone ?? '', l.apiKeyName, l.clientIp ?? ''].map((c, i) => h('td', { class: i === 4 ? (l.result === 'approved' ? 'ok' : l.result === 'denied' ? 'no' : undefined) : undefined }, c))))))
        : h('p', { class: 'muted' }, 'No entry matches.'));
  };
  const opt = (values: readonly string[]) => [h('option', { value: '' }, 'Any'), ...values.map((v) => h('option', { value: v }, v))];
  show(root,
    h('section', { class: 'panel', 'aria-labelledby': 'logs-h' },
      h('h2', { id: 'logs-h' }, 'Auth logs'),
      h('form', { class: 'row', onsubmit: (e: Event) => { e.preventDefault(); void search(); } },
        field('l-user', 'User id', h('input', { id: 'l-user' })),
        field('l-method', 'Method', h('select', { id: 'l-method' }, opt(FACTORS))),
        field('l-result', 'Result', h('select', { id: 'l-result' }, opt(['sent', 'approved', 'denied', 'failed', 'throttled']))),
        field('l-from', 'From', h('input', { id: 'l-from', type: 'datetime-local' })),
        field('l-to', 'To', h('input', { id: 'l-to', type: 'datetime-local' })),
        h('button', { type: 'submit' }, 'Filter')),
      results));
  await search();
}

// Usage --------------------------------------------------------------------------------------------

const SVG = 'http://www.w3.org/2000/svg';
function svg(tag: string, attrs: Record<string, string | number>, text?: string): SVGElement {
  const element = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) element.setAttribute(k, String(v));
  if (text !== undefined) element.textContent = text;
  return element;
}

/** Stacked bars: one per day of the month, one colour per method. */
function usageChart(monthText: string, counts: Map<string, Record<Factor, number>>): SVGElement {
  const [year, mon] = monthText.split('-').map(Number) as [number, number];
  const days = new Date(Date.UTC(year, mon, 0)).getUTCDate();
  const max = Math.max(1, ...[...counts.values()].map((c) => FACTORS.reduce((sum, f) => sum + c[f], 0)));
  const width = 640;
  const height = 220;
  const left = 30;
  const bottom = 20;
  const bar = (width - left) / days;
  const chart = svg('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-labelledby': 'chart-title', width: '100%', id: 'usage-chart' });
  chart.append(svg('title', { id: 'chart-title' }, `Authentications per day and method, ${monthText}`));
  for (const tick of [0, Math.ceil(max / 2), max]) {
    const y = height - bottom - (tick / max) * (height - bottom - 10);
    chart.append(svg('line', { x1: left, x2: width, y1: y, y2: y, stroke: '#eaeef2' }), svg('text', { x: 2, y: y + 4 }, String(tick)));
  }
  for (let d = 1; d <= days; d++) {
    const day = `${monthText}-${String(d).padStart(2, '0')}`;
    const c = counts.get(day);
    let y = height - bottom;
    for (const f of FACTORS) {
      const n = c?.[f] ?? 0;
      if (!n) continue;
      const h2 = (n / max) * (height - bottom - 10);
      y -= h2;
      const rect = svg('rect', { x: left + (d - 1) * bar + 1, y, width: Math.max(1, bar - 2), height: h2, fill: COLORS[f], 'data-day': day, 'data-method': f, 'data-count': n });
      rect.append(svg('title', {}, `${day}: ${n} ${FACTOR_NAMES[f]}`));
      chart.append(rect);
    }
    if (d === 1 || d % 5 === 0) chart.append(svg('text', { x: left + (d - 1) * bar, y: height - 4 }, String(d)));
  }
  return chart;
}

async function usagePage(root: HTMLElement): Promise<void> {
  const out = h('div', {});
  const load = async () => {
    const m = value('u-month') || month();
    const wanted = value('u-result');
    const report = await attempt(() => client.admin.usage(m));
    if (!report) return;
    const counts = new Map<string, Record<Factor, number>>();
    for (const row of report.days) {
      if (wanted === 'completed' ? row.result === 'sent' || row.result === 'throttled' : wanted && row.result !== wanted) continue;
      const day = counts.get(row.day) ?? { sms: 0, voice: 0, push: 0, app: 0, oath: 0, passkey: 0, recovery: 0, tap: 0 };
      day[row.method] += row.count;
      counts.set(row.day, day);
    }
    const totals = Object.fromEntries(FACTORS.map((f) => [f, [...counts.values()].reduce((s, c) => s + c[f], 0)])) as Record<Factor, number>;
    show(out,
      h('div', { class: 'legend', 'aria-hidden': 'true' }, FACTORS.map((f) => h('span', {}, h('i', { style: `background:${COLORS[f]}` }), FACTOR_NAMES[f]))),
      usageChart(m, counts),
      h('table', { id: 'usage-totals' },
        h('caption', { style: 'text-align:left;font-weight:600' }, `Totals for ${m}`),
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Method'), h('th', { scope: 'col' }, 'Count'))),
        h('tbody', {}, FACTORS.map((f) => h('tr', { 'data-method': f }, h('td', {}, FACTOR_NAMES[f]), h('td', {}, String(totals[f])))))),
      h('p', { class: 'muted' }, `All events this month: ${report.totals.all}`));
  };
  show(root,
    h('section', { class: 'panel', 'aria-labelledby': 'usage-h' },
      h('h2', { id: 'usage-h' }, 'Usage per day and method'),
      h('form', { class: 'row', onsubmit: (e: Event) => { e.preventDefault(); void load(); } },
        field('u-month', 'Month', h('input', { id: 'u-month', type: 'month', value: month() })),
        field('u-result', 'Count', h('select', { id: 'u-result' },
          h('option', { value: 'approved' }, 'Approved authentications'),
          h('option', { value: 'completed' }, 'Completed (approved, denied, failed)'),
          h('option', { value: 'denied' }, 'Denied'),
          h('option', { value: '' }, 'Every event'))),
        h('button', { type: 'submit' }, 'Show')),
      out));
  await load();
}

// Billing ------------------------------------------------------------------------------------------

async function billingPage(root: HTMLElement): Promise<void> {
  const [provider, bill] = await Promise.all([attempt(() => client.admin.provider.get()), attempt(() => client.admin.bill(month()))]);
  const model = (m: string) => (m === 'per_user' ? 'per user: each user enabled for MFA in the month (R25)' : 'per authentication: each two-step verification request (R24)');
  show(root,
    h('section', { class: 'panel', 'aria-labelledby': 'provider-h' },
      h('h2', { id: 'provider-h' }, 'MFA provider'),
      provider
        ? h('dl', {},
            h('dt', {}, 'Billing model'), h('dd', { id: 'billing-model' }, model(provider.billingModel)),
            h('dt', {}, 'Directory'), h('dd', {}, provider.directoryId ?? 'none'),
            h('dt', {}, 'Created'), h('dd', {}, new Date(provider.createdAt).toLocaleString()),
            h('p', { class: 'muted' }, 'The billing model cannot change; to change it, delete the provider and create a new one (R17).'))
        : h('p', {}, 'No provider: nothing can be challenged until one is created.')),
    h('section', { class: 'panel', 'aria-labelledby': 'bill-h' },
      h('h2', { id: 'bill-h' }, `Bill for ${month()}${bill ? ` (${bill.status === 'draft' ? 'so far' : 'final'})` : ''}`),
      bill?.rows.length
        ? h('table', { id: 'bill' },
            h('thead', {}, h('tr', {}, ['Model', 'From', 'Until', 'Units', 'Unit price', 'Amount'].map((c) => h('th', { scope: 'col' }, c)))),
            h('tbody', {}, bill.rows.map((r) => h('tr', {}, h('td', {}, r.billingModel), h('td', {}, r.activeFrom.slice(0, 10)), h('td', {}, r.activeUntil ? r.activeUntil.slice(0, 10) : '—'), h('td', {}, String(r.billableUnits)), h('td', {}, `${r.unitPrice} ${r.currency}`), h('td', {}, `${r.amount} ${r.currency}`)))))
        : h('p', { class: 'muted' }, 'Nothing billed this month yet.')));
}

// Start --------------------------------------------------------------------------------------------

const remembered = sessionStorage.getItem('tessera.console.key');
if (remembered) void signIn(sessionStorage.getItem('tessera.console.api') ?? location.origin, remembered).then(() => client || signInPage());
else signInPage();
