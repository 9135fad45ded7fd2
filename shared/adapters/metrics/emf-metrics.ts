import { Metrics as PowertoolsMetrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { MetricDimensions, MetricName, Metrics } from '../../ports';

/** CloudWatch namespace of every Tessera metric; the `service` dimension names the stage (tessera-<stage>). */
export const METRICS_NAMESPACE = 'Tessera';

/**
 * Metrics as CloudWatch embedded metric format, through Powertools Metrics: each count is its
 * own EMF line with its own dimensions, written at once, so nothing is lost if the invocation
 * fails after the change it counts has committed.
 */
export class EmfMetrics implements Metrics {
  private readonly metrics: PowertoolsMetrics;

  constructor(serviceName: string) {
    this.metrics = new PowertoolsMetrics({ namespace: METRICS_NAMESPACE, serviceName });
  }

  count(name: MetricName, value: number, dimensions: MetricDimensions = {}): void {
    const single = this.metrics.singleMetric();
    for (const [key, dimension] of Object.entries(dimensions)) if (dimension) single.addDimension(key, dimension);
    single.addMetric(name, MetricUnit.Count, value);
  }
}
