import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';
import { setTimeout as sleep } from 'node:timers/promises';
import { ASSERTION_TTL_SECONDS, FATIGUE_PAUSE_SECONDS, MESSAGES_PER_NUMBER_PER_HOUR } from '../../shared/rules';
import { expectProblem, TestApi, type Reply, type Tenant } from '../support/runtime';

/**
 * Local calls nobody answers give up after this, instead of the state machine's 60 s (R12).
 * The task's clock includes the place-call step (the hourly cap's write, then the dial), so it
 * leaves room for a busy machine before a scripted answer would count as a timeout.
 */
const CALL_TIMEOUT_MS = 1000;
const CALLER_ID = '+14155550199';

let api: TestApi;
let tenant: Tenant;
let other: Tenant;
let numbers = 0;

interface VoiceView {
  challengeId: string;
  status: string;
  reason?: string;
  method: string;
  assertion?: string;
  voice: { calling?: string; attempts: { number: string; outcome: string; at: string }[] };
}

beforeAll(async () => {
  api = await TestApi.start({ voiceCallTimeoutMs: CALL_TIMEOUT_MS });
  tenant = await api.createTenant('Voice');
  other = await api.createTenant('Other');
  for (const t of [tenant, other]) await admin(t, 'PATCH', '/v1/admin/settings', { callerId: CALLER_ID });
});

afterAll(() => api.stop());

function admin(t: Tenant, method: string, path: string, body?: unknown): Promise<Reply> {
  return api.request(method, path, { key: t.adminKey, ...(body === undefined ? {} : { body }) });
}

/** A fresh user whose primary and backups each follow a script (R13: called in this order). */
async function voiceUser(t: Tenant, ...scripts: string[]): Promise<{ userId: string; phones: string[] }> {
  const n = numbers++;
  const phones = scripts.map((_, i) => `+1415556${String(n * 10 + i).padStart(4, '0')}`);
  for (const [i, phone] of phones.entries()) await api.scriptPhone(phone, scripts[i] as string);
  const userId = `caller${n}`;
  const reply = await api.putUser(t, userId, phones[0] as string, phones.slice(1));
  if (reply.status !== 201) throw new Error(`user not created: ${JSON.stringify(reply.body)}`);
  return { userId, phones };
}

function startVoice(t: Tenant, userId: string, appName = 'Acme VPN'): Promise<Reply> {
  return api.request('POST', '/v1/challenges', { key: t.authKey, body: { userId, method: 'voice', context: { appName } } });
}

function getChallenge(t: Tenant, id: string): Promise<Reply<VoiceView>> {
  return api.request<VoiceView>('GET', `/v1/challenges/${id}`, { key: t.authKey });
}

/** Polls the challenge as a relying app would, until it is no longer pending. */
async function settled(t: Tenant, id: string): Promise<VoiceView> {
  for (let i = 0; i < 200; i++) {
    const reply = await getChallenge(t, id);
    expect(reply.status).toBe(200);
    if (reply.body.status !== 'pending') return reply.body;
    await sleep(20);
  }
  throw new Error(`challenge ${id} still pending`);
}

async function voiceChallenge(t: Tenant, userId: string): Promise<VoiceView> {
  const created = await startVoice(t, userId);
  expect(created.status).toBe(201);
  return settled(t, created.body.challengeId as string);
}

async function until<T>(probe: () => Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < 200; i++) {
    const value = await probe();
    if (value !== undefined) return value;
    await sleep(20);
  }
  throw new Error('condition never met');
}

/** The stored challenge item's TTL attribute and approval time (epoch seconds and ms). */
async function storedTtl(challengeId: string): Promise<{ ttl: number; approvedAt: number }> {
  const found = (await api.allItems()).find((i) => i.table === 'Challenges' && i.item.pk?.S === challengeId);
  return { ttl: Number(found?.item.ttl?.N), approvedAt: Number(found?.item.approvedAt?.N) };
}

const masked = (phone: string) => expect.stringMatching(new RegExp(`^•+${phone.slice(-4)}$`));

