import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TraceFlags, propagation, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { KEEP_TRACE, MemoryBus } from '@peregrine/bus';
import { emptyBatch, type Alert, type EventBatch } from '@peregrine/event';
import { RecordingRatioSampler } from '@peregrine/telemetry';
import { Host, type HostedStage } from '../src/host.ts';
import { createLogger } from '../src/logger.ts';
import type { AlertStage, BatchStage, SourceStage } from '../src/stage.ts';

const exporter = new InMemorySpanExporter();
const sampler = { ratio: 1 };
trace.setGlobalTracerProvider(new BasicTracerProvider({
  sampler: { shouldSample: (...a: Parameters<RecordingRatioSampler['shouldSample']>) => new RecordingRatioSampler(sampler.ratio).shouldSample(...a) },
  spanProcessors: [new SimpleSpanProcessor(exporter)],
}));
propagation.setGlobalPropagator(new W3CTraceContextPropagator());

const settings = { concurrency: 8, maxMessageBytes: 1 << 20, maxPendingBytes: 1 << 20, maxAckPending: 64, badInputLogIntervalMs: 1000, drainTimeoutMs: 5000, keepTraceGraceMs: 0 };
const silent = createLogger({ sink: { write: (l) => { if (process.env.DEBUG_HOST) process.stderr.write(l); } } });

function batch(seq: number, events = 3): EventBatch {
  const b = emptyBatch('n1', seq);
  for (let i = 0; i < events; i++) b.events.push({ num: seq * 10 + i, ts: 1n, type: 2, dir: 0, cpu: 0, tid: 1, proc: -1, fd: -1, res: 0, args: ['/etc/hosts', i] });
  return b;
}

function source(count: number): SourceStage {
  return { kind: 'source', name: 'src', async run(ctx) { for (let s = 1; s <= count && !ctx.signal.aborted; s++) await ctx.emitBatch(batch(s)); } };
}

function sink(into: number[]): BatchStage {
  return { kind: 'batch', name: 'sink', handle(b) { into.push(b.seq); } };
}

