import { createTesseraClient, TesseraError, type ResponseOf, type TesseraClient } from '../../../shared/client';
import { $, h, show } from '../dom';

type Challenge = ResponseOf<'GET /v1/challenges/{challengeId}'>;

const form = $('#start') as HTMLFormElement;
const flow = $('#flow');
const keyInput = $('#key') as HTMLInputElement;
keyInput.value = sessionStorage.getItem('tessera.demo.key') ?? '';
let generation = 0;

const message = (error: unknown) =>
  error instanceof TesseraError ? `${error.problem.title}${error.problem.detail ? `: ${error.problem.detail}` : ''}` : error instanceof Error ? error.message : String(error);

function claims(assertion: string): unknown {
  const part = assertion.split('.')[1] ?? '';
  return JSON.parse(atob(part.replace(/-/g, '+').replace(/_/g, '/')));
}

function done(challenge: Challenge): void {
  flow.hidden = false;
  if (challenge.status === 'approved') {
    show(flow,
      h('h2', { class: 'ok', id: 'result', 'data-status': 'approved' }, `Signed in as ${challenge.userId}`),
      h('p', {}, `Second factor: ${challenge.method}. The assertion, an ES256 JWT the app checks against /.well-known/jwks.json:`),
      challenge.assertion ? h('pre', { 'aria-label': 'Assertion claims' }, JSON.stringify(claims(challenge.assertion), null, 2)) : null,
      h('button', { type: 'button', class: 'secondary', onclick: reset }, 'Sign in again'));
  } else {
    show(flow,
      h('h2', { class: 'no', id: 'result', 'data-status': challenge.status }, `Not signed in: ${challenge.status}${challenge.reason ? ` (${challenge.reason})` : ''}`),
      h('button', { type: 'button', class: 'secondary', onclick: reset }, 'Try again'));
  }
}

function failed(error: unknown): void {
  flow.hidden = false;
  show(flow, h('p', { role: 'alert', class: 'no', id: 'error' }, message(error)), h('button', { type: 'button', class: 'secondary', onclick: reset }, 'Start over'));
}

function reset(): void {
  generation++;
  flow.hidden = true;
  ($('#go') as HTMLButtonElement).disabled = false;
  (form.elements.namedItem('user') as HTMLInputElement).focus();
}

/** SMS, authenticator app, hardware token: the user types a code. */
function codeStep(client: TesseraClient, challenge: Challenge): void {
  const input = h('input', { id: 'code', class: 'code-input', inputmode: 'numeric', autocomplete: 'one-time-code', pattern: '[0-9]{6,8}', required: true, maxlength: 8 });
  const error = h('p', { role: 'alert', class: 'no', id: 'code-error' });
  const text = challenge.method === 'sms' ? `We texted a code to ${challenge.destination}.` : challenge.method === 'app' ? 'Enter the code your authenticator app shows.' : 'Enter the code your hardware token shows.';
  const verify = async (event: Event) => {
    event.preventDefault();
    try {
      const verified = await client.challenges.verify(challenge.challengeId, input.value.trim());
      done(verified);
    } catch (e) {
      const attempts = e instanceof TesseraError && typeof e.problem.attemptsRemaining === 'number' ? ` ${e.problem.attemptsRemaining} tries left.` : '';
      error.textContent = `${message(e)}${attempts}`;
      input.select();
    }
  };
  const resend = async () => {
    try {
      await client.challenges.resend(challenge.challengeId);
      error.textContent = 'A new code is on its way; the old one no longer works.';
    } catch (e) {
      error.textContent = message(e);
    }
  };
  show(flow,
    h('form', { onsubmit: (e: Event) => void verify(e) },
      h('h2', { style: 'font-size:1.1em;margin:0' }, 'Enter your code'),
      h('p', {}, text),
      h('label', { for: 'code' }, 'Code'), input, error,
      h('button', { type: 'submit' }, 'Verify'),
      challenge.method === 'sms' ? h('button', { type: 'button', class: 'secondary', onclick: () => void resend() }, 'Send a new code') : null));
  input.focus();
}

/** Voice and push: the user answers on the phone; the app polls the challenge. */
async function waitStep(client: TesseraClient, challenge: Challenge, mine: number): Promise<void> {
  const render = (c: Challenge) => {
    if (mine !== generation) return;
    if (c.method === 'push') {
      show(flow,
        h('h2', { style: 'font-size:1.1em;margin:0' }, 'Approve the sign-in on your phone'),
        h('p', {}, 'Your authenticator app shows a prompt. Enter this number in it:'),
        h('p', { class: 'big', id: 'push-number', 'aria-label': `Number to enter: ${c.number ?? ''}` }, String(c.number ?? '')),
        h('p', { class: 'muted' }, 'Waiting for your answer…'));
    } else {
      const attempts = c.voice?.attempts ?? [];
      show(flow,
        h('h2', { style: 'font-size:1.1em;margin:0' }, 'Answer the call and press #'),
        h('p', { id: 'calling' }, c.voice?.calling ? `Calling ${c.voice.calling}…` : attempts.length ? 'Finishing…' : `Calling ${c.destination}…`),
        attempts.length
          ? h('ol', { class: 'attempts', 'aria-label': 'Calls so far' }, attempts.map((a) => h('li', { 'data-outcome': a.outcome }, `${a.number}: ${a.outcome.replace(/_/g, ' ')}${a.outcome === 'voicemail' || a.outcome === 'busy' || a.outcome === 'no_answer' ? ' — trying the next number' : ''}`)))
          : null);
    }
  };
  render(challenge);
  const finished = await client.challenges.waitUntilDone(challenge.challengeId, { intervalMs: 700, timeoutMs: 180_000, onUpdate: render });
  if (mine === generation) done(finished);
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  const key = keyInput.value.trim();
  const userId = (form.elements.namedItem('user') as HTMLInputElement).value.trim();
  const method = (form.elements.namedItem('method') as HTMLSelectElement).value as 'sms' | 'voice' | 'push' | 'app' | 'oath' | '';
  sessionStorage.setItem('tessera.demo.key', key);
  const client = createTesseraClient({ baseUrl: location.origin, apiKey: key });
  const mine = ++generation;
  const button = $('#go') as HTMLButtonElement;
  button.disabled = true;
  void (async () => {
    try {
      const challenge = await client.challenges.create({ userId, ...(method ? { method } : {}), context: { appName: 'Acme Portal' } });
      flow.hidden = false;
      if (challenge.method === 'voice' || challenge.method === 'push') await waitStep(client, challenge, mine);
      else codeStep(client, challenge);
    } catch (error) {
      if (mine === generation) failed(error);
    } finally {
      button.disabled = false;
    }
  })();
});
