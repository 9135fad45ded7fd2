import { createTesseraClient, TesseraError } from '../../shared/client';

interface Sent {
  url: string;
  method: string;
  headers: Record<string, string>;
  body?: string;
}

/** A fetch that records the request and answers with the given status, body and headers. */
function fakeFetch(status: number, body: string, headers: Record<string, string> = {}) {
  const sent: Sent[] = [];
  const fetch = async (url: string, init?: RequestInit) => {
    sent.push({ url, method: init?.method ?? 'GET', headers: init?.headers as Record<string, string>, ...(typeof init?.body === 'string' ? { body: init.body } : {}) });
    return new Response(status === 204 ? null : body, { status, headers: { 'content-type': 'application/json', ...headers } });
  };
  return { sent, fetch: fetch as typeof globalThis.fetch };
}

describe('the typed client, against a fake fetch', () => {
  it('builds the request from the route key: path parameters encoded, key, JSON body, Idempotency-Key', async () => {
    const { sent, fetch } = fakeFetch(201, '{"challengeId":"ch_x","status":"pending"}');
    const client = createTesseraClient({ baseUrl: 'https://mfa.example.com/', apiKey: 'tsr_auth_k', fetch });
    expect(await client.challenges.create({ userId: 'a@b', method: 'sms' }, 'login-1')).toEqual({ challengeId: 'ch_x', status: 'pending' });
    await client.call('DELETE /v1/admin/users/{userId}/app-passwords/{passwordId}', { params: { userId: 'a/b c', passwordId: 'ap_1' } });
    expect(sent[0]).toEqual({
      url: 'https://mfa.example.com/v1/challenges',
      method: 'POST',
      headers: { 'Idempotency-Key': 'login-1', authorization: 'Bearer tsr_auth_k', 'content-type': 'application/json' },
      body: '{"userId":"a@b","method":"sms"}',
    });
    expect(sent[1]).toMatchObject({ url: 'https://mfa.example.com/v1/admin/users/a%2Fb%20c/app-passwords/ap_1', method: 'DELETE' });
    expect(sent[1]?.body).toBeUndefined();
  });

  it('passkeys: sends the credential instead of a code, the step-up challenge, and encodes credential ids in paths', async () => {
    const { sent, fetch } = fakeFetch(200, '{}');
    const client = createTesseraClient({ baseUrl: 'https://mfa.example.com', apiKey: 'k', fetch });
    const credential = { id: 'AAEC', rawId: 'AAEC', response: { clientDataJSON: 'e30', authenticatorData: 'AA', signature: 'AA' }, clientExtensionResults: {}, type: 'public-key' as const };
    await client.challenges.verifyPasskey('ch_1', credential);
    await client.passkeys.startRegistration('ada', 'ch_2');
    await client.passkeys.startRegistration('ada');
    await client.admin.passkeys.rename('a b', 'Ab-_9', 'Laptop');
    expect(sent.map((r) => [r.method, r.url, r.body])).toEqual([
      ['POST', 'https://mfa.example.com/v1/challenges/ch_1/verify', JSON.stringify({ credential })],
      ['POST', 'https://mfa.example.com/v1/passkeys/registrations', '{"userId":"ada","challengeId":"ch_2"}'],
      ['POST', 'https://mfa.example.com/v1/passkeys/registrations', '{"userId":"ada"}'],
      ['PATCH', 'https://mfa.example.com/v1/admin/users/a%20b/passkeys/Ab-_9', '{"name":"Laptop"}'],
    ]);
  });

  it('remembered devices: remembers and checks with the relying app, lists and revokes all from the console', async () => {
    const { sent, fetch } = fakeFetch(200, '{}');
    const client = createTesseraClient({ baseUrl: 'https://mfa.example.com', apiKey: 'k', fetch });
    await client.rememberedDevices.remember('ch_1', 'cookie-hash-0123456789');
    await client.rememberedDevices.check('ada', 'rdt_x', 'cookie-hash-0123456789');
    await client.admin.rememberedDevices.list('a b');
    await client.admin.rememberedDevices.revokeAll('ada');
    expect(sent.map((r) => [r.method, r.url, r.body])).toEqual([
      ['POST', 'https://mfa.example.com/v1/remembered-devices', '{"challengeId":"ch_1","binding":"cookie-hash-0123456789"}'],
      ['POST', 'https://mfa.example.com/v1/remembered-devices/check', '{"userId":"ada","token":"rdt_x","binding":"cookie-hash-0123456789"}'],
      ['GET', 'https://mfa.example.com/v1/admin/users/a%20b/remembered-devices', undefined],
      ['DELETE', 'https://mfa.example.com/v1/admin/users/ada/remembered-devices', undefined],
    ]);
  });

  it('methods from a relying app: an authenticator app (enrol, confirm) and phones, with the step-up challenge when given', async () => {
    const { sent, fetch } = fakeFetch(200, '{}');
    const client = createTesseraClient({ baseUrl: 'https://mfa.example.com', apiKey: 'k', fetch });
    await client.authenticators.enroll('ada', 'ch_1');
    await client.authenticators.confirm('ada', 'en_1', '123456');
    await client.phones.set('ada', { primary: '+14155550100' });
    await client.phones.set('ada', { primary: '+14155550100', backup: ['+14155550101'] }, 'ch_2');
    expect(sent.map((r) => [r.method, r.url, r.body])).toEqual([
      ['POST', 'https://mfa.example.com/v1/authenticators', '{"userId":"ada","challengeId":"ch_1"}'],
      ['POST', 'https://mfa.example.com/v1/authenticators/confirm', '{"userId":"ada","enrollmentId":"en_1","code":"123456"}'],
      ['PUT', 'https://mfa.example.com/v1/phones', '{"userId":"ada","primary":"+14155550100"}'],
      ['PUT', 'https://mfa.example.com/v1/phones', '{"userId":"ada","primary":"+14155550100","backup":["+14155550101"],"challengeId":"ch_2"}'],
    ]);
  });

  it('puts the query in the URL, leaving out what is not given', async () => {
    const { sent, fetch } = fakeFetch(200, '{"items":[]}');
    const client = createTesseraClient({ baseUrl: 'http://x', fetch });
    await client.admin.users.list({ prefix: 'al', blocked: undefined, limit: 5 });
    await client.admin.usage('2026-11');
    expect(sent.map((s) => s.url)).toEqual(['http://x/v1/admin/users?prefix=al&limit=5', 'http://x/v1/admin/usage?month=2026-11']);
  });

  it('sends text uploads with their media type and headers', async () => {
    const { sent, fetch } = fakeFetch(200, '{"imported":1,"failed":0,"results":[]}');
    await createTesseraClient({ baseUrl: 'http://x', fetch }).admin.oathTokens.import('<KeyContainer/>', 'pskc', '00'.repeat(16));
    expect(sent[0]).toMatchObject({ headers: { 'Tessera-PSKC-Key': '00'.repeat(16), 'content-type': 'application/pskc+xml' }, body: '<KeyContainer/>' });
  });

  it('answers undefined for 204', async () => {
    const { fetch } = fakeFetch(204, '');
    expect(await createTesseraClient({ baseUrl: 'http://x', fetch }).admin.users.delete('ann')).toBeUndefined();
  });

  it('throws a TesseraError with the problem, its slug and Retry-After', async () => {
    const problem = { type: 'urn:tessera:problem:too-many-requests', title: 'Too many requests', status: 429, detail: 'wait' };
    const { fetch } = fakeFetch(429, JSON.stringify(problem), { 'retry-after': '42', 'content-type': 'application/problem+json' });
    const error = await createTesseraClient({ baseUrl: 'http://x', fetch }).challenges.resend('ch_1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TesseraError);
    expect(error).toMatchObject({ status: 429, code: 'too-many-requests', retryAfter: 42, problem, message: '429 Too many requests: wait' });
  });

  it('an error page that is not JSON is still a TesseraError', async () => {
    const { fetch } = fakeFetch(502, '<html>Bad gateway</html>', { 'content-type': 'text/html' });
    const error = await createTesseraClient({ baseUrl: 'http://x', fetch }).jwks().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TesseraError);
    expect(error).toMatchObject({ status: 502, code: 'about:blank' });
  });
});
