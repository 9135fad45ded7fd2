import { $, getJson, h, poll, show } from '../dom';

interface Sms { to: string; body: string; sentAt: string; provider: string }
interface Ringing { callId: string; number: string; callerId: string; prompt: string; startedAt: string }
interface Phone { number: string; script: string; ringing: Ringing[]; calls: (Ringing & { state: string; action?: string; outcome?: string })[] }
interface Device { deviceId: string; prompts: { challengeId: string; appName?: string; location?: string; clientIp?: string; expiresAt: string }[] }

const SCRIPTS: [string, string][] = [
  ['manual', 'Ring (answer here)'],
  ['press#', 'Answer and press #'],
  ['press0#', 'Answer and report fraud (0#)'],
  ['hangup', 'Answer and hang up'],
  ['voicemail', 'Voicemail takes it'],
  ['busy', 'Busy'],
  ['no-answer', 'No answer'],
  ['disconnected', 'Disconnected number'],
  ['invalid', 'Invalid number'],
];
const ACTIONS: { action: string; label: string; kind?: string }[] = [
  { action: 'press#', label: 'Press #', kind: 'primary' },
  { action: 'hangup', label: 'Hang up' },
  { action: 'voicemail', label: 'Voicemail' },
  { action: 'busy', label: 'Busy' },
  { action: 'press0#', label: 'Report fraud (0#)', kind: 'danger' },
];

const status = $('#status');
const say = (text: string, error = false) => {
  status.textContent = text;
  status.className = error ? 'error' : 'muted';
};
const watched = new Set<string>(JSON.parse(localStorage.getItem('tessera.watched') ?? '[]') as string[]);
const time = (iso: string) => new Date(iso).toLocaleTimeString();
const phonePath = (n: string) => `/local/phone/${encodeURIComponent(n)}`;

for (const [value, label] of SCRIPTS) $('#watch-script').append(h('option', { value }, label));
$('#watch').addEventListener('submit', (event) => {
  event.preventDefault();
  const form = event.target as HTMLFormElement;
  const number = (form.elements.namedItem('number') as HTMLInputElement).value.trim();
  const script = (form.elements.namedItem('script') as HTMLSelectElement).value;
  void setScript(number, script);
});

$('#activate').addEventListener('submit', (event) => {
  event.preventDefault();
  const input = $('#activation-code') as HTMLInputElement;
  void (async () => {
    try {
      // The phone's own call, as the authenticator app makes it; the simulator keeps the device key.
      const device = await getJson<{ deviceId: string }>('/v1/push/activate', {
        method: 'POST',
        body: JSON.stringify({ activationCode: input.value.trim(), platform: 'ios', pushToken: `simulator-${Date.now()}` }),
      });
      input.value = '';
      say(`Phone activated: ${device.deviceId}`);
      await refresh();
    } catch (error) {
      say(String(error instanceof Error ? error.message : error), true);
    }
  })();
});

async function setScript(number: string, script: string): Promise<void> {
  try {
    await getJson(`${phonePath(number)}/script`, { method: 'PUT', body: JSON.stringify({ script }) });
    watched.add(number);
    localStorage.setItem('tessera.watched', JSON.stringify([...watched]));
    say(`${number}: ${SCRIPTS.find(([v]) => v === script)?.[1] ?? script}`);
    await refresh();
  } catch (error) {
    say(String(error instanceof Error ? error.message : error), true);
  }
}

async function answer(number: string, action: string): Promise<void> {
  try {
    const call = await getJson<{ outcome?: string }>(`${phonePath(number)}/answer`, { method: 'POST', body: JSON.stringify({ action }) });
    say(`${number}: ${action}${call.outcome ? ` → ${call.outcome}` : ''}`);
    await refresh();
  } catch (error) {
    say(String(error instanceof Error ? error.message : error), true);
  }
}

async function respond(deviceId: string, challengeId: string, decision: 'approve' | 'deny', number?: number): Promise<void> {
  try {
    const result = await getJson<{ status: string; reason?: string }>(`/local/devices/${encodeURIComponent(deviceId)}/respond`, {
      method: 'POST',
      body: JSON.stringify({ challengeId, decision, ...(number === undefined ? {} : { number }) }),
    });
    say(`Push ${decision}: ${result.status}${result.reason ? ` (${result.reason})` : ''}`);
    await refresh();
  } catch (error) {
    say(String(error instanceof Error ? error.message : error), true);
  }
}

function renderSms(messages: Sms[]): void {
  const byNumber = new Map<string, Sms[]>();
  for (const m of messages) byNumber.set(m.to, [m, ...(byNumber.get(m.to) ?? [])]);
  if (!byNumber.size) return show($('#sms'), h('p', { class: 'muted' }, 'No text message yet.'));
  const newestFirst = [...byNumber].sort(([, a], [, b]) => (b[0]?.sentAt ?? '').localeCompare(a[0]?.sentAt ?? ''));
  show(
    $('#sms'),
    newestFirst.map(([number, list]) =>
      h('article', { class: 'card', 'aria-label': `Texts to ${number}`, 'data-number': number },
        h('h3', {}, h('span', {}, number), h('span', { class: 'muted' }, `${list.length} message${list.length === 1 ? '' : 's'}`)),
        list.slice(0, 5).map((m) => {
          const code = /\b(\d{6})\b/.exec(m.body)?.[1];
          return h('div', { class: 'msg' },
            code ? h('p', { style: 'margin:0' }, 'Code ', h('span', { class: 'code', 'data-code': code }, code)) : null,
            h('p', { style: 'margin:0' }, m.body),
            h('p', { class: 'muted', style: 'margin:0' }, `${time(m.sentAt)} · via ${m.provider}`));
        })),
    ),
  );
}

