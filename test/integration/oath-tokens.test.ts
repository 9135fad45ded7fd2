import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { base32Decode, totpAt } from '../../shared/domain/otp/totp';
import { expectProblem, TestApi, type Tenant } from '../support/runtime';

const fixture = (...path: string[]) => readFileSync(join(__dirname, '..', 'fixtures', ...path), 'utf8');
const CSV = fixture('oath', 'tokens.csv');
const PSKC_PLAIN = fixture('pskc', 'totp-tokens.xml');
/** RFC 6030 Figure 6 (encrypted under the pre-shared key), as a TOTP key: the MAC covers the secret only. */
const PSKC_ENCRYPTED = fixture('pskc', 'rfc6030-figure6.xml').replace('keyprov:pskc:hotp', 'keyprov:pskc:totp');
const PSK = '12345678901234567890123456789012';
const HW_SECRET = base32Decode('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ');

let api: TestApi;
let acme: Tenant;
let other: Tenant;

type Result = { row: number; serial?: string; status: string; reason?: string; detail?: string };
type Imported = { imported: number; failed: number; results: Result[] };

const importFile = (tenant: Tenant, body: string, contentType: string, headers: Record<string, string> = {}) =>
  api.request<Imported>('POST', '/v1/admin/oath-tokens:import', { key: tenant.adminKey, rawBody: body, headers: { 'content-type': contentType, ...headers } });

const list = async (tenant: Tenant) =>
  (await api.request<{ items: { serial: string; driftSteps: number; assignee?: { userId: string } }[] }>('GET', '/v1/admin/oath-tokens', { key: tenant.adminKey })).body.items;

beforeAll(async () => {
  api = await TestApi.start();
  acme = await api.createTenant('Acme');
  other = await api.createTenant('Other');
  await api.freezeClock(true);
});

afterAll(() => api.stop());

async function midStep(steps = 1): Promise<number> {
  const now = await api.clockNow();
  await api.advanceClock(Math.ceil((30_000 - (now % 30_000)) / 1000) + 14 + (steps - 1) * 30);
  return api.clockNow();
}

describe('R22 CSV import', () => {
  it('stores the good rows sealed and reports each bad row; a second import refuses the serials already stored', async () => {
    const first = await importFile(acme, CSV, 'text/csv');
    expect(first.status).toBe(200);
    const byRow = Object.fromEntries(first.body.results.map((r) => [r.row, r]));
    expect(byRow[2]).toMatchObject({ serial: 'HW-1001', status: 'imported' });
    expect(byRow[3]).toMatchObject({ serial: 'HW-1002', status: 'imported' });
    expect(byRow[4]).toMatchObject({ serial: 'HW-1003', status: 'error', reason: 'bad_base32' });
    expect(byRow[5]).toMatchObject({ serial: 'HW-1004', status: 'error', reason: 'bad_interval' });
    expect(byRow[6]).toMatchObject({ serial: 'HW-1001', status: 'error', reason: 'duplicate_serial' });
    expect(byRow[8]).toMatchObject({ serial: 'HW-1007', status: 'error', reason: 'bad_secret_length' });
    expect(first.body.imported).toBe(2);

    const again = await importFile(acme, CSV, 'text/csv');
    expect(again.body.imported).toBe(0);
    expect(again.body.results.find((r) => r.row === 2)).toMatchObject({ status: 'error', reason: 'duplicate_serial' });
  });

  it('R29: a 2,000-character serial between two good rows is a per-row error; the good rows are stored, no 5xx', async () => {
    const t = await api.createTenant('Long serial');
    const secret = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
    const csv = `serial,secret,interval\nLS-1,${secret},30\n${'S'.repeat(2000)},${secret},30\nLS-3,${secret},30\nbad serial!,${secret},30\n`;
    const reply = await importFile(t, csv, 'text/csv');
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ imported: 2, failed: 2 });
    expect(reply.body.results).toEqual([
      { row: 2, serial: 'LS-1', status: 'imported' },
      { row: 3, status: 'error', reason: 'bad_serial', detail: expect.any(String) },
      { row: 4, serial: 'LS-3', status: 'imported' },
      { row: 5, status: 'error', reason: 'bad_serial', detail: expect.any(String) },
    ]);
    expect((await list(t)).map((token) => token.serial).sort()).toEqual(['LS-1', 'LS-3']);
  });

  it('R29: an over-long manufacturer or model is a per-row error, never a 5xx', async () => {
    const t = await api.createTenant('Long model');
    const secret = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
    const csv = `serial,secret,interval,manufacturer,model\nLM-1,${secret},30,ACME,T30\nLM-2,${secret},30,${'M'.repeat(500_000)},T30\nLM-3,${secret},30,ACME,${'m'.repeat(500_000)}\n`;
    const reply = await importFile(t, csv, 'text/csv');
    expect(reply.status).toBe(200);
    expect(reply.body.results.map((r) => [r.row, r.status, r.reason])).toEqual([
      [2, 'imported', undefined],
      [3, 'error', 'malformed'],
      [4, 'error', 'malformed'],
    ]);
    expect((await list(t)).map((token) => token.serial)).toEqual(['LM-1']);
  });

  it('lists tokens without secrets; another tenant sees none and cannot assign them', async () => {
    const items = await list(acme);
    expect(items.map((t) => t.serial).sort()).toEqual(['HW-1001', 'HW-1002']);
    expect(JSON.stringify(items)).not.toMatch(/sealedSecret|lastUsedStep|GEZDGNBV/);
    expect(await list(other)).toEqual([]);
    await api.newUser(other, 'thief');
    expectProblem(await api.request('POST', '/v1/admin/oath-tokens/HW-1001/assign', { key: other.adminKey, body: { userId: 'thief0' } }), 404, 'not-found');
  });
});

