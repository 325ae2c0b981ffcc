/**
 * Bad input over a real nats-server: garbage on every subject a stage reads, a batch of another schema version and an
 * oversized message. Each is counted in /metrics by subject and reason, logged once per interval (a repeat is only
 * counted), terminated so it is not redelivered, and the stages keep handling good batches.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeBatch } from '@peregrine/event';
import { NatsBus, enrichedEvents, parseNatsConfig, parseStreamsConfig, rawEvents, stageInput, alertSubject } from '@peregrine/bus';
import { Host, createLogger, findStage, loadConfig, loadStage, nextBatchStage, parsePipeline, stageConfig, type HostedStage } from '@peregrine/runtime';
import { startNats, type NatsServer } from '../support/nats.ts';
import { syntheticBatch } from './fixtures/synthetic-source.ts';
import { pipelineConfig, readLines, until } from './support.ts';
import type { SinkLine } from './fixtures/sink.ts';

let nats: NatsServer;
let dir: string;
let host: Host | undefined;
let producer: NatsBus | undefined;

before(async () => {
  nats = await startNats();
  dir = mkdtempSync(join(tmpdir(), 'peregrine-bad-'));
});

after(async () => {
  await host?.drain();
  await producer?.close();
  await nats?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

test('bad input on every subject is counted in /metrics, logged once per interval, and the stages keep going', { timeout: 30_000 }, async () => {
  const sinkOut = join(dir, 'sink.jsonl');
  const file = join(dir, 'pipeline.yaml');
  writeFileSync(file, pipelineConfig({ nodes: ['x'], batches: 0, eventsPerBatch: 1, intervalMs: 0, alertEvery: 0, sampleRatio: 0 }, sinkOut, join(dir, 'alerts.jsonl')));
  const cfg = loadConfig(file, {});
  const pipeline = parsePipeline(cfg.tree.pipeline, cfg.file);
  const stages: HostedStage[] = [];
  for (const name of ['enrichment', 'evaluation', 'sink', 'alerts']) {
    stages.push({ name, stage: await loadStage(findStage(pipeline, name, file), cfg.baseDir), config: stageConfig(cfg, name), next: nextBatchStage(pipeline, name) });
  }
  const logs: Array<Record<string, unknown>> = [];
  const logger = createLogger({ sink: { write: (l) => { logs.push(JSON.parse(l) as Record<string, unknown>); } } });
  const streams = parseStreamsConfig({});
  host = new Host({
    bus: await NatsBus.connect(parseNatsConfig({ servers: nats.url }), streams),
    node: 'test', stages, logger, http: { port: 0, host: '127.0.0.1' },
    settings: { ...cfg.runtime, maxMessageBytes: 64 * 1024, badInputLogIntervalMs: 60_000 },
  });
  await host.start();
  producer = await NatsBus.connect(parseNatsConfig({ servers: nats.url }), streams);

  const garbage = new TextEncoder().encode('definitely not a batch');
  const subjects = [rawEvents('node-x'), enrichedEvents('node-x'), stageInput('sink', 'node-x'), alertSubject('Notice', 'Garbage rule')];
  for (const s of subjects) {
    await producer.publish(s, garbage);
    await producer.publish(s, garbage);
  }
  const wrongVersion = encodeBatch(syntheticBatch('node-x', 1, 10));
  new DataView(wrongVersion.buffer, wrongVersion.byteOffset).setUint16(4, 99, true);
  await producer.publish(rawEvents('node-x'), wrongVersion);
  await producer.publish(rawEvents('node-x'), new Uint8Array(100 * 1024));
  for (let seq = 1; seq <= 3; seq++) await producer.publish(rawEvents('node-x'), encodeBatch(syntheticBatch('node-x', seq, 10)));

  await until(() => readLines(sinkOut).length >= 3, 15_000, 'the good batches at the sink');
  assert.deepEqual(readLines<SinkLine>(sinkOut).map((l) => l.seq), [1, 2, 3], 'good batches after the bad ones pass, in order');

  const text = await (await fetch(`http://127.0.0.1:${host.httpPort}/metrics`)).text();
  const expectLines = [
    'peregrine_bad_messages_total{stage="enrichment",subject="events.raw.node-x",reason="decode"} 2',
    'peregrine_bad_messages_total{stage="evaluation",subject="events.enriched.node-x",reason="decode"} 2',
    'peregrine_bad_messages_total{stage="sink",subject="events.stage.sink.node-x",reason="decode"} 2',
    'peregrine_bad_messages_total{stage="alerts",subject="falco.notice.garbage_rule",reason="decode"} 2',
    'peregrine_bad_messages_total{stage="enrichment",subject="events.raw.node-x",reason="schema_version"} 1',
    'peregrine_bad_messages_total{stage="enrichment",subject="events.raw.node-x",reason="oversized"} 1',
    'peregrine_batches_in_total{stage="enrichment"} 3',
    'peregrine_events_in_total{stage="sink"} 30',
  ];
  for (const l of expectLines) assert.ok(text.includes(l), `/metrics has: ${l}`);

  const bad = logs.filter((l) => l.msg === 'bad input dropped');
  assert.equal(bad.length, 6, 'one log line per (subject, reason) within the interval, not per message');
  const version = bad.find((l) => l.reason === 'schema_version')!;
  assert.match(String(version.detail), /version 99/);
  assert.equal((await fetch(`http://127.0.0.1:${host.httpPort}/healthz`)).status, 200);
});
