import { randomBytes } from 'node:crypto';
import { PageCursors } from '../../shared/domain/cursors';
import { LocalSecretBox } from '../../shared/adapters/secrets/local-secret-box';
import { ProviderRequiredError, ValidationError } from '../../shared/domain/errors';
import { NotificationService } from '../../shared/domain/notifications';
import type { PhoneType, Principal } from '../../shared/domain/types';
import { importUsers } from '../../shared/domain/user-import';
import { UserService, userScope } from '../../shared/domain/users';
import { toProblem } from '../../shared/http/problem';
import {
  FakeClock,
  FakePhoneClassifier,
  InMemoryLogStore,
  InMemoryUserStore,
  RecordingWebhookSender,
  SilentLog,
  T0,
  principalOf,
  tenantFixture,
} from '../support/fakes';

const TENANT = `tn${'d'.repeat(24)}`;
const VOIP = '+14155550199';
const admin: Principal = principalOf(tenantFixture(TENANT), 'admin');

function setup(types: Record<string, PhoneType> = {}) {
  const clock = new FakeClock();
  const store = new InMemoryUserStore();
  const phones = new FakePhoneClassifier(types);
  const box = new LocalSecretBox(randomBytes(32).toString('base64'));
  const notifications = new NotificationService({ store: new InMemoryLogStore(), webhook: new RecordingWebhookSender(), box, clock, log: new SilentLog() });
  const cursorKey = randomBytes(32);
  const users = new UserService({ users: store, credentials: store, clock, phones, notifications, cursors: new PageCursors({ get: async () => cursorKey }) });
  const run = (csv: string, principal: Principal = admin) => importUsers({ users, store }, principal, csv);
  return { clock, store, phones, users, run };
}

const GOOD = [
  'userId,firstName,lastName,email,phone,backupPhones,mfaEnabled,licensed,defaultMethod',
  'alice,Alice,Liddell,alice@example.com,+14155550100,+14155550101;+14155550102,true,no,sms',
  'bob,,,,+33612345678,,yes,1,',
  'carol,,,,,,false,,',
].join('\n');

async function importError(promise: Promise<unknown>): Promise<ValidationError> {
  const error = await promise.catch((e: unknown) => e);
  if (!(error instanceof ValidationError)) throw new Error(`expected a ValidationError, got ${String(error)}`);
  return error;
}

