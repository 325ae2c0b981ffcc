/**
 * The same flow in one process: `npx peregrine run --all` on the in-memory bus, with the test pipeline's fixture
 * stages, tracing to a real OTLP/HTTP receiver (mockotlpserver, a stand-in for Jaeger). Alerts come out on stdout as
 * Falco JSON lines; logs, including the `ready` line, on stderr.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startOtlpReceiver, type OtlpReceiver } from '../support/otlp.ts';
import { startStageProcess, type StageProcess } from '../support/stage-process.ts';
import { assertExactlyOnceInOrder, pipelineConfig, readLines, until, type PipelineShape } from './support.ts';
import type { SinkLine } from './fixtures/sink.ts';

const shape: PipelineShape = { nodes: ['node-a', 'node-b'], batches: 100, eventsPerBatch: 500, intervalMs: 0, alertEvery: 20, sampleRatio: 0.1 };

let otlp: OtlpReceiver;
let dir: string;
let proc: StageProcess | undefined;

before(async () => {
  otlp = await startOtlpReceiver();
  dir = mkdtempSync(join(tmpdir(), 'peregrine-memory-'));
});

after(async () => {
  proc?.kill();
  await proc?.exited;
  await otlp?.close();
  rmSync(dir, { recursive: true, force: true });
});

test('run --all on the in-memory bus: 100k events exactly once and in order, alerts as Falco JSON on stdout, traces complete', { timeout: 60_000 }, async () => {
  const sinkOut = join(dir, 'sink.jsonl');
  const config = join(dir, 'pipeline.yaml');
  writeFileSync(config, pipelineConfig(shape, sinkOut, join(dir, 'alerts.jsonl')));
  proc = startStageProcess(['run', '--all', '--config', config], {
    PEREGRINE_HTTP__PORT: '0', OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url, OTEL_TRACES_EXPORTER: 'otlp',
  });
  await proc.ready;
  const ready = proc.logs.find((l) => l.msg === 'ready')!;
  assert.deepEqual(ready.stages, ['capture', 'enrichment', 'evaluation', 'sink', 'alerts', 'stdout']);

  const expected = shape.batches * shape.nodes.length;
  const alertCount = expected / shape.alertEvery;
  await until(() => readLines(sinkOut).length >= expected && proc!.stdout.length >= alertCount, 30_000, 'every batch and alert');
  const lines = readLines<SinkLine>(sinkOut);
  assert.equal(lines.length, expected);
  assertExactlyOnceInOrder(lines, shape);

  const alerts = proc.stdout.map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.equal(alerts.length, alertCount);
  assert.deepEqual(Object.keys(alerts[0]!).sort(), ['hostname', 'output', 'output_fields', 'priority', 'rule', 'source', 'tags', 'time', 'uuid']);
  assert.equal(alerts[0]!.rule, 'Synthetic batch marker');
  assert.equal(alerts[0]!.priority, 'Notice');

  const sampled = lines.filter((l) => l.sampled).map((l) => l.traceId);
  assert.ok(sampled.length > 0, 'some batches sampled');
  const names = ['capture batch', 'enrichment batch', 'evaluation batch', 'sink batch'];
  await otlp.waitFor((s) => sampled.every((id) => names.every((n) => s.some((x) => x.traceId === id && x.name === n))), 15_000);
  for (const id of sampled) {
    const spans = names.map((n) => otlp.spans.find((x) => x.traceId === id && x.name === n)!);
    for (let i = 1; i < spans.length; i++) assert.equal(spans[i]!.parentSpanId, spans[i - 1]!.spanId);
  }
  // Alert traces are complete whether sampled or not: the delivery span (stdout stage) with the alert's uuid.
  await otlp.waitFor((s) => alerts.every((a) => s.some((x) => x.name === 'stdout alert' && x.attributes['peregrine.alert.uuid'] === a.uuid)), 15_000);
  for (const a of alerts) {
    const delivery = otlp.spans.find((x) => x.name === 'stdout alert' && x.attributes['peregrine.alert.uuid'] === a.uuid)!;
    for (const n of ['capture batch', 'enrichment batch', 'evaluation batch']) {
      assert.ok(otlp.spans.some((x) => x.traceId === delivery.traceId && x.name === n), `alert ${String(a.uuid)}: '${n}' span in its trace`);
    }
  }

  assert.equal(await proc.terminate(), 0, 'SIGTERM drains and exits 0');
  assert.ok(proc.logs.some((l) => l.msg === 'drained'));
});
