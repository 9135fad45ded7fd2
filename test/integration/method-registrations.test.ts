/**
 * A relying app registers an authenticator app or phones for a user (issue 16: the onboarding and
 * recovery path), through the local runtime against DynamoDB Local: a step-up once the user has a
 * method (an approved access-pass challenge is one), used once (a replay and a race authorise one
 * change), not another user's, not another tenant's, not older than ten minutes, not from before
 * an unblock; bad input changes nothing.
 */
import { totpAt } from '../../shared/domain/otp/totp';
import { expectProblem, secretOf, TestApi, type Reply, type Tenant } from '../support/runtime';

let api: TestApi;
let acme: Tenant;
let globex: Tenant;

beforeAll(async () => {
  api = await TestApi.start();
  acme = await api.createTenant('Acme');
  globex = await api.createTenant('Globex');
});

afterAll(() => api.stop());

const admin = (t: Tenant, method: string, path: string, body?: unknown) => api.request(method, path, { key: t.adminKey, ...(body === undefined ? {} : { body }) });
const auth = (t: Tenant, method: string, path: string, body?: unknown) => api.request(method, path, { key: t.authKey, ...(body === undefined ? {} : { body }) });

/** A challenge of `userId` approved with an access pass the admin just issued. */
async function tapApproved(t: Tenant, userId: string): Promise<string> {
  const issued = await admin(t, 'POST', `/v1/admin/users/${userId}/access-passes`, { lifetimeMinutes: 60, oneTime: true });
  expect(issued.status).toBe(201);
  const opened = await auth(t, 'POST', '/v1/challenges', { userId, method: 'tap' });
  expect(opened.status).toBe(201);
  const challengeId = opened.body.challengeId as string;
  expect((await auth(t, 'POST', `/v1/challenges/${challengeId}/verify`, { code: issued.body.pass })).status).toBe(200);
  return challengeId;
}

/** A challenge of `userId` approved with the texted code. */
async function smsApproved(t: Tenant, userId: string, phone: string): Promise<string> {
  const created = await api.createChallenge(t, userId);
  expect(created.status).toBe(201);
  const challengeId = created.body.challengeId as string;
  expect((await auth(t, 'POST', `/v1/challenges/${challengeId}/verify`, { code: await api.latestCode(phone) })).status).toBe(200);
  return challengeId;
}

const stepUpRefused = (reply: Reply) => expectProblem(reply, 403, 'step-up-required');
const userOf = async (t: Tenant, userId: string) => (await admin(t, 'GET', `/v1/admin/users/${userId}`)).body;

