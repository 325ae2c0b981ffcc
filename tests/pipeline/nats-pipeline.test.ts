/**
 * The pipeline as four OS processes (`npx peregrine run STAGE`) over a real nats-server, tracing to a real OTLP/HTTP
 * receiver (mockotlpserver, a stand-in for Jaeger). Stages are test fixtures plugged in by module path: a synthetic
 * source (eBPF capture is not deterministic), two pass-through relays in the enrichment and evaluation slots (the
 * second raises an alert every Nth batch), and sinks that record what arrives.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startNats, type NatsServer } from '../support/nats.ts';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../support/otlp.ts';
import { startStageProcess, type StageProcess } from '../support/stage-process.ts';
import { assertExactlyOnceInOrder, pipelineConfig, readLines, until, type PipelineShape } from './support.ts';
import type { SinkLine } from './fixtures/sink.ts';

const shape: PipelineShape = { nodes: ['node-a', 'node-b'], batches: 100, eventsPerBatch: 500, intervalMs: 30, alertEvery: 25, sampleRatio: 0.2 };

let nats: NatsServer;
let otlp: OtlpReceiver;
let dir: string;
const procs: StageProcess[] = [];

before(async () => {
  [nats, otlp] = await Promise.all([startNats(), startOtlpReceiver()]);
  dir = mkdtempSync(join(tmpdir(), 'peregrine-pipeline-'));
});

after(async () => {
  for (const p of procs) p.kill();
  await Promise.all(procs.map((p) => p.exited));
  await otlp?.close();
  await nats?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

function stage(names: string[], config: string): StageProcess {
  const p = startStageProcess(['run', ...names, '--config', config, '--nats', nats.url], {
    PEREGRINE_HTTP__PORT: '0',
    OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url,
    OTEL_TRACES_EXPORTER: 'otlp',
  });
  procs.push(p);
  return p;
}

/** The spans of one trace by stage, checked to form the chain capture → enrichment → evaluation → `last`. */
function chain(spans: ReceivedSpan[], traceId: string, last: string): ReceivedSpan[] {
  const mine = spans.filter((s) => s.traceId === traceId);
  const one = (name: string) => {
    const found = mine.filter((s) => s.name === name);
    assert.equal(found.length, 1, `trace ${traceId}: ${found.length} '${name}' spans (${mine.map((s) => s.name).join(', ')})`);
    return found[0]!;
  };
  const path = [one('capture batch'), one('enrichment batch'), one('evaluation batch'), one(last)];
  assert.equal(path[0]!.parentSpanId, '', 'capture span is the root');
  for (let i = 1; i < path.length; i++) assert.equal(path[i]!.parentSpanId, path[i - 1]!.spanId, `${path[i]!.name} is a child of ${path[i - 1]!.name}`);
  return path;
}

test('four stage processes over NATS: 100k events exactly once and in order per node, traced across processes, SIGTERM mid-stream loses nothing', { timeout: 90_000 }, async () => {
  const sinkOut = join(dir, 'sink.jsonl');
  const alertsOut = join(dir, 'alerts.jsonl');
  const config = join(dir, 'pipeline.yaml');
  writeFileSync(config, pipelineConfig(shape, sinkOut, alertsOut));

  const sink = stage(['sink', 'alerts'], config);
  const evaluation = stage(['evaluation'], config);
  let enrichment = stage(['enrichment'], config);
  await Promise.all([sink.ready, evaluation.ready, enrichment.ready]);
  const capture = stage(['capture'], config);
  await capture.ready;

  // SIGTERM the middle stage while batches are flowing, then start a new one: it resumes the same durable consumer.
  await until(() => readLines(sinkOut).length >= 30, 30_000, 'the first batches at the sink');
  const stoppedMidStream = readLines(sinkOut).length < shape.batches * shape.nodes.length;
  assert.equal(await enrichment.terminate(), 0, 'enrichment drains and exits 0 on SIGTERM');
  assert.ok(stoppedMidStream, 'the stage was stopped before the stream ended');
  assert.ok(enrichment.logs.some((l) => l.msg === 'drained'), 'enrichment logged its drain');
  enrichment = stage(['enrichment'], config);
  await enrichment.ready;

  const expected = shape.batches * shape.nodes.length;
  await until(() => readLines(sinkOut).length >= expected, 45_000, `${expected} batches at the sink`);
  await new Promise((r) => setTimeout(r, 300));
  const lines = readLines<SinkLine>(sinkOut);
  assert.equal(lines.length, expected, 'no batch arrived twice');
  assertExactlyOnceInOrder(lines, shape);

  // Every sampled batch: one trace, one span per stage, each a child of the one before, from four processes.
  const sampled = lines.filter((l) => l.sampled);
  assert.ok(sampled.length >= 10 && sampled.length <= 90, `about ${shape.sampleRatio * expected} batches sampled, got ${sampled.length}`);
  const hasChain = (s: ReceivedSpan[], id: string) => ['capture batch', 'enrichment batch', 'evaluation batch', 'sink batch'].every((n) => s.some((x) => x.traceId === id && x.name === n));
  await otlp.waitFor((s) => sampled.every((l) => hasChain(s, l.traceId)), 15_000);
  for (const l of sampled) {
    const path = chain(otlp.spans, l.traceId, 'sink batch');
    assert.equal(new Set(path.map((s) => s.pid)).size, 4, `trace ${l.traceId} spans come from four processes`);
    assert.deepEqual(path.map((s) => s.attributes['peregrine.batch.seq']), [l.seq, l.seq, l.seq, l.seq]);
    assert.equal(path[0]!.attributes['peregrine.node'], l.node);
    assert.equal(path[1]!.attributes['peregrine.events.in'], shape.eventsPerBatch);
  }

  // Every alert arrives once and has a complete trace, sampled or not, ending in the delivery span with its uuid.
  const alerts = readLines<{ uuid: string; traceId: string }>(alertsOut);
  const wantUuids = shape.nodes.flatMap((n) => Array.from({ length: shape.batches / shape.alertEvery }, (_, i) => `${n}-${(i + 1) * shape.alertEvery}`));
  assert.deepEqual(alerts.map((a) => a.uuid).sort(), wantUuids.sort());
  await otlp.waitFor((s) => alerts.every((a) => hasChain(s, a.traceId) && s.some((x) => x.traceId === a.traceId && x.name === 'alerts alert')), 15_000);
  for (const a of alerts) {
    const path = chain(otlp.spans, a.traceId, 'alerts alert');
    assert.equal(path[3]!.attributes['peregrine.alert.uuid'], a.uuid);
  }
  const unsampledAlerts = alerts.filter((a) => !sampled.some((l) => l.traceId === a.traceId));
  assert.ok(unsampledAlerts.length > 0, 'some alerts came from unsampled batches (their traces were kept)');

  for (const p of [capture, enrichment, evaluation, sink]) assert.equal(await p.terminate(), 0);
});
