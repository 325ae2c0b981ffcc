/** Drives a BatchStage directly, as the runtime host would: an init with recording metrics, a context per batch. */
import { trace } from '@opentelemetry/api';
import type { EventBatch } from '@peregrine/event';
import type { BatchStage, HandlerContext, StageInit } from '@peregrine/runtime';

export interface Recorded {
  counters: Map<string, number>;
  gauges: Map<string, number>;
  warnings: string[];
}

function labelKey(name: string, labels?: Record<string, string>): string {
  if (!labels) return name;
  return `${name}{${Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(',')}}`;
}

export function stageInit(node: string, config: Record<string, unknown>): { init: StageInit; recorded: Recorded } {
  const recorded: Recorded = { counters: new Map(), gauges: new Map(), warnings: [] };
  const init: StageInit = {
    node,
    config,
    logger: {
      debug() {},
      info() {},
      warn(msg, fields) { recorded.warnings.push(`${msg} ${JSON.stringify(fields ?? {})}`); },
      error(msg, fields) { recorded.warnings.push(`${msg} ${JSON.stringify(fields ?? {})}`); },
    },
    control: {
      request: async () => { throw new Error('no control channel in this test'); },
      publish: async () => {},
      serve: () => {},
    },
    metrics: {
      counter: (name) => ({
        inc: (labels, n = 1) => {
          const k = labelKey(name, labels);
          recorded.counters.set(k, (recorded.counters.get(k) ?? 0) + n);
        },
      }),
      gauge: (name) => ({ set: (v, labels) => { recorded.gauges.set(labelKey(name, labels), v); } }),
    },
  };
  return { init, recorded };
}

/** Sum of a counter over all label sets. */
export function counterTotal(r: Recorded, name: string): number {
  let n = 0;
  for (const [k, v] of r.counters) if (k === name || k.startsWith(`${name}{`)) n += v;
  return n;
}

export async function handleOne(stage: BatchStage, batch: EventBatch): Promise<EventBatch[]> {
  const out: EventBatch[] = [];
  const ctx: HandlerContext = {
    span: trace.getTracer('enrichment-test').startSpan('enrichment'),
    emitBatch: (b) => out.push(b),
    emitAlert: () => { throw new Error('enrichment emits no alerts'); },
  };
  await stage.handle(batch, ctx);
  return out;
}
