/**
 * `alerts.subjectTemplate` (falcosidekick's subjecttemplate): alerts are published on the subjects it renders, the
 * alerts stream keeps those subjects, and the output stage's durable consumer reads them, so delivery still works.
 * The default keeps falco.<priority>.<rule_slug>. Real nats-server, real host, built-in output stage.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'nats';
import { ALERTS_STREAM, NatsBus, enrichedEvents, parseNatsConfig, parseStreamsConfig } from '@peregrine/bus';
import { emptyBatch, encodeBatch, type Alert, type EventBatch } from '@peregrine/event';
import { ConfigError, Host, createLogger, loadConfig, stageConfig, type BatchStage } from '@peregrine/runtime';
import { createOutputStage } from '@peregrine/output';
import { startNats } from '../support/nats.ts';

const silent = createLogger({ sink: { write: () => {} } });

const evaluation: BatchStage = {
  kind: 'batch', name: 'alerting',
  handle(b: EventBatch, ctx) {
    ctx.emitAlert({ uuid: `uuid-${b.node}-${b.seq}`, time: '2026-11-28T11:04:02.758065975Z', rule: 'Write below etc', priority: 'Error',
      source: 'syscall', hostname: b.node, output: '11:04:02.758065975: Error File below /etc opened', tags: [], output_fields: {} });
  },
};

async function deliver(template: string | undefined): Promise<{ subjects: string[]; delivered: Alert[]; streamSubjects: string[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'peregrine-subject-'));
  const nats = await startNats();
  try {
    const file = join(dir, 'peregrine.yaml');
    const delivered = join(dir, 'alerts.jsonl');
    writeFileSync(file, `${template ? `alerts: { subjectTemplate: '${template}' }\n` : ''}stages:
  output: { stateDir: ${join(dir, 'state')}, destinations: [ { type: file, path: ${delivered} } ] }
`);
    const cfg = loadConfig(file, {});
    const bus = await NatsBus.connect(parseNatsConfig({ servers: nats.url }), parseStreamsConfig(undefined), cfg.alertSubjectTemplate);
    const nc = await connect({ servers: nats.url });
    const seen: string[] = [];
    // A `>` subscriber would also see JetStream's deliveries to the output stage's pull inbox: listen where users do.
    for (const root of ['falco.>', 'security.>']) nc.subscribe(root, { callback: (_e, m) => { seen.push(m.subject); } });
    await nc.flush();
    const host = new Host({ bus, node: 'n1', settings: cfg.runtime, logger: silent, http: null, alertSubjectTemplate: cfg.alertSubjectTemplate, stages: [
      { name: 'evaluation', stage: evaluation, config: {}, next: undefined },
      { name: 'output', stage: createOutputStage(), config: stageConfig(cfg, 'output'), next: undefined },
    ] });
    try {
      await host.start();
      for (const seq of [1, 2]) await bus.publish(enrichedEvents('n1'), encodeBatch(emptyBatch('n1', seq)), { msgId: `c.${seq}` });
      const end = Date.now() + 10_000;
      const lines = () => existsSync(delivered) ? readFileSync(delivered, 'utf8').split('\n').filter(Boolean) : [];
      while (lines().length < 2) {
        assert.ok(Date.now() < end, `two alerts delivered within 10 s (have ${lines().length})`);
        await new Promise((r) => setTimeout(r, 50));
      }
      const info = await (await nc.jetstreamManager()).streams.info(ALERTS_STREAM);
      return { subjects: seen, delivered: lines().map((l) => JSON.parse(l) as Alert), streamSubjects: info.config.subjects };
    } finally {
      await host.drain();
      await nc.close();
    }
  } finally {
    await nats.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
}

test('a custom alerts.subjectTemplate puts alerts on its subjects, the stream keeps them and output delivers them', { timeout: 30_000 }, async () => {
  const r = await deliver('security.<hostname>.<priority>.<rule>');
  assert.deepEqual(r.subjects, ['security.n1.error.write_below_etc', 'security.n1.error.write_below_etc']);
  assert.deepEqual(r.streamSubjects, ['security.*.*.*']);
  assert.deepEqual(r.delivered.map((a) => a.uuid), ['uuid-n1-1', 'uuid-n1-2']);
});

test('without alerts.subjectTemplate alerts stay on falco.<priority>.<rule_slug>', { timeout: 30_000 }, async () => {
  const r = await deliver(undefined);
  assert.deepEqual(r.subjects, ['falco.error.write_below_etc', 'falco.error.write_below_etc']);
  assert.deepEqual(r.streamSubjects, ['falco.>']);
  assert.deepEqual(r.delivered.map((a) => a.uuid), ['uuid-n1-1', 'uuid-n1-2']);
});

test('a template that cannot render a subject is a config error naming alerts.subjectTemplate', () => {
  const dir = mkdtempSync(join(tmpdir(), 'peregrine-subject-'));
  try {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, "alerts: { subjectTemplate: 'falco.<priority>.>' }\n");
    assert.throws(() => loadConfig(file, {}), (e: unknown) => e instanceof ConfigError && e.key === 'alerts.subjectTemplate' && e.file === file);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