describe('R22 PSKC import', () => {
  it('imports plaintext TOTP keys and reports the bad packages', async () => {
    const reply = await importFile(acme, PSKC_PLAIN, 'application/pskc+xml');
    expect(reply.status).toBe(200);
    const ok = reply.body.results.filter((r) => r.status === 'imported').map((r) => r.serial);
    expect(ok).toEqual(expect.arrayContaining(['TOTP-0001', 'TOTP-0002']));
    expect(reply.body.failed).toBeGreaterThan(0);
  });

  it('R29: a PSKC package with an over-long serial is a per-token error; the others are stored, no 5xx', async () => {
    const t = await api.createTenant('Long PSKC serial');
    const pskc = PSKC_PLAIN.replace('<pskc:SerialNo>TOTP-0002</pskc:SerialNo>', `<pskc:SerialNo>${'S'.repeat(2000)}</pskc:SerialNo>`);
    const reply = await importFile(t, pskc, 'application/pskc+xml');
    expect(reply.status).toBe(200);
    expect(reply.body.results.find((r) => r.row === 2)).toMatchObject({ status: 'error', reason: 'bad_serial' });
    expect(reply.body.results.find((r) => r.row === 2)?.serial).toBeUndefined();
    expect((await list(t)).map((token) => token.serial)).toEqual(['TOTP-0001']);
  });

  it('a wrong key or a tampered MAC gives a clear per-token error and stores nothing', async () => {
    const before = await api.itemCount();
    const wrongKey = await importFile(acme, PSKC_ENCRYPTED, 'application/pskc+xml', { 'tessera-pskc-key': 'ffffffffffffffffffffffffffffffff' });
    expect(wrongKey.status).toBe(200);
    expect(wrongKey.body.results).toEqual([expect.objectContaining({ serial: '987654321', status: 'error', reason: expect.stringMatching(/^(wrong_key|mac_mismatch)$/) })]);
    const noKey = await importFile(acme, PSKC_ENCRYPTED, 'application/pskc+xml');
    expect(noKey.body.results).toEqual([expect.objectContaining({ status: 'error', reason: 'key_required' })]);
    const tampered = PSKC_ENCRYPTED.replace(/(<ValueMAC>\s*)(\S)/, (_m, lead: string, c: string) => `${lead}${c === 'A' ? 'B' : 'A'}`);
    expect(tampered).not.toBe(PSKC_ENCRYPTED);
    const altered = await importFile(acme, tampered, 'application/pskc+xml', { 'tessera-pskc-key': PSK });
    expect(altered.body.results).toEqual([expect.objectContaining({ status: 'error', reason: 'mac_mismatch' })]);
    expect(await api.itemCount()).toBe(before);
    expectProblem(await importFile(acme, PSKC_ENCRYPTED, 'application/pskc+xml', { 'tessera-pskc-key': 'not-hex' }), 400, 'validation-failed');
  });

  it('imports a secret encrypted with the pre-shared AES-128-CBC key; the HOTP original is refused as unsupported', async () => {
    const hotp = await importFile(acme, fixture('pskc', 'rfc6030-figure6.xml'), 'application/pskc+xml', { 'tessera-pskc-key': PSK });
    expect(hotp.body.results).toEqual([expect.objectContaining({ status: 'error', reason: 'unsupported_algorithm' })]);
    const reply = await importFile(acme, PSKC_ENCRYPTED, 'application/pskc+xml', { 'tessera-pskc-key': PSK });
    expect(reply.body.results).toEqual([{ row: 1, serial: '987654321', status: 'imported' }]);
    const { userId } = await api.newUser(acme, 'pskc');
    expect((await api.request('POST', '/v1/admin/oath-tokens/987654321/assign', { key: acme.adminKey, body: { userId } })).status).toBe(200);
    const now = await midStep();
    const challenge = await api.request('POST', '/v1/challenges', { key: acme.authKey, body: { userId, method: 'oath' } });
    const code = totpAt(Buffer.from('12345678901234567890'), now, { digits: 8 });
    const approved = await api.request('POST', `/v1/challenges/${challenge.body.challengeId as string}/verify`, { key: acme.authKey, body: { code } });
    expect(approved.body).toMatchObject({ status: 'approved', method: 'oath' });
  });
});

