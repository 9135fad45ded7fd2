import { startAuthentication, startRegistration, type PublicKeyCredentialCreationOptionsJSON, type PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/browser';
import { createTesseraClient, TesseraError, type PasskeyAssertion, type PasskeyRegistration, type ResponseOf, type TesseraClient } from '../../../shared/client';
import { $, h, show } from '../dom';

type Challenge = ResponseOf<'GET /v1/challenges/{challengeId}'>;
type PasskeyChallenge = ResponseOf<'POST /v1/challenges'> & { method: 'passkey' };

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

function done(challenge: Challenge, client: TesseraClient): void {
  flow.hidden = false;
  if (challenge.status === 'approved') {
    const added = h('div', { 'aria-live': 'polite' });
    show(flow,
      h('h2', { class: 'ok', id: 'result', 'data-status': 'approved' }, `Signed in as ${challenge.userId}`),
      h('p', {}, `Second factor: ${challenge.method}. The assertion, an ES256 JWT the app checks against /.well-known/jwks.json:`),
      challenge.assertion ? h('pre', { 'aria-label': 'Assertion claims' }, JSON.stringify(claims(challenge.assertion), null, 2)) : null,
      // The sign-in just approved is the step-up that lets this user add a passkey.
      h('button', { type: 'button', class: 'secondary', onclick: () => void addPasskey(client, challenge.userId, added, challenge.challengeId) }, 'Add a passkey'),
      added,
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
      done(verified, client);
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
  if (mine === generation) done(finished, client);
}

/**
 * Passkey: the browser asks the authenticator for an assertion over Tessera's request options and
 * the app posts it back. A refusal by the browser (cancelled, no user verification) posts nothing;
 * a refusal by Tessera is a wrong attempt. Either way the user may try again on the same challenge.
 */
async function passkeyStep(client: TesseraClient, challenge: PasskeyChallenge, mine: number): Promise<void> {
  show(flow, h('h2', { style: 'font-size:1.1em;margin:0' }, 'Use your passkey'), h('p', { id: 'passkey-wait' }, 'Follow your browser’s prompt…'));
  try {
    const credential = await startAuthentication({ optionsJSON: challenge.publicKey as PublicKeyCredentialRequestOptionsJSON });
    // The same JSON; the API's schema types it with open records where the library declares interfaces.
    const verified = await client.challenges.verifyPasskey(challenge.challengeId, credential as PasskeyAssertion);
    if (mine === generation) done(verified, client);
  } catch (error) {
    if (mine !== generation) return;
    show(flow,
      h('h2', { style: 'font-size:1.1em;margin:0' }, 'Use your passkey'),
      h('p', { role: 'alert', class: 'no', id: 'error' }, message(error)),
      h('button', { type: 'button', onclick: () => void passkeyStep(client, challenge, mine) }, 'Try again'),
      h('button', { type: 'button', class: 'secondary', onclick: reset }, 'Start over'));
  }
}

/**
 * Registers a passkey for the user: creation options from Tessera, `navigator.credentials.create()`
 * in the browser, the response back to Tessera. A user who already has a method needs the id of a
 * sign-in they just completed (`challengeId`); a first enrolment needs none.
 */
async function addPasskey(client: TesseraClient, userId: string, target: HTMLElement, challengeId?: string): Promise<void> {
  show(target, h('p', { id: 'passkey-wait' }, 'Follow your browser’s prompt to create a passkey…'));
  try {
    const registration = await client.passkeys.startRegistration(userId, challengeId);
    const response = await startRegistration({ optionsJSON: registration.options as PublicKeyCredentialCreationOptionsJSON });
    const { passkey } = await client.passkeys.finishRegistration(registration.registrationId, response as PasskeyRegistration);
    show(target, h('p', { class: 'ok', id: 'passkey-added', 'data-passkey-id': passkey.passkeyId }, `Passkey “${passkey.name}” added for ${userId}. Choose “Passkey” to sign in with it.`));
  } catch (error) {
    const stepUp = error instanceof TesseraError && error.code === 'step-up-required';
    show(target, h('p', { role: 'alert', class: 'no', id: 'passkey-error' }, stepUp ? `${message(error)}. Sign in with another method first, then choose “Add a passkey”.` : message(error)));
  }
}

/** The relying app's client, with the auth key typed in the form. */
function relyingApp(): TesseraClient {
  const key = keyInput.value.trim();
  sessionStorage.setItem('tessera.demo.key', key);
  return createTesseraClient({ baseUrl: location.origin, apiKey: key });
}

$('#setup').addEventListener('click', () => {
  if (!form.reportValidity()) return;
  generation++;
  flow.hidden = false;
  const target = h('div', { 'aria-live': 'polite' });
  show(flow, h('h2', { style: 'font-size:1.1em;margin:0' }, 'Set up a passkey'), target, h('button', { type: 'button', class: 'secondary', onclick: reset }, 'Back'));
  void addPasskey(relyingApp(), (form.elements.namedItem('user') as HTMLInputElement).value.trim(), target);
});

form.addEventListener('submit', (event) => {
  event.preventDefault();
  const userId = (form.elements.namedItem('user') as HTMLInputElement).value.trim();
  const method = (form.elements.namedItem('method') as HTMLSelectElement).value as 'sms' | 'voice' | 'push' | 'app' | 'oath' | 'passkey' | '';
  const client = relyingApp();
  const mine = ++generation;
  const button = $('#go') as HTMLButtonElement;
  button.disabled = true;
  void (async () => {
    try {
      const challenge = await client.challenges.create({ userId, ...(method ? { method } : {}), context: { appName: 'Acme Portal' } });
      flow.hidden = false;
      if (challenge.method === 'passkey') await passkeyStep(client, challenge as PasskeyChallenge, mine);
      else if (challenge.method === 'voice' || challenge.method === 'push') await waitStep(client, challenge, mine);
      else codeStep(client, challenge);
    } catch (error) {
      if (mine === generation) failed(error);
    } finally {
      button.disabled = false;
    }
  })();
});
