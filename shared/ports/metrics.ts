/** The business metrics Tessera publishes (CloudWatch, namespace `Tessera`); see shared/domain/metrics.ts. */
export const METRIC_NAMES = [
  'Challenges',
  'Verifications',
  'Approvals',
  'Denials',
  'DeliveryFailures',
  'Throttled',
  'Resends',
  'VoiceCalls',
  'VoiceRollovers',
  'SmsSent',
  'SmsProviderFailures',
  'SmsFailovers',
  'SmsUndelivered',
] as const;

export type MetricName = (typeof METRIC_NAMES)[number];

/** Dimensions kept to a few values each (never a tenant, user or number: each value is a metric billed). */
export type MetricDimensions = Readonly<Partial<Record<'method' | 'result' | 'reason' | 'provider', string>>>;

/** Counters for dashboards and alarms; Powertools Metrics (EMF) on AWS, in memory locally. */
export interface Metrics {
  count(name: MetricName, value: number, dimensions?: MetricDimensions): void;
}