describe('POST /v1/challenges {method: voice}', () => {
  it('returns at once with status pending, no code, and the masked primary number', async () => {
    const { userId, phones } = await voiceUser(tenant, 'manual');
    const created = await startVoice(tenant, userId);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ method: 'voice', status: 'pending', destination: masked(phones[0]!) });
    expect(JSON.stringify(created.body)).not.toContain(phones[0]!.slice(1));
    await until(async () => (await api.phone(phones[0]!)).ringing[0]);
    await api.request('POST', `/local/phone/${encodeURIComponent(phones[0]!)}/answer`, { body: { action: 'hangup' } });
  });

  it('a voice challenge takes no code: verify and resend are clear 422 problems', async () => {
    const { userId, phones } = await voiceUser(tenant, 'manual');
    const id = (await startVoice(tenant, userId)).body.challengeId as string;
    const verify = await api.request('POST', `/v1/challenges/${id}/verify`, { key: tenant.authKey, body: { code: '123456' } });
    expectProblem(verify, 422, 'method-unavailable');
    expectProblem(await api.request('POST', `/v1/challenges/${id}/resend`, { key: tenant.authKey }), 422, 'method-unavailable');
    // The call is placed by the rollover, after the create answered: answer it once it rings.
    await until(async () => (await api.phone(phones[0]!)).ringing[0]);
    await api.request('POST', `/local/phone/${encodeURIComponent(phones[0]!)}/answer`, { body: { action: 'hangup' } });
    expect((await settled(tenant, id)).reason).toBe('denied');
  });

  it('R15: without a caller ID in the settings, voice is refused before anything is stored or called', async () => {
    const bare = await api.createTenant('No caller ID');
    const { userId, phones } = await voiceUser(bare, 'press#');
    const reply = await startVoice(bare, userId);
    expectProblem(reply, 422, 'method-unavailable');
    expect(reply.body.reason).toBe('caller_id_missing');
    expect((await api.phone(phones[0]!)).calls).toEqual([]);
  });
});

describe('R10–R13 rollover through the local state machine', () => {
  it('R12: voicemail on the primary, # on the backup: approved after exactly two calls, with a signed assertion', async () => {
    const { userId, phones } = await voiceUser(tenant, 'voicemail', 'press#', 'press#');
    const done = await voiceChallenge(tenant, userId);
    expect(done).toMatchObject({ status: 'approved', method: 'voice' });
    expect(done.voice.attempts).toEqual([
      { number: masked(phones[0]!), outcome: 'voicemail', at: expect.any(String) },
      { number: masked(phones[1]!), outcome: 'approved', at: expect.any(String) },
    ]);
    expect(done.voice.calling).toBeUndefined();
    expect((await api.phone(phones[0]!)).calls).toHaveLength(1);
    expect((await api.phone(phones[1]!)).calls).toHaveLength(1);
    expect((await api.phone(phones[2]!)).calls).toHaveLength(0);

    const jwks = (await api.request<JSONWebKeySet>('GET', '/.well-known/jwks.json')).body;
    const { payload } = await jwtVerify(done.assertion as string, createLocalJWKSet(jwks), { issuer: api.url });
    expect(payload).toMatchObject({ tid: tenant.tenantId, sub: userId, mth: 'voice', cid: done.challengeId });
  });

  it('R4: an approved call stays stored with its assertion until the assertion expires, not only until the challenge expiry', async () => {
    const { userId } = await voiceUser(tenant, 'press#');
    const done = await voiceChallenge(tenant, userId);
    expect(done.status).toBe('approved');
    const { ttl, approvedAt } = await storedTtl(done.challengeId);
    expect(approvedAt).toBeGreaterThan(0);
    expect(ttl).toBeGreaterThanOrEqual(Math.ceil(approvedAt / 1000) + ASSERTION_TTL_SECONDS);
  });

  it('R11: a hang-up on the primary denies; the backup is never called', async () => {
    const { userId, phones } = await voiceUser(tenant, 'hangup', 'press#');
    const done = await voiceChallenge(tenant, userId);
    expect(done).toMatchObject({ status: 'denied', reason: 'denied' });
    expect(done.assertion).toBeUndefined();
    expect(done.voice.attempts.map((a) => a.outcome)).toEqual(['denied']);
    expect((await api.phone(phones[1]!)).calls).toEqual([]);
  });

  it('R12/R13: busy, disconnected, invalid number: denied as unreachable after three calls', async () => {
    const { userId, phones } = await voiceUser(tenant, 'busy', 'disconnected', 'invalid');
    const done = await voiceChallenge(tenant, userId);
    expect(done).toMatchObject({ status: 'denied', reason: 'unreachable' });
    expect(done.voice.attempts.map((a) => a.outcome)).toEqual(['busy', 'disconnected', 'invalid_number']);
    for (const phone of phones) expect((await api.phone(phone)).calls).toHaveLength(1);
  });

  it('R12: no answer within the call task timeout rolls over to the next number', async () => {
    const { userId, phones } = await voiceUser(tenant, 'no-answer', 'press#');
    const done = await voiceChallenge(tenant, userId);
    expect(done.status).toBe('approved');
    expect(done.voice.attempts.map((a) => a.outcome)).toEqual(['timeout', 'approved']);
    expect((await api.phone(phones[0]!)).calls).toEqual([expect.objectContaining({ state: 'ended', outcome: 'timeout' })]);
  });

  it('answered by hand: the phone rings with the prompt, the status shows the number being called', async () => {
    const { userId, phones } = await voiceUser(tenant, 'manual', 'manual');
    const id = (await startVoice(tenant, userId, 'Payroll')).body.challengeId as string;
    const ringing = await until(async () => (await api.phone(phones[0]!)).ringing[0]);
    expect(ringing.prompt).toContain('Payroll');
    expect(ringing.prompt).toMatch(/press the pound key/);
    expect(ringing.callerId).toBe(CALLER_ID);
    expect((await getChallenge(tenant, id)).body.voice).toEqual({ calling: masked(phones[0]!), attempts: [] });

    const answer = (action: string) => api.request('POST', `/local/phone/${encodeURIComponent(phones[0]!)}/answer`, { body: { action } });
    expectProblem(await answer('press9'), 400, 'validation-failed');
    expect((await answer('voicemail')).status).toBe(200);
    // The progress step records the call, and the backup rings next.
    const progress = await until(async () => {
      const view = (await getChallenge(tenant, id)).body.voice;
      return view.attempts.length === 1 ? view : undefined;
    });
    expect(progress).toEqual({ calling: masked(phones[1]!), attempts: [{ number: masked(phones[0]!), outcome: 'voicemail', at: expect.any(String) }] });
    await until(async () => (await api.phone(phones[1]!)).ringing[0]);
    expect((await api.request('POST', `/local/phone/${encodeURIComponent(phones[1]!)}/answer`, { body: { action: 'press#' } })).status).toBe(200);
    expect((await settled(tenant, id)).status).toBe('approved');
    expectProblem(await answer('press#'), 404, 'not-found');
  });
});