function renderPhones(phones: Phone[]): void {
  if (!phones.length) return show($('#phones'), h('p', { class: 'muted' }, 'No call yet.'));
  const ringingFirst = [...phones].sort((a, b) => b.ringing.length - a.ringing.length);
  show(
    $('#phones'),
    ringingFirst.map((phone) => {
      const ring = phone.ringing[0];
      const select = h('select', { 'aria-label': `When ${phone.number} is called`, onchange: (e: Event) => void setScript(phone.number, (e.target as HTMLSelectElement).value) },
        SCRIPTS.map(([value, label]) => h('option', { value, selected: value === phone.script }, label)));
      return h('article', { class: `card${ring ? ' ringing' : ''}`, 'aria-label': `Phone ${phone.number}`, 'data-number': phone.number },
        h('h3', {}, h('span', {}, phone.number), h('span', { class: 'muted' }, ring ? 'Ringing' : 'Idle')),
        select,
        ring
          ? [
              h('div', { class: 'prompt', role: 'alert' }, h('strong', {}, `Call from ${ring.callerId}: `), ring.prompt),
              h('div', { class: 'buttons' }, ACTIONS.map((a) => h('button', { type: 'button', class: a.kind, 'data-action': a.action, onclick: () => void answer(phone.number, a.action) }, a.label))),
            ]
          : null,
        phone.calls.length
          ? h('ul', { class: 'calls', 'aria-label': 'Calls' }, phone.calls.slice(-5).reverse().map((c) => h('li', {}, `${time(c.startedAt)}: ${c.state === 'ringing' ? 'ringing' : `${c.action ?? '—'} → ${c.outcome ?? '…'}`}`)))
          : null);
    }),
  );
}

function renderDevices(devices: Device[]): void {
  if (!devices.length) return show($('#devices'), h('p', { class: 'muted' }, 'No activated phone yet.'));
  show(
    $('#devices'),
    devices.map((device) =>
      h('article', { class: `card${device.prompts.length ? ' ringing' : ''}`, 'aria-label': `Phone app ${device.deviceId}`, 'data-device': device.deviceId },
        h('h3', {}, h('span', {}, `Device ${device.deviceId.slice(0, 10)}…`), h('span', { class: 'muted' }, device.prompts.length ? 'Prompt' : 'Idle')),
        device.prompts.map((p) => {
          const id = `n-${p.challengeId}`;
          const input = h('input', { id, inputmode: 'numeric', pattern: '[0-9]{1,3}', maxlength: 3, size: 4, autocomplete: 'off' });
          return h('form', { class: 'prompt', 'data-challenge': p.challengeId, onsubmit: (e: Event) => { e.preventDefault(); void respond(device.deviceId, p.challengeId, 'approve', Number(input.value)); } },
            h('p', { style: 'margin:0 0 4px' }, h('strong', {}, `Sign in to ${p.appName ?? 'an app'}?`)),
            h('p', { class: 'muted', style: 'margin:0 0 6px' }, [p.location, p.clientIp].filter(Boolean).join(' · ') || 'No location given', ` · until ${time(p.expiresAt)}`),
            h('label', { for: id }, 'Enter the number shown on the sign-in screen'),
            h('div', { class: 'buttons' }, input,
              h('button', { type: 'submit', class: 'primary' }, 'Approve'),
              h('button', { type: 'button', class: 'danger', onclick: () => void respond(device.deviceId, p.challengeId, 'deny') }, 'Deny')));
        })),
    ),
  );
}

const last: Record<string, string> = {};
/** Re-renders a part only when its data changed, so a number being typed is never wiped. */
function changed(part: string, data: unknown): boolean {
  const json = JSON.stringify(data);
  if (last[part] === json) return false;
  last[part] = json;
  return true;
}

async function refresh(): Promise<void> {
  const [sms, phones, devices] = await Promise.all([getJson<Sms[]>('/local/outbox'), getJson<Phone[]>('/local/phones'), getJson<Device[]>('/local/devices')]);
  const known = new Set(phones.map((p) => p.number));
  const extra = await Promise.all([...watched].filter((n) => !known.has(n)).map((n) => getJson<Phone>(phonePath(n))));
  const allPhones = [...phones, ...extra];
  if (changed('sms', sms)) renderSms(sms);
  if (changed('phones', allPhones)) renderPhones(allPhones);
  if (changed('devices', devices)) renderDevices(devices);
}

poll(refresh, 1000, (error) => say(`Cannot reach the local runtime: ${error instanceof Error ? error.message : String(error)}`, true));
