import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ROOT_CONTEXT, TraceFlags, trace } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { KeepingSpanProcessor } from '../src/keep-processor.ts';
import { RecordingRatioSampler } from '../src/sampler.ts';

function setup(ratio: number, opts = {}) {
  const exporter = new InMemorySpanExporter();
  const processor = new KeepingSpanProcessor(exporter, { exportIntervalMs: 60_000, ...opts });
  const provider = new BasicTracerProvider({ sampler: new RecordingRatioSampler(ratio), spanProcessors: [processor] });
  return { exporter, processor, tracer: provider.getTracer('t') };
}

test('sampled spans are exported; unsampled ones are recorded but held', async () => {
  const on = setup(1);
  on.tracer.startSpan('a').end();
  await on.processor.forceFlush();
  assert.deepEqual(on.exporter.getFinishedSpans().map((s) => s.name), ['a']);

  const off = setup(0);
  const span = off.tracer.startSpan('b');
  assert.equal(span.isRecording(), true, 'recorded even though not sampled');
  span.end();
  await off.processor.forceFlush();
  assert.equal(off.exporter.getFinishedSpans().length, 0);
  assert.equal(off.processor.buffered, 1);
});

test('keep(traceId) exports what is held for that trace, and spans of it that end later', async () => {
  const { exporter, processor, tracer } = setup(0);
  const root = tracer.startSpan('capture batch');
  const child = tracer.startSpan('enrichment batch', {}, trace.setSpan(ROOT_CONTEXT, root));
  const other = tracer.startSpan('unrelated');
  root.end();
  other.end();
  processor.keep(root.spanContext().traceId);
  child.end();
  await processor.forceFlush();
  assert.deepEqual(exporter.getFinishedSpans().map((s) => s.name).sort(), ['capture batch', 'enrichment batch']);
  assert.equal(processor.buffered, 1, 'the unrelated trace is still held');
});

test('the hold buffer is bounded: the oldest traces go first', async () => {
  const { exporter, processor, tracer } = setup(0, { maxBufferedSpans: 3 });
  const ids: string[] = [];
  for (let i = 0; i < 5; i++) {
    const s = tracer.startSpan(`s${i}`);
    ids.push(s.spanContext().traceId);
    s.end();
  }
  assert.equal(processor.buffered, 3);
  processor.keep(ids[0]!);
  processor.keep(ids[4]!);
  await processor.forceFlush();
  assert.deepEqual(exporter.getFinishedSpans().map((s) => s.name), ['s4']);
});

test('sampling is decided at the root by ratio and inherited from the parent flag', () => {
  const sampler = new RecordingRatioSampler(0);
  const parent = (flags: number) => trace.setSpanContext(ROOT_CONTEXT, { traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), traceFlags: flags, isRemote: true });
  const decide = (ctx = ROOT_CONTEXT) => sampler.shouldSample(ctx, 'c'.repeat(32), 'x', 0, {}, []).decision;
  assert.equal(decide(), 1, 'root with ratio 0: RECORD');
  assert.equal(decide(parent(TraceFlags.SAMPLED)), 2, 'sampled parent: RECORD_AND_SAMPLED');
  assert.equal(decide(parent(TraceFlags.NONE)), 1, 'unsampled parent: RECORD');
  assert.equal(new RecordingRatioSampler(1).shouldSample(ROOT_CONTEXT, 'c'.repeat(32), 'x', 0, {}, []).decision, 2);
});