describe('R6 the per-number hourly cap counts every number dialled, backups included', () => {
  it(`R6: 14 users with busy primaries share backup V: V rings ${MESSAGES_PER_NUMBER_PER_HOUR} times in the hour, the rest skip it (over_cap, logged) and are unreachable`, async () => {
    const shared = '+14155558888';
    await api.scriptPhone(shared, 'busy');
    await api.freezeClock(true);
    try {
      const now = await api.clockNow();
      // Start 10 minutes into an hour so every call falls in one clock hour.
      await api.advanceClock(Math.ceil((3_600_000 - (now % 3_600_000)) / 1000) + 600);
      const users: string[] = [];
      for (let i = 0; i < 14; i++) {
        const primary = `+1415557${String(i).padStart(4, '0')}`;
        await api.scriptPhone(primary, 'busy');
        expect((await api.putUser(tenant, `capped${i}`, primary, [shared])).status).toBe(201);
        users.push(`capped${i}`);
      }
      const outcomes: string[] = [];
      for (const userId of users) {
        const done = await voiceChallenge(tenant, userId);
        expect(done).toMatchObject({ status: 'denied', reason: 'unreachable' });
        outcomes.push(done.voice.attempts.map((a) => a.outcome).join(' '));
      }
      expect((await api.phone(shared)).calls).toHaveLength(MESSAGES_PER_NUMBER_PER_HOUR);
      expect(outcomes).toEqual([
        ...Array<string>(MESSAGES_PER_NUMBER_PER_HOUR).fill('busy busy'),
        ...Array<string>(14 - MESSAGES_PER_NUMBER_PER_HOUR).fill('busy over_cap'),
      ]);
      // The skipped call is in the auth log with the masked number, as every call is (R23).
      const logs = await admin(tenant, 'GET', `/v1/admin/auth-logs?userId=${users.at(-1)}`);
      const calls = (logs.body.items as { event?: string; reason?: string; phone?: string }[]).filter((l) => l.reason === 'over_cap');
      expect(calls).toEqual([expect.objectContaining({ result: 'failed', phone: masked(shared) })]);

      // R13: a user whose every number is over its cap is denied as unreachable, and nothing rings.
      expect((await api.putUser(tenant, 'cappedOnly', shared)).status).toBe(201);
      const only = await voiceChallenge(tenant, 'cappedOnly');
      expect(only).toMatchObject({ status: 'denied', reason: 'unreachable' });
      expect(only.voice.attempts.map((a) => a.outcome)).toEqual(['over_cap']);
      expect((await api.phone(shared)).calls).toHaveLength(MESSAGES_PER_NUMBER_PER_HOUR);
    } finally {
      await api.freezeClock(false);
    }
  });
});

