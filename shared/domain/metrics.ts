import type { Audit, MetricDimensions, MetricName } from '../ports';

export interface MetricPoint {
  readonly name: MetricName;
  readonly value: number;
  readonly dimensions?: MetricDimensions;
}

/**
 * The metrics a committed change stands for, read off its auth-log lines (R23), so that the
 * dashboards count what the auth log holds: a change the store refused counts nothing.
 * `Challenges` counts every challenge stored, including one whose text then reached no provider
 * (also counted under `DeliveryFailures`; the usage report moves that one from `sent` to
 * `failed`). Refused creates and resends count as `Denials` by reason; the tenant's per-second
 * gate, checked before the user is read and not in the auth log, is not counted. `audits` are the lines of one change; a voice rollover's finish step commits
 * one line per call and one for the result, and every call after the first is a rollover (R13).
 */
export function metricsOfAudits(audits: readonly Audit[]): MetricPoint[] {
  const points: MetricPoint[] = [];
  for (const { log } of audits) {
    const method = log.method;
    if (log.result === 'throttled') {
      points.push({ name: 'Throttled', value: 1, dimensions: { reason: log.reason ?? 'unknown' } });
      continue;
    }
    switch (log.event) {
      case 'challenge':
      case 'resend':
        // R23: a refused create or resend is a line of its own, not a challenge.
        if (log.result === 'denied') points.push({ name: 'Denials', value: 1, dimensions: { reason: log.reason ?? 'denied' } });
        else if (log.result === 'failed') points.push({ name: 'DeliveryFailures', value: 1, dimensions: { method } });
        else points.push({ name: log.event === 'challenge' ? 'Challenges' : 'Resends', value: 1, dimensions: { method } });
        break;
      case 'verify':
        points.push({ name: 'Verifications', value: 1, dimensions: { result: log.result } });
        if (log.result === 'approved') points.push({ name: 'Approvals', value: 1, dimensions: { method } });
        if (log.result === 'denied') points.push({ name: 'Denials', value: 1, dimensions: { reason: log.reason ?? 'denied' } });
        break;
      case 'call':
        // One line per call (R23): its outcome, not the challenge's result, which has its own line.
        points.push({ name: 'VoiceCalls', value: 1, dimensions: { result: log.reason ?? log.result } });
        break;
    }
  }
  const calls = audits.filter((a) => a.log.event === 'call').length;
  if (calls > 1) points.push({ name: 'VoiceRollovers', value: calls - 1 });
  return points;
}
