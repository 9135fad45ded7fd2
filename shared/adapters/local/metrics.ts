import type { MetricDimensions, MetricName, Metrics } from '../../ports';

export interface MetricTotal {
  readonly name: MetricName;
  readonly dimensions: MetricDimensions;
  readonly value: number;
}

/** The local runtime's metrics: totals per name and dimensions, shown at GET /local/metrics. */
export class LocalMetrics implements Metrics {
  private readonly totals = new Map<string, MetricTotal>();

  count(name: MetricName, value: number, dimensions: MetricDimensions = {}): void {
    const key = JSON.stringify([name, Object.entries(dimensions).sort(([a], [b]) => a.localeCompare(b))]);
    const total = this.totals.get(key);
    this.totals.set(key, { name, dimensions, value: (total?.value ?? 0) + value });
  }

  list(): MetricTotal[] {
    return [...this.totals.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Sum over every dimension value of one metric, or of those matching `where`. */
  total(name: MetricName, where: MetricDimensions = {}): number {
    return this.list()
      .filter((t) => t.name === name && Object.entries(where).every(([k, v]) => t.dimensions[k as keyof MetricDimensions] === v))
      .reduce((sum, t) => sum + t.value, 0);
  }
}