describe('R19 bulk user import from CSV', () => {
  it('imports good rows like a PUT of each user, numbers parsed and classified (R30)', async () => {
    const { run, store } = setup();
    const report = await run(GOOD);
    expect(report).toEqual({
      summary: { rows: 3, created: 3, updated: 0, unchanged: 0, errors: 0 },
      rows: [
        { row: 2, userId: 'alice', status: 'created' },
        { row: 3, userId: 'bob', status: 'created' },
        { row: 4, userId: 'carol', status: 'created' },
      ],
    });
    const scope = userScope(admin);
    await expect(store.getUser(scope, 'alice')).resolves.toEqual({
      tenantId: TENANT,
      userId: 'alice',
      firstName: 'Alice',
      lastName: 'Liddell',
      email: 'alice@example.com',
      phones: {
        primary: { e164: '+14155550100', country: 'US', type: 'mobile' },
        backup: [
          { e164: '+14155550101', country: 'US', type: 'mobile' },
          { e164: '+14155550102', country: 'US', type: 'mobile' },
        ],
      },
      mfaEnabled: true,
      licensed: false,
      defaultMethod: 'sms',
      credentialEpoch: expect.stringMatching(/^ep_/),
      version: 1,
      createdAt: new Date(T0).toISOString(),
      updatedAt: new Date(T0).toISOString(),
    });
    await expect(store.getUser(scope, 'bob')).resolves.toMatchObject({
      phones: { primary: { e164: '+33612345678', country: 'FR' }, backup: [] },
      mfaEnabled: true,
      licensed: true,
    });
    await expect(store.getUser(scope, 'carol')).resolves.toMatchObject({ phones: { backup: [] }, mfaEnabled: false });
  });

  it('reports a bad phone number on its row with the pointer, and imports the other rows', async () => {
    const { run, store } = setup();
    const report = await run(['userId,phone', 'alice,+14155550100', 'dave,0612345678', 'erin,+33612345678'].join('\n'));
    expect(report.summary).toEqual({ rows: 3, created: 2, updated: 0, unchanged: 0, errors: 1 });
    expect(report.rows[1]).toEqual({ row: 3, userId: 'dave', status: 'error', errors: [{ pointer: '/phones/primary', detail: expect.any(String) }] });
    await expect(store.getUser(userScope(admin), 'dave')).resolves.toBeUndefined();
    await expect(store.getUser(userScope(admin), 'erin')).resolves.toBeDefined();
  });

  it('refuses a VoIP number on its row (R30)', async () => {
    const { run, store } = setup({ [VOIP]: 'voip' });
    const report = await run(['userId,phone', `vic,${VOIP}`].join('\n'));
    expect(report.rows).toEqual([{ row: 2, userId: 'vic', status: 'error', errors: [{ detail: expect.stringMatching(/VoIP/) }] }]);
    await expect(store.getUser(userScope(admin), 'vic')).resolves.toBeUndefined();
  });

  it('reports a user id given twice in the file on the second row, keeping the first', async () => {
    const { run, store } = setup();
    const report = await run(['userId,phone', 'alice,+14155550100', 'alice,+14155550101'].join('\n'));
    expect(report.rows).toEqual([
      { row: 2, userId: 'alice', status: 'created' },
      { row: 3, userId: 'alice', status: 'error', errors: [{ pointer: '/userId', detail: 'appears more than once in this file' }] },
    ]);
    await expect(store.getUser(userScope(admin), 'alice')).resolves.toMatchObject({ phones: { primary: { e164: '+14155550100' } } });
  });

  it.each([
    ['a bad user id', 'bad id!,true', '/userId'],
    ['a flag that is not a boolean', 'frank,maybe', '/mfaEnabled'],
  ])('reports %s with its pointer', async (_name, line, pointer) => {
    const { run } = setup();
    const report = await run(['userId,mfaEnabled', line].join('\n'));
    expect(report.summary.errors).toBe(1);
    expect(report.rows[0]).toMatchObject({ row: 2, status: 'error', errors: [expect.objectContaining({ pointer })] });
  });

  it('refuses a default method the user has not registered', async () => {
    const { run } = setup({ '+442079460958': 'landline' });
    const report = await run(['userId,phone,defaultMethod', 'gina,+442079460958,sms'].join('\n'));
    expect(report.rows[0]).toMatchObject({ status: 'error', errors: [{ pointer: '/defaultMethod', detail: expect.any(String) }] });
  });

  it('refuses a file with an unknown column as a whole: 400, nothing imported', async () => {
    const { run, store } = setup();
    const error = await importError(run(['userId,phone,nickname', 'alice,+14155550100,Al'].join('\n')));
    expect(error.errors).toEqual([{ pointer: '/header', detail: expect.stringContaining('unknown: nickname') }]);
    expect(toProblem(error).statusCode).toBe(400);
    await expect(store.getUser(userScope(admin), 'alice')).resolves.toBeUndefined();
  });

  it.each([
    ['no userId column', 'phone\n+14155550100'],
    ['a header only', 'userId,phone'],
    ['an empty file', ''],
    ['a row with more fields than the header', 'userId,phone\nalice,+14155550100,extra'],
  ])('refuses %s with 400', async (_name, csv) => {
    const { run } = setup();
    const error = await importError(run(csv));
    expect(toProblem(error).statusCode).toBe(400);
  });

  it('R29: checks every row before writing any: a fault while checking a later row leaves nothing half-imported', async () => {
    const { run, store, phones } = setup();
    const classify = phones.classify.bind(phones);
    // The number lookup (PhoneNumberValidate on AWS) fails on the third row, after two good rows.
    phones.classify = async (e164) => (e164 === '+14155550177' ? Promise.reject(new Error('lookup unavailable')) : classify(e164));
    const csv = ['userId,phone', 'amy,+14155550100', 'ben,+14155550101', 'cat,+14155550177'].join('\n');
    await expect(run(csv)).rejects.toThrow('lookup unavailable');
    await expect(store.getUser(userScope(admin), 'amy')).resolves.toBeUndefined();
    await expect(store.getUser(userScope(admin), 'ben')).resolves.toBeUndefined();
  });

  it('changes nothing when the same file is imported again', async () => {
    const { run, store, clock } = setup();
    await run(GOOD);
    clock.advance(3600);
    const again = await run(GOOD);
    expect(again.summary).toEqual({ rows: 3, created: 0, updated: 0, unchanged: 3, errors: 0 });
    expect(again.rows.map((r) => r.status)).toEqual(['unchanged', 'unchanged', 'unchanged']);
    await expect(store.getUser(userScope(admin), 'alice')).resolves.toMatchObject({ updatedAt: new Date(T0).toISOString() });
  });

  it('updates a user whose row changed, keeping when they were created', async () => {
    const { run, store, clock } = setup();
    await run(GOOD);
    clock.advance(60);
    const changed = await run(GOOD.replace('alice@example.com', 'alice@example.org'));
    expect(changed.summary).toMatchObject({ updated: 1, unchanged: 2 });
    expect(changed.rows[0]).toEqual({ row: 2, userId: 'alice', status: 'updated' });
    await expect(store.getUser(userScope(admin), 'alice')).resolves.toMatchObject({
      email: 'alice@example.org',
      createdAt: new Date(T0).toISOString(),
      updatedAt: new Date(T0 + 60_000).toISOString(),
    });
  });

  it('needs a provider: users live in its user space (R18)', async () => {
    const { run } = setup();
    const noProvider = principalOf(tenantFixture(TENANT, { provider: undefined, providerGeneration: 0 }), 'admin');
    await expect(run(GOOD, noProvider)).rejects.toThrow(ProviderRequiredError);
  });
});