describe('R5/R22 hardware token challenges', () => {
  const oathChallenge = async (userId: string) => {
    const reply = await api.request('POST', '/v1/challenges', { key: acme.authKey, body: { userId, method: 'oath' } });
    expect(reply.body).toMatchObject({ method: 'oath', destination: 'token HW-1001' });
    return reply.body.challengeId as string;
  };
  const verify = (challengeId: string, code: string) => api.request('POST', `/v1/challenges/${challengeId}/verify`, { key: acme.authKey, body: { code } });

  it('a token 3 steps fast is refused until its drift is measured (resync), then keeps working', async () => {
    const { userId } = await api.newUser(acme, 'hw');
    const assigned = await api.request('POST', '/v1/admin/oath-tokens/HW-1001/assign', { key: acme.adminKey, body: { userId } });
    expect(assigned.body).toMatchObject({ serial: 'HW-1001', assignee: { userId } });
    expectProblem(await api.request('POST', '/v1/admin/oath-tokens/HW-1001/assign', { key: acme.adminKey, body: { userId } }), 409, 'conflict');
    const fast = (now: number, steps = 3) => totpAt(HW_SECRET, now + steps * 30_000);

    let now = await midStep();
    expectProblem(await verify(await oathChallenge(userId), fast(now)), 422, 'wrong-code');
    const resync = await api.request('POST', '/v1/admin/oath-tokens/HW-1001/resync', {
      key: acme.adminKey,
      body: { firstCode: fast(now, 2), secondCode: fast(now) },
    });
    expect(resync.body).toMatchObject({ driftSteps: 3 });

    now = await midStep();
    const challenge = await oathChallenge(userId);
    expect((await verify(challenge, fast(now))).body).toMatchObject({ status: 'approved' });
    // The drift is followed: a step further still (4 fast) is within ±1 of the stored 3.
    now = await midStep(2);
    expect((await verify(await oathChallenge(userId), fast(now, 4))).body).toMatchObject({ status: 'approved' });
    expect((await list(acme)).find((t) => t.serial === 'HW-1001')?.driftSteps).toBe(4);
    // And a code already accepted is a replay.
    const replay = await verify(await oathChallenge(userId), fast(now, 4));
    expect(replay.body).toMatchObject({ reason: 'replayed' });
  });

  it('an unassigned token no longer signs in, and the user no longer has the method', async () => {
    const tokens = await list(acme);
    const userId = tokens.find((t) => t.serial === 'HW-1001')?.assignee?.userId as string;
    expect((await api.request('POST', '/v1/admin/oath-tokens/HW-1001/unassign', { key: acme.adminKey })).body).not.toHaveProperty('assignee');
    expectProblem(await api.request('POST', '/v1/challenges', { key: acme.authKey, body: { userId, method: 'oath' } }), 422, 'method-unavailable');
    expectProblem(await api.request('POST', '/v1/admin/oath-tokens/HW-1001/unassign', { key: acme.adminKey }), 409, 'conflict');
    expectProblem(await api.request('POST', '/v1/admin/oath-tokens/NOPE/unassign', { key: acme.adminKey }), 404, 'not-found');
  });

  it('R28: no token secret is readable in DynamoDB', async () => {
    const dump = JSON.stringify(await api.allItems());
    for (const form of ['GEZDGNBVGY3TQOJQ', Buffer.from(HW_SECRET).toString('hex'), Buffer.from(HW_SECRET).toString('base64'), 'MTIzNDU2Nzg5MDEyMzQ1Njc4OTA', PSK]) {
      expect(dump).not.toContain(form);
    }
  });
});
