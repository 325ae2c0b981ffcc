/**
 * An alert raised again from the same events is stored once: the host publishes alerts with the alert's
 * deterministic uuid as the JetStream msgId, so a batch re-published under a new stream sequence (capture restarted
 * and sent it again under a new run id) does not put a second copy in the alerts stream. Real nats-server.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'nats';
import { ALERTS_STREAM, NatsBus, enrichedEvents, parseNatsConfig, parseStreamsConfig } from '@peregrine/bus';
import { emptyBatch, encodeBatch, type Alert, type EventBatch } from '@peregrine/event';
import { Host, createLogger, type BatchStage } from '@peregrine/runtime';
import { startNats } from '../support/nats.ts';

const settings = { concurrency: 2, maxMessageBytes: 1 << 20, maxPendingBytes: 1 << 20, maxAckPending: 64, badInputLogIntervalMs: 60_000, drainTimeoutMs: 5000, keepTraceGraceMs: 0 };
const silent = createLogger({ sink: { write: () => {} } });

/** Raises one alert per batch, its uuid from what identifies the event (as the rules engine's alertUuid does). */
const evaluation: BatchStage = {
  kind: 'batch', name: 'alerting',
  handle(b: EventBatch, ctx) {
    const alert: Alert = { uuid: `uuid-${b.node}-${b.seq}`, time: '2026-11-28T11:04:02.758065975Z', rule: 'Write below etc', priority: 'Error',
      source: 'syscall', hostname: b.node, output: '11:04:02.758065975: Error File below /etc opened', tags: [], output_fields: {} };
    ctx.emitAlert(alert);
  },
};

test('a batch handled twice under different stream sequences stores its alert once (msgId = alert uuid, real nats-server)', async (t) => {
  const nats = await startNats();
  const bus = await NatsBus.connect(parseNatsConfig({ servers: nats.url }), parseStreamsConfig(undefined));
  const publisher = await NatsBus.connect(parseNatsConfig({ servers: nats.url }), parseStreamsConfig(undefined));
  const nc = await connect({ servers: nats.url });
  const host = new Host({ bus, node: 'n1', settings, logger: silent, http: null,
    stages: [{ name: 'evaluation', stage: evaluation, config: {}, next: undefined }] });
  t.after(async () => { await host.drain(); await publisher.close(); await nc.close(); await nats.dispose(); });
  await host.start();

  const b = emptyBatch('n1', 7);
  // The same batch twice, as capture re-sends it after a restart: a new run id, so a new msgId and a new sequence.
  await publisher.publish(enrichedEvents('n1'), encodeBatch(b), { msgId: 'capture.n1.run1.7' });
  await publisher.publish(enrichedEvents('n1'), encodeBatch(b), { msgId: 'capture.n1.run2.7' });
  const batchesIn = async () => (await host.metrics.batchesIn.get()).values.find((v) => v.labels.stage === 'evaluation')?.value ?? 0;
  const alertsOut = async () => (await host.metrics.alertsOut.get()).values.find((v) => v.labels.stage === 'evaluation')?.value ?? 0;
  const end = Date.now() + 10_000;
  while (await batchesIn() < 2 || await alertsOut() < 2) {
    assert.ok(Date.now() < end, 'both copies handled and their alerts published within 10 s');
    await new Promise((r) => setTimeout(r, 50));
  }

  const jsm = await nc.jetstreamManager();
  const stream = await jsm.streams.info(ALERTS_STREAM);
  assert.equal(stream.state.messages, 1, 'the re-raised alert is a duplicate the stream drops');
  const stored = await jsm.streams.getMessage(ALERTS_STREAM, { seq: stream.state.first_seq });
  assert.equal(stored.subject, 'falco.error.write_below_etc');
  assert.equal(stored.header.get('Nats-Msg-Id'), 'alert.uuid-n1-7');
  assert.equal((stored.json() as Alert).uuid, 'uuid-n1-7');
});
