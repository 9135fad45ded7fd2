import { randomBytes } from 'node:crypto';
import { AuthLogService, auditOf, failedDeliveryAudit } from '../../shared/domain/auth-log';
import { PageCursors } from '../../shared/domain/cursors';
import type { Challenge, ChallengeAudit, Principal } from '../../shared/domain/types';
import { InMemoryLogStore, T0, principalOf, tenantFixture } from '../support/fakes';

const TENANT = `tn${'f'.repeat(24)}`;
const DAY = new Date(T0).toISOString().slice(0, 10);
const principal: Principal = principalOf(tenantFixture(TENANT), 'auth', { keyId: '0123456789abcdef', keyName: 'VPN gateway' });

function challenge(audit: ChallengeAudit = {}): Challenge {
  return {
    challengeId: 'ch_AAAAAAAAAAAAAAAAAAAAAA',
    tenantId: TENANT,
    userId: 'alice',
    method: 'sms',
    status: 'pending',
    codeHash: 'stored-code-hash-never-logged',
    wrongAttempts: 0,
    sends: 1,
    createdAt: T0,
    lastSentAt: T0,
    expiresAt: T0 + 180_000,
    destination: '••••••••0100',
    destinationE164: '+14155550100',
    audit,
  };
}

describe('R23 auditOf: the auth-log line and usage count of an event', () => {
  it('names user, method, result, challenge and calling key, with the masked phone only', () => {
    const { log, usage } = auditOf(principal, challenge(), { event: 'challenge', result: 'sent', now: T0 });
    expect(log).toEqual({
      logId: expect.stringMatching(/^lg_/),
      tenantId: TENANT,
      time: new Date(T0).toISOString(),
      userId: 'alice',
      phone: '••••••••0100',
      method: 'sms',
      event: 'challenge',
      result: 'sent',
      challengeId: 'ch_AAAAAAAAAAAAAAAAAAAAAA',
      apiKeyId: '0123456789abcdef',
      apiKeyName: 'VPN gateway',
    });
    expect(JSON.stringify(log)).not.toContain('4155550100');
    expect(JSON.stringify(log)).not.toContain('stored-code-hash-never-logged');
    expect(usage).toEqual([{ tenantId: TENANT, day: DAY, method: 'sms', result: 'sent', delta: 1 }]);
  });

  it('leaves out every optional field that is absent: no keys with undefined', () => {
    const { log } = auditOf(principal, challenge(), { event: 'verify', result: 'approved', now: T0 });
    for (const field of ['firstName', 'lastName', 'email', 'reason', 'serverIp', 'clientIp', 'deviceToken']) {
      expect(Object.keys(log)).not.toContain(field);
    }
  });

  it('carries the optional fields when present: names, email, reason, server IP and client IP', () => {
    const withIp = { ...principal, sourceIp: '203.0.113.7' };
    const full = challenge({ firstName: 'Alice', lastName: 'Liddell', email: 'alice@example.com', clientIp: '198.51.100.4', appName: 'VPN' });
    const { log, usage } = auditOf(withIp, full, { event: 'verify', result: 'denied', reason: 'wrong_code', now: T0 + 5000 });
    expect(log).toMatchObject({
      firstName: 'Alice',
      lastName: 'Liddell',
      email: 'alice@example.com',
      reason: 'wrong_code',
      serverIp: '203.0.113.7',
      clientIp: '198.51.100.4',
      time: new Date(T0 + 5000).toISOString(),
      event: 'verify',
      result: 'denied',
    });
    expect(usage).toEqual([{ tenantId: TENANT, day: DAY, method: 'sms', result: 'denied', delta: 1 }]);
  });

  it('counts usage on the UTC day of the event', () => {
    const lastSecond = Date.UTC(2030, 0, 1, 23, 59, 59);
    const { usage } = auditOf(principal, challenge(), { event: 'verify', result: 'approved', now: lastSecond });
    const { usage: next } = auditOf(principal, challenge(), { event: 'verify', result: 'approved', now: lastSecond + 1000 });
    expect(usage[0]?.day).toBe('2030-01-01');
    expect(next[0]?.day).toBe('2030-01-02');
  });

  it('logs a resend without counting it (counted: false)', () => {
    const { log, usage } = auditOf(principal, challenge(), { event: 'resend', result: 'sent', now: T0, counted: false });
    expect(log).toMatchObject({ event: 'resend', result: 'sent' });
    expect(usage).toEqual([]);
  });

  it('gives every line its own id', () => {
    const ids = new Set(Array.from({ length: 50 }, () => auditOf(principal, challenge(), { event: 'verify', result: 'approved', now: T0 }).log.logId));
    expect(ids.size).toBe(50);
  });
});

describe('R16 R23 failedDeliveryAudit', () => {
  it('logs the failure and moves the count from sent to failed', () => {
    const { log, usage } = failedDeliveryAudit(principal, challenge(), T0 + 2000);
    expect(log).toMatchObject({ event: 'challenge', result: 'failed', reason: 'delivery_failed', time: new Date(T0 + 2000).toISOString() });
    expect(usage).toEqual([
      { tenantId: TENANT, day: DAY, method: 'sms', result: 'failed', delta: 1 },
      { tenantId: TENANT, day: DAY, method: 'sms', result: 'sent', delta: -1 },
    ]);
  });

  it('nets to one failed and no sent once written after the sent count', async () => {
    const store = new InMemoryLogStore();
    await store.append(auditOf(principal, challenge(), { event: 'challenge', result: 'sent', now: T0 }));
    await store.append(failedDeliveryAudit(principal, challenge(), T0));
    await expect(store.month(TENANT, DAY.slice(0, 7))).resolves.toEqual([{ day: DAY, method: 'sms', result: 'failed', count: 1 }]);
  });
});

describe('R23 usage report', () => {
  it('answers the month sorted by day, method and result, with totals, for the caller tenant only', async () => {
    const logs = new InMemoryLogStore();
    const cursorKey = randomBytes(32);
    const service = new AuthLogService({ logs, usage: logs, notifications: logs, cursors: new PageCursors({ get: async () => cursorKey }) });
    const other = principalOf(tenantFixture(`tn${'0'.repeat(24)}`));
    const at = (day: number) => Date.UTC(2030, 0, day, 10);
    await logs.append(auditOf(principal, challenge(), { event: 'verify', result: 'approved', now: at(2) }));
    await logs.append(auditOf(principal, challenge(), { event: 'challenge', result: 'sent', now: at(2) }));
    await logs.append(auditOf(principal, challenge(), { event: 'challenge', result: 'sent', now: at(1) }));
    await logs.append(auditOf(principal, challenge(), { event: 'challenge', result: 'sent', now: at(1) }));
    await logs.append(auditOf(principal, challenge(), { event: 'challenge', result: 'sent', now: Date.UTC(2030, 1, 1) }));
    await logs.append(auditOf(other, { ...challenge(), tenantId: other.tenantId }, { event: 'challenge', result: 'sent', now: at(1) }));
    const report = await service.usage(principal, '2030-01');
    expect(report).toEqual({
      month: '2030-01',
      days: [
        { day: '2030-01-01', method: 'sms', result: 'sent', count: 2 },
        { day: '2030-01-02', method: 'sms', result: 'approved', count: 1 },
        { day: '2030-01-02', method: 'sms', result: 'sent', count: 1 },
      ],
      totals: { byMethod: { sms: 4 }, byResult: { sent: 3, approved: 1 }, all: 4 },
    });
  });
});
