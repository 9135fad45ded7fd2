import { expectProblem, TestApi, type Reply, type Tenant } from '../support/runtime';

let api: TestApi;
let tenant: Tenant;

beforeAll(async () => {
  api = await TestApi.start();
  tenant = await api.createTenant();
  await api.putUser(tenant, 'alice', '+14155550100');
});

afterAll(() => api.stop());

/** R29: each bad request gets a 4xx problem+json and leaves every table exactly as it was (but the request-rate windows, R6). */
async function expectRefusedWithoutChange(send: () => Promise<Reply>, status: number, code?: string) {
  const before = JSON.stringify(await api.stateItems());
  const sent = (await api.outbox()).length;
  expectProblem(await send(), status, code);
  expect(JSON.stringify(await api.stateItems())).toBe(before);
  expect(await api.outbox()).toHaveLength(sent);
}

const post = (path: string, options: Parameters<TestApi['request']>[2]) => () => api.request('POST', path, options);

describe('R29 bad input is a 4xx problem and changes nothing', () => {
  it('malformed JSON', async () => {
    await expectRefusedWithoutChange(
      post('/v1/challenges', { key: tenant.authKey, rawBody: '{"userId": "alice",', headers: { 'content-type': 'application/json' } }),
      400,
      'validation-failed',
    );
  });

  it('wrong types, with a JSON pointer to the field', async () => {
    const reply = await api.request('POST', '/v1/challenges', { key: tenant.authKey, body: { userId: 42, method: 'carrier-pigeon' } });
    expectProblem(reply, 400, 'validation-failed');
    const pointers = (reply.body.errors as { pointer: string }[]).map((e) => e.pointer).sort();
    expect(pointers).toEqual(['/method', '/userId']);
    await expectRefusedWithoutChange(post('/v1/challenges', { key: tenant.authKey, body: [1, 2, 3] }), 400, 'validation-failed');
  });

  it('unknown fields', async () => {
    await expectRefusedWithoutChange(
      post('/v1/challenges', { key: tenant.authKey, body: { userId: 'alice', admin: true } }),
      400,
      'validation-failed',
    );
    await expectRefusedWithoutChange(
      () => api.request('PUT', '/v1/admin/users/zed', { key: tenant.adminKey, body: { mfaEnabled: true, phones: {}, role: 'root' } }),
      400,
      'validation-failed',
    );
  });

  it('a 1 MB body', async () => {
    const big = JSON.stringify({ userId: 'alice', padding: 'x'.repeat(1024 * 1024) });
    await expectRefusedWithoutChange(
      post('/v1/challenges', { key: tenant.authKey, rawBody: big, headers: { 'content-type': 'application/json' } }),
      413,
      'payload-too-large',
    );
  });

  it('a body over the API Gateway limit is refused by the server itself', async () => {
    const huge = Buffer.alloc(11 * 1024 * 1024, 0x20);
    await expectRefusedWithoutChange(
      post('/v1/challenges', { key: tenant.authKey, rawBody: huge, headers: { 'content-type': 'application/json' } }),
      413,
      'payload-too-large',
    );
  });

  it('a wrong content type', async () => {
    await expectRefusedWithoutChange(
      post('/v1/challenges', { key: tenant.authKey, rawBody: 'userId=alice', headers: { 'content-type': 'application/x-www-form-urlencoded' } }),
      415,
      'unsupported-media-type',
    );
  });

  it('bad phone numbers', async () => {
    for (const primary of ['0612345678', '+1', '+999123456789', '+1415555010O', '']) {
      await expectRefusedWithoutChange(
        () => api.request('PUT', '/v1/admin/users/zed', { key: tenant.adminKey, body: { mfaEnabled: true, phones: { primary } } }),
        400,
        'validation-failed',
      );
    }
    const reply = await api.request('PUT', '/v1/admin/users/zed', {
      key: tenant.adminKey,
      body: { mfaEnabled: true, phones: { primary: '+14155550100', backup: ['+14155550101', 'nope'] } },
    });
    expect(reply.body.errors).toEqual([expect.objectContaining({ pointer: '/phones/backup/1' })]);
  });

  it('bad codes, ids and user ids', async () => {
    const id = (await api.createChallenge(tenant, 'alice')).body.challengeId as string;
    for (const code of ['12345', '1234567', 'abcdef', 123456]) {
      await expectRefusedWithoutChange(post(`/v1/challenges/${id}/verify`, { key: tenant.authKey, body: { code } }), 400);
    }
    await expectRefusedWithoutChange(post('/v1/challenges/not-an-id/verify', { key: tenant.authKey, body: { code: '123456' } }), 400);
    await expectRefusedWithoutChange(() => api.request('GET', '/v1/admin/users/%F0%9F%92%A9', { key: tenant.adminKey }), 400);
    await expectRefusedWithoutChange(() => api.request('GET', '/v1/admin/users/a%00b', { key: tenant.adminKey }), 400);
  });

  it('a bad Idempotency-Key header', async () => {
    await expectRefusedWithoutChange(
      post('/v1/challenges', { key: tenant.authKey, body: { userId: 'alice' }, headers: { 'idempotency-key': 'x'.repeat(300) } }),
      400,
      'validation-failed',
    );
  });

  it('unknown routes and methods', async () => {
    await expectRefusedWithoutChange(() => api.request('GET', '/v1/nothing-here', { key: tenant.authKey }), 404);
    const reply = await api.request('PATCH', '/v1/challenges', { key: tenant.authKey, body: {} });
    expectProblem(reply, 405);
    expect(reply.headers.get('allow')).toBe('POST');
  });

  it('deeply nested and odd Unicode JSON is refused cleanly', async () => {
    const deep = `${'['.repeat(5000)}${']'.repeat(5000)}`;
    await expectRefusedWithoutChange(
      post('/v1/challenges', { key: tenant.authKey, rawBody: deep, headers: { 'content-type': 'application/json' } }),
      400,
    );
    await expectRefusedWithoutChange(
      post('/v1/challenges', { key: tenant.authKey, rawBody: Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]), headers: { 'content-type': 'application/json' } }),
      400,
    );
    await expectRefusedWithoutChange(post('/v1/challenges', { key: tenant.authKey, body: { userId: 'al\u202eice' } }), 400);
  });
});
