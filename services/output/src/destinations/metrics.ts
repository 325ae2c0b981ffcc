/**
 * Prometheus metrics: `peregrine_alerts_total{rule,priority,source,k8s_ns_name}` on the host's /metrics. A
 * deduplicated alert counts as the number of alerts it stands for.
 */
import type { Alert } from '@peregrine/event';
import type { StageMetrics } from '@peregrine/runtime';
import { alertCount } from '../alert-format.ts';
import type { Destination } from './destination.ts';

export const ALERTS_TOTAL = 'peregrine_alerts_total';

export class MetricsDestination implements Destination {
  private readonly counter: ReturnType<StageMetrics['counter']>;

  constructor(readonly name: string, metrics: StageMetrics) {
    this.counter = metrics.counter(ALERTS_TOTAL, 'Alerts raised, by rule, priority, source and Kubernetes namespace',
      ['rule', 'priority', 'source', 'k8s_ns_name']);
  }

  send(alert: Alert): Promise<void> {
    const ns = alert.output_fields['k8s.ns.name'];
    this.counter.inc({ rule: alert.rule, priority: alert.priority, source: alert.source,
      k8s_ns_name: typeof ns === 'string' ? ns : '' }, alertCount(alert));
    return Promise.resolve();
  }
}