async function runHost(stages: HostedStage[], until: () => boolean, keepTrace?: (id: string) => void) {
  const bus = new MemoryBus();
  const kept: string[] = [];
  bus.control.serve(KEEP_TRACE, (d) => { kept.push(new TextDecoder().decode(d)); });
  const host = new Host({ bus, node: 'n1', stages, settings, logger: silent, http: null, keepTrace });
  await host.start();
  const end = Date.now() + 5000;
  while (!until() && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
  await host.drain();
  return { host, kept };
}

test('with concurrent handlers of varying latency, outputs keep input order', async () => {
  const seen: number[] = [];
  const jitter: BatchStage = {
    kind: 'batch', name: 'jitter',
    async handle(b, ctx) { await new Promise((r) => setTimeout(r, (b.seq * 7) % 5)); ctx.emitBatch(b); },
  };
  await runHost([
    { name: 'capture', stage: source(60), config: {}, next: 'jitter' },
    { name: 'jitter', stage: jitter, config: {}, next: 'sink' },
    { name: 'sink', stage: sink(seen), config: {}, next: undefined },
  ], () => seen.length >= 60);
  assert.deepEqual(seen, Array.from({ length: 60 }, (_, i) => i + 1));
});

test('a throwing handler drops that input with accounting and the stage keeps going', async () => {
  const seen: number[] = [];
  const picky: BatchStage = { kind: 'batch', name: 'picky', handle(b, ctx) { if (b.seq === 3) throw new Error('cannot handle 3'); ctx.emitBatch(b); } };
  const { host } = await runHost([
    { name: 'capture', stage: source(5), config: {}, next: 'picky' },
    { name: 'picky', stage: picky, config: {}, next: 'sink' },
    { name: 'sink', stage: sink(seen), config: {}, next: undefined },
  ], () => seen.length >= 4);
  assert.deepEqual(seen, [1, 2, 4, 5]);
  const text = await host.metrics.registry.metrics();
  assert.match(text, /peregrine_handler_errors_total\{stage="picky"\} 1/);
  assert.match(text, /peregrine_dropped_total\{stage="picky",reason="handler_error"\} 1/);
  assert.match(text, /peregrine_events_in_total\{stage="sink"\} 12/);
  assert.match(text, /peregrine_batches_out_total\{stage="capture"\} 5/);
});

test('an event the codec refuses costs only itself: the rest of its batch goes on, the drop is counted', async () => {
  const events: number[] = [];
  const flawed: SourceStage = {
    kind: 'source', name: 'src',
    async run(ctx) {
      const b = batch(1);
      b.events[1]!.args = ['/etc/hosts', undefined as unknown as number];  // a producer bug: an argument left unset
      await ctx.emitBatch(b);
    },
  };
  const into: BatchStage = { kind: 'batch', name: 'sink', handle(b) { events.push(...b.events.map((e) => e.num)); } };
  const { host } = await runHost([
    { name: 'capture', stage: flawed, config: {}, next: 'sink' },
    { name: 'sink', stage: into, config: {}, next: undefined },
  ], () => events.length >= 2);
  assert.deepEqual(events, [10, 12]);
  const text = await host.metrics.registry.metrics();
  assert.match(text, /peregrine_dropped_total\{stage="capture",reason="unencodable_event"\} 1/);
});

test('spans: one per stage per batch, each the child of the stage before it', async () => {
  exporter.reset();
  sampler.ratio = 1;
  const seen: number[] = [];
  const relay: BatchStage = { kind: 'batch', name: 'relay', handle(b, ctx) { ctx.emitBatch(b); } };
  await runHost([
    { name: 'capture', stage: source(1), config: {}, next: 'enrichment' },
    { name: 'enrichment', stage: relay, config: {}, next: 'sink' },
    { name: 'sink', stage: sink(seen), config: {}, next: undefined },
  ], () => seen.length >= 1);
  const spans = exporter.getFinishedSpans();
  const by = (n: string) => spans.find((s) => s.name === n)!;
  const [c, e, s] = [by('capture batch'), by('enrichment batch'), by('sink batch')];
  assert.equal(c.parentSpanContext, undefined);
  assert.equal(e.parentSpanContext?.spanId, c.spanContext().spanId);
  assert.equal(s.parentSpanContext?.spanId, e.spanContext().spanId);
  assert.equal(new Set([c, e, s].map((x) => x.spanContext().traceId)).size, 1);
  assert.equal(e.attributes['peregrine.events.in'], 3);
  assert.equal(e.attributes['peregrine.batch.seq'], 1);
});

test('an alert from an unsampled batch keeps its trace everywhere and is delivered under a sampled context', async () => {
  exporter.reset();
  sampler.ratio = 0;
  const delivered: Array<{ uuid: string; flags: number; traceId: string }> = [];
  const detector: BatchStage = {
    kind: 'batch', name: 'detector',
    handle(b, ctx) {
      const alert: Alert = { uuid: `u-${b.seq}`, time: '2026-01-01T00:00:00.000000000Z', rule: 'Test rule', priority: 'Warning', source: 'syscall',
        hostname: 'n1', output: 'x', tags: [], output_fields: {} };
      ctx.emitAlert(alert);
    },
  };
  const out: AlertStage = { kind: 'alert', name: 'output', handle(a, ctx) {
    const sc = ctx.span.spanContext();
    delivered.push({ uuid: a.uuid, flags: sc.traceFlags, traceId: sc.traceId });
  } };
  const localKeeps: string[] = [];
  const { kept } = await runHost([
    { name: 'capture', stage: source(1), config: {}, next: 'detector' },
    { name: 'detector', stage: detector, config: {}, next: undefined },
    { name: 'output', stage: out, config: {}, next: undefined },
  ], () => delivered.length >= 1, (id) => localKeeps.push(id));
  assert.equal(delivered.length, 1);
  assert.equal(delivered[0]!.uuid, 'u-1');
  assert.equal(delivered[0]!.flags & TraceFlags.SAMPLED, TraceFlags.SAMPLED);
  // Kept locally at once, and again when this host hears its own KEEP_TRACE: keeping twice is harmless.
  assert.ok(localKeeps.length >= 1 && localKeeps.every((id) => id === delivered[0]!.traceId), localKeeps.join());
  assert.deepEqual(kept, [delivered[0]!.traceId], 'KEEP_TRACE published for the other processes');
  const outSpan = exporter.getFinishedSpans().find((s) => s.name === 'output alert')!;
  assert.equal(outSpan.attributes['peregrine.alert.uuid'], 'u-1');
});