describe('an authenticator app from a relying app', () => {
  it('lost phone: an access pass is the step-up; enrol, confirm with the first code, then sign in with the app', async () => {
    const { userId } = await api.newUser(acme, 'appreg');
    stepUpRefused(await auth(acme, 'POST', '/v1/authenticators', { userId }));
    const tap = await tapApproved(acme, userId);
    const enrolled = await auth(acme, 'POST', '/v1/authenticators', { userId, challengeId: tap });
    expect(enrolled.status).toBe(201);
    const secret = secretOf(enrolled.body.otpauthUri as string);
    // A wrong first code: 422, nothing registered.
    const wrong = totpAt(secret, await api.clockNow()) === '000000' ? '111111' : '000000';
    expectProblem(await auth(acme, 'POST', '/v1/authenticators/confirm', { userId, enrollmentId: enrolled.body.enrollmentId, code: wrong }), 422);
    expect((await userOf(acme, userId)).authenticator).toBeUndefined();
    const confirmed = await auth(acme, 'POST', '/v1/authenticators/confirm', { userId, enrollmentId: enrolled.body.enrollmentId, code: totpAt(secret, await api.clockNow()) });
    expect(confirmed.status).toBe(200);
    expect((await userOf(acme, userId)).methods).toContain('app');
    // The step-up was used: not again, for this or another change.
    stepUpRefused(await auth(acme, 'POST', '/v1/authenticators', { userId, challengeId: tap }));
    stepUpRefused(await auth(acme, 'PUT', '/v1/phones', { userId, challengeId: tap, primary: '+14155552001' }));
    // The app signs in (a later time step: the confirming one is used up, R5).
    await api.advanceClock(30);
    const challenge = await auth(acme, 'POST', '/v1/challenges', { userId, method: 'app' });
    expect(challenge.status).toBe(201);
    const verified = await auth(acme, 'POST', `/v1/challenges/${challenge.body.challengeId}/verify`, { code: totpAt(secret, await api.clockNow()) });
    expect(verified.status).toBe(200);
  });

  it('needs no step-up for a user with nothing registered; a confirm names the enrolment it started', async () => {
    expect((await admin(acme, 'PUT', '/v1/admin/users/bare-app', { mfaEnabled: true, phones: {} })).status).toBe(201);
    const enrolled = await auth(acme, 'POST', '/v1/authenticators', { userId: 'bare-app' });
    expect(enrolled.status).toBe(201);
    const code = totpAt(secretOf(enrolled.body.otpauthUri as string), await api.clockNow());
    expectProblem(await auth(acme, 'POST', '/v1/authenticators/confirm', { userId: 'bare-app', enrollmentId: `en_${'A'.repeat(22)}`, code }), 404, 'not-found');
    expect((await auth(acme, 'POST', '/v1/authenticators/confirm', { userId: 'bare-app', enrollmentId: enrolled.body.enrollmentId, code })).status).toBe(200);
    // Now the user has a method: the next one needs a step-up.
    stepUpRefused(await auth(acme, 'POST', '/v1/authenticators', { userId: 'bare-app' }));
  });
});

describe('an enrolment started without a step-up', () => {
  it('cannot be confirmed once the user gained a method or was blocked meanwhile (the start was authorised for the user as they were)', async () => {
    for (const [userId, change] of [
      ['bare-then-phone', { mfaEnabled: true, phones: { primary: '+14155552151' } }],
      ['bare-then-blocked', undefined],
    ] as const) {
      expect((await admin(acme, 'PUT', `/v1/admin/users/${userId}`, { mfaEnabled: true, phones: {} })).status).toBe(201);
      const enrolled = await auth(acme, 'POST', '/v1/authenticators', { userId });
      expect(enrolled.status).toBe(201);
      if (change) expect((await admin(acme, 'PUT', `/v1/admin/users/${userId}`, change)).status).toBe(200);
      else expect((await admin(acme, 'POST', `/v1/admin/users/${userId}/block`, {})).status).toBe(200);
      const code = totpAt(secretOf(enrolled.body.otpauthUri as string), await api.clockNow());
      const confirmed = await auth(acme, 'POST', '/v1/authenticators/confirm', { userId, enrollmentId: enrolled.body.enrollmentId, code });
      if (change) expectProblem(confirmed, 409, 'conflict');
      else expectProblem(confirmed, 403, 'user-blocked');
      expect((await userOf(acme, userId)).methods ?? []).not.toContain('app');
    }
  });
});

