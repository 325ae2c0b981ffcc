/**
 * The evaluation stage with the real pieces around it: the in-memory bus's control channel, the host's metrics
 * registry and logger, an OpenTelemetry span recorded in memory, and rules files on disk.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { MemoryBus, EVENT_TYPES_REQUEST, RULES_RELOADED } from '@peregrine/bus';
import { HostMetrics, createLogger } from '@peregrine/runtime';
import type { Alert, EventBatch } from '@peregrine/event';
import evaluation, { defaultRulesFiles, type EventTypesMessage } from '../src/index.ts';
import { EvaluationStage } from '../src/stage.ts';
import { BatchBuilder } from '../../../libs/rules/test/ruleset/batch-builder.ts';

const LOCAL = `
- rule: Local shell
  desc: any shell exec
  condition: evt.type = execve and evt.dir = < and proc.name = sh
  output: local shell %proc.name
  priority: debug
`;

function shellInPod(): EventBatch {
  const b = new BatchBuilder();
  const c = b.container({}, { nsName: 'shop', podName: 'web-1' });
  b.event('execve', { proc: b.proc({ name: 'sh', tty: 34817 }, [{ name: 'runc' }], c), args: {} });
  return b.batch;
}

describe('evaluation stage', () => {
  const exporter = new InMemorySpanExporter();
  const tracer = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }).getTracer('test');
  const bus = new MemoryBus();
  const logLines: string[] = [];
  const logger = createLogger({ level: 'debug', sink: { write: (l) => logLines.push(l) } });
  let dir = '';
  let local = '';
  let stage: EvaluationStage;
  const reloads: EventTypesMessage[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'peregrine-eval-'));
    local = join(dir, 'local.yaml');
    writeFileSync(local, LOCAL);
    stage = evaluation() as EvaluationStage;
    bus.control.serve(RULES_RELOADED, (data) => { reloads.push(JSON.parse(new TextDecoder().decode(data))); });
    await stage.init!({
      node: 'node-a',
      config: { rules: [...defaultRulesFiles(), local], rule_matching: 'all', min_priority: 'debug' },
      logger,
      control: bus.control,
      metrics: new HostMetrics().forStage(),
    });
  });
  after(async () => {
    await stage.close!();
    await bus.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is a batch stage named evaluation', () => {
    assert.equal(stage.kind, 'batch');
    assert.equal(stage.name, 'evaluation');
  });

  it('answers EVENT_TYPES_REQUEST with the event types the loaded rules need', async () => {
    const reply = JSON.parse(new TextDecoder().decode(await bus.control.request(EVENT_TYPES_REQUEST, new Uint8Array(), 1000))) as EventTypesMessage;
    assert.deepEqual(reply.eventTypes, stage.ruleset.eventTypes());
    for (const t of ['execve', 'openat', 'connect']) assert.ok(reply.eventTypes!.includes(t), t);
    assert.equal(reply.rules, stage.ruleset.activeRules.length);
  });

  it('emits an alert per match and records the hits on the span', () => {
    const alerts: Alert[] = [];
    const span = tracer.startSpan('evaluation');
    stage.handle(shellInPod(), { span, emitAlert: (a) => alerts.push(a), emitBatch: () => assert.fail('no batches') });
    span.end();
    assert.deepEqual(alerts.map((a) => a.rule).sort(), ['Interactive shell in container', 'Local shell']);
    const recorded = exporter.getFinishedSpans().at(-1)!;
    assert.equal(recorded.attributes['peregrine.rule_matches'], 2);
    assert.equal(recorded.attributes['peregrine.events'], 1);
    assert.deepEqual(recorded.events.map((e) => e.attributes?.rule).sort(), ['Interactive shell in container', 'Local shell']);
  });

  it('a malformed event is logged and counted; the rest of the batch is still evaluated', () => {
    const batch = shellInPod();
    const good = batch.events[0]!;
    batch.events = [{ ...good, num: 1, ts: undefined as unknown as bigint }, good];
    const alerts: Alert[] = [];
    const span = tracer.startSpan('evaluation');
    assert.doesNotThrow(() => stage.handle(batch, { span, emitAlert: (a) => alerts.push(a), emitBatch: () => {} }));
    span.end();
    assert.deepEqual(alerts.map((a) => a.rule).sort(), ['Interactive shell in container', 'Local shell']);
    const recorded = exporter.getFinishedSpans().at(-1)!;
    assert.equal(recorded.attributes['peregrine.evaluation.failed_events'], 1);
    assert.ok(logLines.some((l) => l.includes('evaluation failed for events of a batch')));
  });

  it('a batch too broken to walk is logged, not thrown', () => {
    const bad = { ...shellInPod(), events: null } as unknown as EventBatch;
    const span = tracer.startSpan('evaluation');
    assert.doesNotThrow(() => stage.handle(bad, { span, emitAlert: () => {}, emitBatch: () => {} }));
    span.end();
  });

  it('reloads when a rules file changes and announces RULES_RELOADED; a broken file keeps the rules', async () => {
    writeFileSync(local, LOCAL.replace('proc.name = sh', 'proc.name = sh and evt.type = execve').replace('Local shell', 'Local shell v2'));
    await waitFor(() => reloads.length === 1);
    assert.ok(stage.ruleset.rules.some((r) => r.name === 'Local shell v2'));
    assert.deepEqual(reloads[0]!.eventTypes, stage.ruleset.eventTypes());
    const running = stage.ruleset;
    writeFileSync(local, '- rule: Broken\n  desc: d\n  condition: evt.type = execve and (\n  output: o\n  priority: info\n');
    await waitFor(() => logLines.some((l) => l.includes('rules reload failed')));
    assert.equal(stage.ruleset, running);
    assert.equal(reloads.length, 1);
  });

  it('rules that do not load fail init, with every error logged in full', async () => {
    const broken = join(dir, 'broken.yaml');
    writeFileSync(broken, '- rule: B\n  desc: d\n  condition: evt.type = open and proc.nmae = x\n  output: o\n  priority: info\n');
    const s = evaluation();
    await assert.rejects(
      Promise.resolve(s.init!({ node: 'n', config: { rules: [broken], watch_rules: false }, logger, control: bus.control, metrics: new HostMetrics().forStage() })),
      /RulesLoadError|error\(s\) loading rules/,
    );
    const line = logLines.find((l) => l.includes('rules did not load'))!;
    assert.ok(line.includes(`${broken}:3:34: error: unknown field 'proc.nmae'`), line);
  });

  it('a bad config key fails init with the key named', async () => {
    const s = evaluation();
    await assert.rejects(
      Promise.resolve(s.init!({ node: 'n', config: { rule_matching: 'sometimes' }, logger, control: bus.control, metrics: new HostMetrics().forStage() })),
      /rules config 'rule_matching'/,
    );
  });
});

function waitFor(check: () => boolean, ms = 5000): Promise<void> {
  const until = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const tick = () => (check() ? resolve() : Date.now() > until ? reject(new Error('timed out')) : setTimeout(tick, 20));
    tick();
  });
}