describe('R14 fraud report (0#)', () => {
  it('denies as fraud_reported and notifies the admin; the user stays unblocked when the tenant does not block', async () => {
    const { userId } = await voiceUser(tenant, 'press0#', 'press#');
    const done = await voiceChallenge(tenant, userId);
    expect(done).toMatchObject({ status: 'denied', reason: 'fraud_reported' });
    expect(done.voice.attempts.map((a) => a.outcome)).toEqual(['fraud']);
    // The report's effects follow the final status (the record step changes the challenge first, so they run once).
    const notes = await until(async () => {
      const items = (await admin(tenant, 'GET', '/v1/admin/notifications')).body.items as { type: string; userId: string }[];
      return items.some((n) => n.userId === userId) ? items : undefined;
    });
    expect(notes).toContainEqual(expect.objectContaining({ type: 'fraud_reported', userId }));
    expect((await admin(tenant, 'GET', `/v1/admin/users/${userId}`)).body.blocked).toBeUndefined();
  });

  it('with "block on fraud report" on, the user is blocked until an admin unblocks them', async () => {
    const strict = await api.createTenant('Strict');
    await admin(strict, 'PATCH', '/v1/admin/settings', { callerId: CALLER_ID, blockOnFraud: true });
    const { userId } = await voiceUser(strict, 'press0#');
    expect((await voiceChallenge(strict, userId)).reason).toBe('fraud_reported');
    const user = await until(async () => {
      const body = (await admin(strict, 'GET', `/v1/admin/users/${userId}`)).body;
      return body.blocked ? body : undefined;
    });
    expect(user.blocked).toMatchObject({ reason: 'fraud_reported' });
    const types = await until(async () => {
      const items = ((await admin(strict, 'GET', '/v1/admin/notifications')).body.items as { type: string }[]).map((n) => n.type);
      return items.length >= 2 ? items : undefined;
    });
    expect(types).toEqual(expect.arrayContaining(['fraud_reported', 'user_blocked']));
    // R14: once the effects are done, nothing is left owed on the challenge at rest.
    const stored = await until(async () => {
      const items = (await api.allItems()).filter((i) => i.table === 'Challenges' && i.item.userId?.S === userId && i.item.challengeId);
      return items.length === 1 && !items[0]!.item.fraudReportPendingSince ? items : undefined;
    });
    expect(stored[0]!.item.denialReason).toEqual({ S: 'fraud_reported' });
    expectProblem(await api.createChallenge(strict, userId), 403, 'user-blocked');
    expect((await admin(strict, 'POST', `/v1/admin/users/${userId}/unblock`)).status).toBe(200);
    expect((await api.createChallenge(strict, userId)).status).toBe(201);
  });
});

