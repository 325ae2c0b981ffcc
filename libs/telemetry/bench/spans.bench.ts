/**
 * What one span per stage per batch costs: the no-op API (no SDK) as the baseline, then the SDK holding every
 * unsampled span for a possible keep (ratio 0), then exporting every span (ratio 1, to an exporter that only counts).
 * Prints spans/s, the ratio against the baseline, and RSS. At 1000 events per batch, divide by 1000 for the per-event
 * share.
 */
import { trace, type Tracer } from '@opentelemetry/api';
import { ExportResultCode } from '@opentelemetry/core';
import { BasicTracerProvider, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { KeepingSpanProcessor } from '../src/keep-processor.ts';
import { RecordingRatioSampler } from '../src/sampler.ts';

const N = Number(process.env.BENCH_SPANS ?? 200_000);
let exported = 0;
const counting: SpanExporter = {
  export(spans: ReadableSpan[], done) { exported += spans.length; done({ code: ExportResultCode.SUCCESS }); },
  shutdown: async () => {},
};

function sdkTracer(ratio: number): { tracer: Tracer; processor: KeepingSpanProcessor } {
  const processor = new KeepingSpanProcessor(counting, { exportIntervalMs: 100 });
  const provider = new BasicTracerProvider({ sampler: new RecordingRatioSampler(ratio), spanProcessors: [processor] });
  return { tracer: provider.getTracer('bench'), processor };
}

/** Yields to the event loop every 1000 spans, as a stage does between batches, so exports can run. */
async function run(tracer: Tracer): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < N; i++) {
    if (i % 1000 === 0) await new Promise((r) => setImmediate(r));
    const span = tracer.startSpan('enrichment batch');
    span.setAttributes({ 'peregrine.node': 'node-a', 'peregrine.batch.seq': i, 'peregrine.events.in': 1000, 'peregrine.events.out': 1000 });
    span.end();
  }
  return N / ((performance.now() - t0) / 1000);
}

const noop = await run(trace.getTracer('bench'));
const held = sdkTracer(0);
const heldRate = await run(held.tracer);
const heldRss = process.memoryUsage().rss;
const sampled = sdkTracer(1);
const sampledRate = await run(sampled.tracer);
await sampled.processor.forceFlush();

console.log(`${N} spans each, 4 attributes`);
console.log(`no SDK (no-op API)            ${(noop / 1e3).toFixed(0).padStart(7)} k spans/s  ratio 1.000`);
console.log(`SDK, unsampled, held for keep ${(heldRate / 1e3).toFixed(0).padStart(7)} k spans/s  ratio ${(heldRate / noop).toFixed(3)}  held ${held.processor.buffered} (bound 20000)`);
console.log(`SDK, sampled, exported        ${(sampledRate / 1e3).toFixed(0).padStart(7)} k spans/s  ratio ${(sampledRate / noop).toFixed(3)}  exported ${exported}, dropped ${sampled.processor.dropped} (queue bound)`);
console.log(`RSS after held run ${(heldRss / 2 ** 20).toFixed(0)} MiB, at end ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB`);
await held.processor.shutdown();
await sampled.processor.shutdown();
