/**
 * `peregrine run` as a user meets it: argument and loader errors are clear and exit 2; a user stage plugged into the
 * pipeline by module path (between enrichment and evaluation) is wired by the runtime and gets metrics and drain.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startStageProcess, type StageProcess } from '../support/stage-process.ts';
import { readLines, until } from './support.ts';
import type { SinkLine } from './fixtures/sink.ts';

const fixtures = resolve(import.meta.dirname, 'fixtures');
const repo = resolve(import.meta.dirname, '..', '..');
let dir: string;
let proc: StageProcess | undefined;

before(() => { dir = mkdtempSync(join(tmpdir(), 'peregrine-run-')); });
after(async () => {
  proc?.kill();
  await proc?.exited;
  rmSync(dir, { recursive: true, force: true });
});

function runSync(args: string[]) {
  const r = spawnSync('npx', ['peregrine', 'run', ...args], { cwd: repo, encoding: 'utf8', env: { ...process.env, OTEL_SDK_DISABLED: 'true' } });
  return { code: r.status, stderr: r.stderr };
}

test('usage, loader and connection errors are one clear line and a non-zero exit', () => {
  assert.match(runSync([]).stderr, /name the stages to run, or --all/);
  assert.equal(runSync(['--all', 'capture']).code, 2);
  const missing = join(dir, 'missing.yaml');
  writeFileSync(missing, 'pipeline:\n  - capture\n  - { name: redact, module: ./nope.ts }\n');
  const m = runSync(['redact', '--config', missing]);
  assert.equal(m.code, 2);
  assert.match(m.stderr, /peregrine run: stage 'redact' \(module \.\/nope\.ts\): module not found/);
  const noFactory = join(dir, 'nofactory.yaml');
  writeFileSync(noFactory, 'pipeline:\n  - { name: odd, module: ./not-a-stage.mjs }\n');
  writeFileSync(join(dir, 'not-a-stage.mjs'), 'export const x = 1;\n');
  const n = runSync(['odd', '--config', noFactory]);
  assert.equal(n.code, 2);
  assert.match(n.stderr, /stage 'odd' \(module \.\/not-a-stage\.mjs\): has no default export StageFactory/);
  const noNats = runSync(['enrichment', '--nats', 'nats://127.0.0.1:1']);
  assert.equal(noNats.code, 1);
  assert.match(noNats.stderr, /peregrine run: NATS \(nats:\/\/127\.0\.0\.1:1\): CONNECTION_REFUSED/);
  const unknown = runSync(['nosuchstage']);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /unknown stage 'nosuchstage'/);
});

test('a user stage plugged in by module path between enrichment and evaluation gets wiring, metrics and drain', { timeout: 60_000 }, async () => {
  const sinkOut = join(dir, 'sink.jsonl');
  const config = join(dir, 'plugin.yaml');
  writeFileSync(config, `
pipeline:
  - { name: capture, module: ${fixtures}/synthetic-source.ts }
  - { name: enrichment, module: ${fixtures}/relay.ts }
  - { name: tagger, module: ${fixtures}/tag-cluster.ts }
  - { name: evaluation, module: ${fixtures}/relay.ts }
  - { name: sink, module: ${fixtures}/sink.ts }
stages:
  capture: { nodes: [n1], batches: 20, eventsPerBatch: 50 }
  tagger: { cluster: prod-eu }
  sink: { out: ${sinkOut} }
`);
  proc = startStageProcess(['run', '--all', '--config', config], { PEREGRINE_HTTP__PORT: '0', OTEL_SDK_DISABLED: 'true' });
  await proc.ready;
  await until(() => readLines(sinkOut).length >= 20, 20_000, '20 batches at the sink');
  const lines = readLines<SinkLine>(sinkOut);
  assert.deepEqual(lines.map((l) => l.seq), Array.from({ length: 20 }, (_, i) => i + 1));
  assert.ok(lines.every((l) => l.cluster === 'prod-eu'), 'every batch went through the plugged-in stage');
  const metrics = await (await fetch(`http://127.0.0.1:${proc.httpPort()}/metrics`)).text();
  assert.match(metrics, /peregrine_batches_in_total\{stage="tagger"\} 20/);
  assert.match(metrics, /peregrine_events_out_total\{stage="tagger"\} 1000/);
  assert.match(metrics, /peregrine_handler_duration_seconds_count\{stage="tagger"\} 20/);
  assert.equal((await fetch(`http://127.0.0.1:${proc.httpPort()}/healthz`)).status, 200);
  assert.equal(await proc.terminate(), 0);
  assert.ok(proc.logs.some((l) => l.msg === 'drained'));
});