describe('R7 fatigue: denied and ignored calls pause push and voice', () => {
  async function deniedThrice(): Promise<{ userId: string }> {
    const { userId } = await voiceUser(tenant, 'hangup');
    for (let i = 0; i < 3; i++) expect((await voiceChallenge(tenant, userId)).reason).toBe('denied');
    // The pause follows the third denied status by the few milliseconds of the record step's last write.
    await until(async () => ((await fatigueOf(userId)).pausedUntil ? true : undefined));
    return { userId };
  }

  const fatigueOf = async (userId: string) =>
    ((await admin(tenant, 'GET', `/v1/admin/users/${userId}`)).body.throttling as { fatigue: { recentDenials: number; pausedUntil?: string } }).fatigue;

  it('3 denied calls: the 4th voice challenge gets 429 fatigue_pause, SMS still works, and the pause ends after 15 minutes', async () => {
    const { userId } = await deniedThrice();
    const refused = await startVoice(tenant, userId);
    expectProblem(refused, 429, 'retry-later');
    expect(refused.body.reason).toBe('fatigue_pause');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(FATIGUE_PAUSE_SECONDS - 60);
    expect((await fatigueOf(userId)).pausedUntil).toEqual(expect.any(String));
    expect((await api.createChallenge(tenant, userId)).status).toBe(201);

    await api.advanceClock(FATIGUE_PAUSE_SECONDS);
    expect((await fatigueOf(userId)).pausedUntil).toBeUndefined();
    const after = await startVoice(tenant, userId);
    expect(after.status).toBe(201);
    expect((await settled(tenant, after.body.challengeId as string)).reason).toBe('denied');
  });

  it('the admin can clear the pause', async () => {
    const { userId } = await deniedThrice();
    expectProblem(await startVoice(tenant, userId), 429, 'retry-later');
    expect((await admin(tenant, 'DELETE', `/v1/admin/users/${userId}/throttling`)).status).toBe(204);
    expect(await fatigueOf(userId)).toEqual({ recentDenials: 0 });
    expect((await startVoice(tenant, userId)).status).toBe(201);
  });

  it('a busy line does not count; an approved call does not either', async () => {
    const { userId } = await voiceUser(tenant, 'busy', 'press#');
    expect((await voiceChallenge(tenant, userId)).status).toBe('approved');
    expect((await fatigueOf(userId)).recentDenials).toBe(0);
  });
});

describe('R27 and R23', () => {
  it('another tenant cannot see a voice challenge: the same 404 as one that does not exist', async () => {
    const { userId } = await voiceUser(tenant, 'press#');
    const id = (await startVoice(tenant, userId)).body.challengeId as string;
    const foreign = await api.request('GET', `/v1/challenges/${id}`, { key: other.authKey });
    const unknownId = `${id.slice(0, -1)}${id.endsWith('a') ? 'b' : 'a'}`;
    const missing = await api.request('GET', `/v1/challenges/${unknownId}`, { key: other.authKey });
    expectProblem(foreign, 404, 'not-found');
    expect(foreign.body.detail).toBe(missing.body.detail);
    expect((await settled(tenant, id)).status).toBe('approved');
  });

  it('the auth log has one line per call, with the masked number and outcome, and one for the result', async () => {
    const { userId, phones } = await voiceUser(tenant, 'voicemail', 'press#');
    expect((await voiceChallenge(tenant, userId)).status).toBe('approved');
    const lines = (await admin(tenant, 'GET', `/v1/admin/auth-logs?userId=${userId}`)).body.items as Record<string, unknown>[];
    const calls = lines.filter((l) => l.event === 'call').reverse();
    expect(calls).toEqual([
      expect.objectContaining({ method: 'voice', phone: masked(phones[0]!), result: 'failed', reason: 'voicemail' }),
      expect.objectContaining({ method: 'voice', phone: masked(phones[1]!), result: 'approved', reason: 'approved' }),
    ]);
    expect(lines.filter((l) => l.event === 'verify')).toEqual([expect.objectContaining({ result: 'approved', apiKeyId: expect.any(String) })]);
    expect(JSON.stringify(lines)).not.toContain(phones[0]!.slice(1));
  });
});

describe('the local telephone endpoints', () => {
  it('refuse a malformed number or script with a problem, and script a default for unscripted numbers', async () => {
    expectProblem(await api.request('GET', '/local/phone/12345'), 400, 'validation-failed');
    expectProblem(await api.request('PUT', '/local/phone/%2B14155550000/script', { body: { script: 'sing' } }), 400, 'validation-failed');
    expectProblem(await api.request('PUT', '/local/phone-default', { body: {} }), 400, 'validation-failed');
    expect((await api.request('PUT', '/local/phone-default', { body: { script: 'press#' } })).status).toBe(200);
    try {
      const n = numbers++;
      const phone = `+1415556${String(n * 10).padStart(4, '0')}`;
      expect((await api.putUser(tenant, `caller${n}`, phone)).status).toBe(201);
      expect((await voiceChallenge(tenant, `caller${n}`)).status).toBe('approved');
      expect((await api.phone(phone)).script).toBe('press#');
    } finally {
      await api.request('PUT', '/local/phone-default', { body: { script: 'manual' } });
    }
  });
});