describe('phones from a relying app', () => {
  it('a user with nothing registered (or reset) sets a phone without a step-up; after that, one approval per change', async () => {
    expect((await admin(acme, 'PUT', '/v1/admin/users/bare-phone', { mfaEnabled: true, phones: {} })).status).toBe(201);
    const set = await auth(acme, 'PUT', '/v1/phones', { userId: 'bare-phone', primary: '+14155552101' });
    expect(set.status).toBe(200);
    expect(set.body).toEqual({ userId: 'bare-phone', phones: { primary: '••••••••2101', backup: [] }, methods: expect.arrayContaining(['sms']) });
    expect(JSON.stringify(set.body)).not.toContain('+14155552101');
    expect((await userOf(acme, 'bare-phone')).phones).toMatchObject({ primary: { e164: '+14155552101' } });
    stepUpRefused(await auth(acme, 'PUT', '/v1/phones', { userId: 'bare-phone', primary: '+14155552102' }));
    const approved = await smsApproved(acme, 'bare-phone', '+14155552101');
    const moved = await auth(acme, 'PUT', '/v1/phones', { userId: 'bare-phone', challengeId: approved, primary: '+14155552102', backup: ['+14155552103'] });
    expect(moved.status).toBe(200);
    expect((await userOf(acme, 'bare-phone')).phones).toMatchObject({ primary: { e164: '+14155552102' }, backup: [{ e164: '+14155552103' }] });
    // Replay of the same approval: refused, nothing changes.
    stepUpRefused(await auth(acme, 'PUT', '/v1/phones', { userId: 'bare-phone', challengeId: approved, primary: '+14155552104' }));
    expect((await userOf(acme, 'bare-phone')).phones).toMatchObject({ primary: { e164: '+14155552102' } });
    // A reset user must register again (R20): a phone set after a step-up clears it.
    expect((await admin(acme, 'POST', '/v1/admin/users/bare-phone/reset')).status).toBe(200);
    expect((await userOf(acme, 'bare-phone')).registration).toMatchObject({ required: true, reason: 'reset_by_admin' });
    expect((await auth(acme, 'PUT', '/v1/phones', { userId: 'bare-phone', primary: '+14155552105' })).status).toBe(200);
    expect((await userOf(acme, 'bare-phone')).registration).toEqual({ required: false });
  });

  it('race: two changes with one approval at once, exactly one applied', async () => {
    const { userId, phone } = await api.newUser(acme, 'phrace');
    const approved = await smsApproved(acme, userId, phone);
    const replies = await Promise.all(['+14155552201', '+14155552202'].map((primary) => auth(acme, 'PUT', '/v1/phones', { userId, challengeId: approved, primary })));
    expect(replies.map((r) => r.status).sort()).toEqual([200, 403]);
    const won = replies.findIndex((r) => r.status === 200);
    expect((await userOf(acme, userId)).phones).toMatchObject({ primary: { e164: ['+14155552201', '+14155552202'][won] } });
  });

  it('refuses bad input with a 400 and changes nothing', async () => {
    const { userId, phone } = await api.newUser(acme, 'phbad');
    const approved = await smsApproved(acme, userId, phone);
    for (const body of [
      { userId, challengeId: approved, primary: '4155552301' },
      { userId, challengeId: approved, primary: '+14155552301', backup: Array(6).fill('+14155552302') },
      { userId, challengeId: approved, primary: '+14155552301', tenantId: 'tn_other' },
      { userId, challengeId: 'not-a-challenge', primary: '+14155552301' },
    ]) {
      expectProblem(await auth(acme, 'PUT', '/v1/phones', body), 400, 'validation-failed');
    }
    expectProblem(await auth(acme, 'POST', '/v1/authenticators/confirm', { userId, enrollmentId: 'en_x', code: '123456' }), 400, 'validation-failed');
    expect((await userOf(acme, userId)).phones).toMatchObject({ primary: { e164: phone } });
    // The approval was not spent by the refused requests.
    expect((await auth(acme, 'PUT', '/v1/phones', { userId, challengeId: approved, primary: '+14155552301' })).status).toBe(200);
  });
});

