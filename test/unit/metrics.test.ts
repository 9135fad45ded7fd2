import { LocalMetrics } from '../../shared/adapters/local/metrics';
import { EmfMetrics, METRICS_NAMESPACE } from '../../shared/adapters/metrics/emf-metrics';
import { FailoverSmsSender } from '../../shared/adapters/sms/failover-sms-sender';
import { metricsOfAudits } from '../../shared/domain/metrics';
import type { AuthLogEntry } from '../../shared/domain/types';
import type { Audit } from '../../shared/ports';
import { RecordingSmsSender, SilentLog } from '../support/fakes';

function audit(log: Partial<AuthLogEntry> & Pick<AuthLogEntry, 'event' | 'result' | 'method'>): Audit {
  return {
    log: { logId: 'l', tenantId: 't', time: '2030-01-01T00:00:00.000Z', userId: 'u', apiKeyId: 'k', apiKeyName: 'n', ...log },
    usage: [],
  };
}

describe('metricsOfAudits: what the auth log records, counted', () => {
  it('a sent challenge, an approval, a wrong code and a throttled request', () => {
    expect(metricsOfAudits([audit({ event: 'challenge', result: 'sent', method: 'sms' })])).toEqual([
      { name: 'Challenges', value: 1, dimensions: { method: 'sms' } },
    ]);
    expect(metricsOfAudits([audit({ event: 'verify', result: 'approved', method: 'app' })])).toEqual([
      { name: 'Verifications', value: 1, dimensions: { result: 'approved' } },
      { name: 'Approvals', value: 1, dimensions: { method: 'app' } },
    ]);
    expect(metricsOfAudits([audit({ event: 'verify', result: 'denied', reason: 'wrong_code', method: 'sms' })])).toEqual([
      { name: 'Verifications', value: 1, dimensions: { result: 'denied' } },
      { name: 'Denials', value: 1, dimensions: { reason: 'wrong_code' } },
    ]);
    expect(metricsOfAudits([audit({ event: 'challenge', result: 'throttled', reason: 'user_rate', method: 'sms' })])).toEqual([
      { name: 'Throttled', value: 1, dimensions: { reason: 'user_rate' } },
    ]);
    expect(metricsOfAudits([audit({ event: 'resend', result: 'failed', reason: 'delivery_failed', method: 'sms' })])).toEqual([
      { name: 'DeliveryFailures', value: 1, dimensions: { method: 'sms' } },
    ]);
  });

  it('R13: a finished rollover of three calls is three calls, two rollovers and one result; a denied call is not a second denial', () => {
    const points = metricsOfAudits([
      audit({ event: 'call', result: 'failed', reason: 'busy', method: 'voice' }),
      audit({ event: 'call', result: 'failed', reason: 'voicemail', method: 'voice' }),
      audit({ event: 'call', result: 'denied', reason: 'fraud', method: 'voice' }),
      audit({ event: 'verify', result: 'denied', reason: 'fraud_reported', method: 'voice' }),
    ]);
    expect(points.filter((p) => p.name === 'VoiceCalls').map((p) => p.dimensions?.result)).toEqual(['busy', 'voicemail', 'fraud']);
    expect(points.filter((p) => p.name === 'Denials')).toEqual([{ name: 'Denials', value: 1, dimensions: { reason: 'fraud_reported' } }]);
    expect(points.find((p) => p.name === 'VoiceRollovers')).toEqual({ name: 'VoiceRollovers', value: 2 });
  });
});

describe('metrics adapters', () => {
  it('LocalMetrics totals per name and dimensions', () => {
    const metrics = new LocalMetrics();
    metrics.count('Approvals', 1, { method: 'sms' });
    metrics.count('Approvals', 2, { method: 'sms' });
    metrics.count('Approvals', 1, { method: 'voice' });
    expect(metrics.total('Approvals')).toBe(4);
    expect(metrics.total('Approvals', { method: 'sms' })).toBe(3);
    expect(metrics.total('Denials')).toBe(0);
  });

  it('EmfMetrics writes one embedded-metric-format line per count, with its own dimensions', () => {
    const lines: string[] = [];
    const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    try {
      const metrics = new EmfMetrics('tessera-test');
      metrics.count('Denials', 1, { reason: 'wrong_code' });
      metrics.count('SmsFailovers', 1);
    } finally {
      write.mockRestore();
    }
    const emf = lines.join('').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown> & { _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][] }[] } });
    expect(emf).toHaveLength(2);
    expect(emf[0]?._aws.CloudWatchMetrics[0]).toMatchObject({ Namespace: METRICS_NAMESPACE, Dimensions: [expect.arrayContaining(['service', 'reason'])] });
    expect(emf[0]).toMatchObject({ service: 'tessera-test', reason: 'wrong_code', Denials: 1 });
    expect(emf[1]).toMatchObject({ service: 'tessera-test', SmsFailovers: 1 });
    expect(emf[1]).not.toHaveProperty('reason');
  });

  it('R16: the failover sender counts sends, provider failures, failovers and undelivered texts', async () => {
    const metrics = new LocalMetrics();
    const primary = new RecordingSmsSender('one');
    const secondary = new RecordingSmsSender('two');
    const sender = new FailoverSmsSender([primary, secondary], new SilentLog(), metrics);
    const message = { to: '+14155550100', body: 'code 123456' };
    await sender.send(message);
    primary.failWith = new Error('down');
    await sender.send(message);
    secondary.failWith = new Error('down too');
    await expect(sender.send(message)).rejects.toThrow('Every SMS provider refused the message');
    expect(metrics.list()).toEqual([
      { name: 'SmsFailovers', dimensions: {}, value: 1 },
      { name: 'SmsProviderFailures', dimensions: { provider: 'one' }, value: 2 },
      { name: 'SmsProviderFailures', dimensions: { provider: 'two' }, value: 1 },
      { name: 'SmsSent', dimensions: { provider: 'one' }, value: 1 },
      { name: 'SmsSent', dimensions: { provider: 'two' }, value: 1 },
      { name: 'SmsUndelivered', dimensions: {}, value: 1 },
    ]);
  });
});
