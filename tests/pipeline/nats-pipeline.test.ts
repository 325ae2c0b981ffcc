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

const shape: PipelineShape = { nodes: ['node-a', 'node-b'], batches: 100, eventsPerBatch: 500, intervalMs: 60, alertEvery: 25, sampleRatio: 0.2 };

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

test('four stage processes over NATS: 100k events exactly once and in order per node, traced across processes, SIGTERM to every stage mid-stream loses nothing', { timeout: 90_000 }, async () => {
  const sinkOut = join(dir, 'sink.jsonl');
  const alertsOut = join(dir, 'alerts.jsonl');
  const config = join(dir, 'pipeline.yaml');
  writeFileSync(config, pipelineConfig(shape, sinkOut, alertsOut));

  let sink = stage(['sink', 'alerts'], config);
  let evaluation = stage(['evaluation'], config);
  let enrichment = stage(['enrichment'], config);
  await Promise.all([sink.ready, evaluation.ready, enrichment.ready]);
  const capture = stage(['capture'], config);
  await capture.ready;

  // SIGTERM every stage downstream of the source while batches are flowing, and start new ones: each drains
  // (finishes and acks what it holds) and exits 0, and its successor resumes the same durable consumer.
  const expected = shape.batches * shape.nodes.length;
  await until(() => readLines(sinkOut).length >= 10, 30_000, 'the first batches at the sink');
  const atStop = readLines(sinkOut).length;
  const stopping = [['enrichment', enrichment], ['evaluation', evaluation], ['sink', sink]] as const;
  const codes = await Promise.all(stopping.map(([, p]) => p.terminate()));
  assert.ok(atStop < expected, `stopped mid-stream (${atStop} of ${expected} batches at the sink)`);
  assert.ok(!capture.logs.some((l) => l.msg === 'source done'), 'the source was still sending');
  stopping.forEach(([name, p], i) => {
    assert.equal(codes[i], 0, `${name} drains and exits 0 on SIGTERM`);
    assert.ok(p.logs.some((l) => l.msg === 'drained'), `${name} logged its drain`);
  });
  [enrichment, evaluation, sink] = [stage(['enrichment'], config), stage(['evaluation'], config), stage(['sink', 'alerts'], config)];
  await Promise.all([enrichment.ready, evaluation.ready, sink.ready]);

  await until(() => readLines(sinkOut).length >= expected, 45_000, `${expected} batches at the sink`);
  await new Promise((r) => setTimeout(r, 300));
  const lines = readLines<SinkLine>(sinkOut);
  assert.equal(lines.length, expected, 'no batch arrived twice');
  assertExactlyOnceInOrder(lines, shape);

  // Every sampled batch: one trace, one span per stage, each a child of the one before, from four processes.
  const sampled = lines.filter((l) => l.sampled);
  assert.ok(sampled.length >= 10 && sampled.length <= 90, `about ${shape.sampleRatio * expected} batches sampled, got ${sampled.length}`);
  const hasChain = (s: ReceivedSpan[], id: string) => ['capture batch', 'enrichment batch', 'evaluation batch', 'sink batch'].every((n) => s.some((x) => x.traceId === id && x.name === n));
  await otlp.waitFor((s) => sampled.every((l) => hasChain(s, l.traceId)), 15_000).catch(() => {
    const missing = sampled.filter((l) => !hasChain(otlp.spans, l.traceId)).map((l) => `${l.node}/${l.seq}: ${otlp.spans.filter((x) => x.traceId === l.traceId).map((x) => x.name).join('+')}`);
    assert.fail(`sampled traces incomplete: ${missing.join('; ')}`);
  });
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
  const alertChain = (s: ReceivedSpan[], id: string) => hasChain(s, id) && s.some((x) => x.traceId === id && x.name === 'alerts alert');
  await otlp.waitFor((s) => alerts.every((a) => alertChain(s, a.traceId)), 15_000).catch(() => {
    const missing = alerts.filter((a) => !alertChain(otlp.spans, a.traceId)).map((a) => `${a.uuid}: ${otlp.spans.filter((x) => x.traceId === a.traceId).map((x) => x.name).join('+')}`);
    assert.fail(`alert traces incomplete: ${missing.join('; ')}`);
  });
  for (const a of alerts) {
    const path = chain(otlp.spans, a.traceId, 'alerts alert');
    assert.equal(path[3]!.attributes['peregrine.alert.uuid'], a.uuid);
  }
  // Sampling is decided at capture; a batch that raises an alert is passed on as sampled from evaluation on, and the
  // spans held upstream are exported on KEEP_TRACE.
  const rootUnsampled = alerts.filter((a) => (chain(otlp.spans, a.traceId, 'alerts alert')[0]!.traceFlags & 1) === 0);
  assert.ok(rootUnsampled.length > 0, 'some alerts came from batches not sampled at capture (their traces were kept)');
  for (const a of alerts) {
    const line = lines.find((l) => `${l.node}-${l.seq}` === a.uuid)!;
    assert.equal(line.sampled, true, `batch ${a.uuid} reaches the sink sampled`);
  }

  assert.deepEqual(await Promise.all([capture, enrichment, evaluation, sink].map((p) => p.terminate())), [0, 0, 0, 0]);
});