describe('the step-up', () => {
  it('must be this user’s: another user’s approved challenge is refused', async () => {
    const alice = await api.newUser(acme, 'su-alice');
    const bob = await api.newUser(acme, 'su-bob');
    const bobs = await smsApproved(acme, bob.userId, bob.phone);
    stepUpRefused(await auth(acme, 'PUT', '/v1/phones', { userId: alice.userId, challengeId: bobs, primary: '+14155552401' }));
    stepUpRefused(await auth(acme, 'POST', '/v1/authenticators', { userId: alice.userId, challengeId: bobs }));
    // Still good for bob himself.
    expect((await auth(acme, 'PUT', '/v1/phones', { userId: bob.userId, challengeId: bobs, primary: '+14155552402' })).status).toBe(200);
  });

  it('expires: approved 10 minutes ago is too old, a second less is not', async () => {
    await api.freezeClock(true);
    try {
      const { userId, phone } = await api.newUser(acme, 'suold');
      const old = await smsApproved(acme, userId, phone);
      await api.advanceClock(1);
      const fresh = await smsApproved(acme, userId, phone);
      await api.advanceClock(599);
      stepUpRefused(await auth(acme, 'POST', '/v1/authenticators', { userId, challengeId: old }));
      expect((await auth(acme, 'POST', '/v1/authenticators', { userId, challengeId: fresh })).status).toBe(201);
    } finally {
      await api.freezeClock(false);
    }
  });

  it('must be from after the user’s last unblock; a blocked user registers nothing', async () => {
    const { userId, phone } = await api.newUser(acme, 'suunblock');
    const before = await smsApproved(acme, userId, phone);
    await api.advanceClock(1);
    expect((await admin(acme, 'POST', `/v1/admin/users/${userId}/block`, { reason: 'stolen phone' })).status).toBe(200);
    expectProblem(await auth(acme, 'PUT', '/v1/phones', { userId, challengeId: before, primary: '+14155552501' }), 403, 'user-blocked');
    expectProblem(await auth(acme, 'POST', '/v1/authenticators', { userId, challengeId: before }), 403, 'user-blocked');
    expect((await admin(acme, 'POST', `/v1/admin/users/${userId}/unblock`)).status).toBe(200);
    stepUpRefused(await auth(acme, 'PUT', '/v1/phones', { userId, challengeId: before, primary: '+14155552501' }));
    await api.advanceClock(1);
    const tap = await tapApproved(acme, userId);
    expect((await auth(acme, 'PUT', '/v1/phones', { userId, challengeId: tap, primary: '+14155552501' })).status).toBe(200);
  });

  it('R27: another tenant reaches none of it', async () => {
    const { userId, phone } = await api.newUser(acme, 'suiso');
    expect((await api.putUser(globex, userId, '+14155552601')).status).toBe(201);
    const acmes = await smsApproved(acme, userId, phone);
    // The same user id in globex: acme's approval is no step-up there.
    stepUpRefused(await auth(globex, 'PUT', '/v1/phones', { userId, challengeId: acmes, primary: '+14155552602' }));
    stepUpRefused(await auth(globex, 'POST', '/v1/authenticators', { userId, challengeId: acmes }));
    expect((await userOf(globex, userId)).phones).toMatchObject({ primary: { e164: '+14155552601' } });
    // A user only acme has: 404 for globex, as for an id nobody has.
    const { userId: only } = await api.newUser(acme, 'suisoonly');
    expectProblem(await auth(globex, 'PUT', '/v1/phones', { userId: only, primary: '+14155552603' }), 404, 'not-found');
    expectProblem(await auth(globex, 'POST', '/v1/authenticators', { userId: only }), 404, 'not-found');
    // Acme's enrolment is not globex's to confirm.
    const enrolled = await auth(acme, 'POST', '/v1/authenticators', { userId, challengeId: acmes });
    expect(enrolled.status).toBe(201);
    const code = totpAt(secretOf(enrolled.body.otpauthUri as string), await api.clockNow());
    expectProblem(await auth(globex, 'POST', '/v1/authenticators/confirm', { userId, enrollmentId: enrolled.body.enrollmentId, code }), 404, 'not-found');
    // An admin key is not a relying app's.
    expectProblem(await admin(acme, 'PUT', '/v1/phones', { userId, primary: '+14155552604' }), 403);
    expect((await auth(acme, 'POST', '/v1/authenticators/confirm', { userId, enrollmentId: enrolled.body.enrollmentId, code })).status).toBe(200);
  });
});
