/** The host's Prometheus metrics, one registry per host. Names are listed in the runtime README section of the report. */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { StageMetrics } from './stage.ts';

export class HostMetrics {
  readonly registry: Registry;
  readonly batchesIn: Counter<'stage'>;
  readonly batchesOut: Counter<'stage'>;
  readonly eventsIn: Counter<'stage'>;
  readonly eventsOut: Counter<'stage'>;
  readonly alertsIn: Counter<'stage'>;
  readonly alertsOut: Counter<'stage'>;
  readonly handlerSeconds: Histogram<'stage'>;
  readonly handlerErrors: Counter<'stage'>;
  readonly publishErrors: Counter<'stage'>;
  readonly dropped: Counter<'stage' | 'reason'>;
  readonly badMessages: Counter<'stage' | 'subject' | 'reason'>;
  readonly inflight: Gauge<'stage'>;
  readonly redeliveries: Counter<'stage'>;

  constructor(registry = new Registry()) {
    this.registry = registry;
    collectDefaultMetrics({ register: registry });
    const r = [registry];
    const c = <L extends string>(name: string, help: string, labelNames: L[]) => new Counter<L>({ name, help, labelNames, registers: r });
    this.batchesIn = c('peregrine_batches_in_total', 'Batches received by a stage', ['stage']);
    this.batchesOut = c('peregrine_batches_out_total', 'Batches published by a stage', ['stage']);
    this.eventsIn = c('peregrine_events_in_total', 'Events in batches received by a stage', ['stage']);
    this.eventsOut = c('peregrine_events_out_total', 'Events in batches published by a stage', ['stage']);
    this.alertsIn = c('peregrine_alerts_in_total', 'Alerts received by an alert stage', ['stage']);
    this.alertsOut = c('peregrine_alerts_out_total', 'Alerts published by a stage', ['stage']);
    this.handlerErrors = c('peregrine_handler_errors_total', 'Inputs whose handler threw', ['stage']);
    this.publishErrors = c('peregrine_publish_errors_total', 'Inputs whose outputs the bus did not accept (redelivered later)', ['stage']);
    this.dropped = c('peregrine_dropped_total', 'Inputs or outputs given up on, by reason', ['stage', 'reason']);
    this.badMessages = c('peregrine_bad_messages_total', 'Messages that are not valid input, by subject and reason', ['stage', 'subject', 'reason']);
    this.redeliveries = c('peregrine_redeliveries_total', 'Inputs delivered more than once', ['stage']);
    this.handlerSeconds = new Histogram({
      name: 'peregrine_handler_duration_seconds', help: 'Time in a stage handler per input', labelNames: ['stage'], registers: r,
      buckets: [0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    });
    this.inflight = new Gauge({ name: 'peregrine_inflight', help: 'Inputs being handled now', labelNames: ['stage'], registers: r });
  }

  /** What a stage gets as StageInit.metrics: metrics registered on the same registry (one per name). */
  forStage(): StageMetrics {
    return stageMetricsOn(this.registry);
  }
}

/** StageInit.metrics over a prom-client registry: a metric asked for twice by name is the same metric. */
export function stageMetricsOn(registry: Registry): StageMetrics {
  return {
    counter(name, help, labelNames = []) {
      const m = (registry.getSingleMetric(name) as Counter<string> | undefined) ?? new Counter({ name, help, labelNames, registers: [registry] });
      return { inc: (labels, n = 1) => (labels ? m.inc(labels, n) : m.inc(n)) };
    },
    gauge(name, help, labelNames = []) {
      const m = (registry.getSingleMetric(name) as Gauge<string> | undefined) ?? new Gauge({ name, help, labelNames, registers: [registry] });
      return { set: (value, labels) => (labels ? m.set(labels, value) : m.set(value)) };
    },
  };
}
